import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { test } from 'node:test';
import { DecodeError } from '../../common/errors';
import { createSchemaRegistry, parseSchema, type ByteRange } from '../../schemas/registry';
import { execEvent, fileEvent, netEvent, statsEvent } from '../helpers/samples';

const registry = createSchemaRegistry();
/** avsc returns instances of generated record classes: compare their data only. */
const plain = (v: unknown): unknown => structuredClone(v);

test('each kind round-trips through single-object encoding, BigInt times exact', () => {
  for (const [kind, ev] of [
    ['file', fileEvent],
    ['net', netEvent],
    ['process', execEvent],
    ['stats', statsEvent],
  ] as const) {
    const buf = registry.encode(kind, ev);
    assert.deepEqual([...buf.subarray(0, 2)], [0xc3, 0x01]);
    assert.equal(buf.toString('hex', 2, 10), registry.current(kind).id);
    assert.deepEqual(plain(registry.decode(kind, buf)), ev);
  }
  const creds = { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0, cap_effective: 0x1ffffffffffn, cap_permitted: 1n };
  const cred = { ...execEvent, kind: 'capset', cred_change: { old: creds, new: { ...creds, cap_effective: 0n } } };
  assert.deepEqual(plain(registry.decode('process', registry.encode('process', cred))), cred);
  const back = registry.decode('file', registry.encode('file', fileEvent)) as typeof fileEvent;
  assert.equal(back.time_ns, 1_764_012_345_123_456_789n); // beyond 2^53: no precision lost
});

test('malformed messages raise DecodeError, never anything else', () => {
  const good = registry.encode('file', fileEvent);
  const bad = [
    crypto.randomBytes(64),
    good.subarray(0, good.length - 7), // truncated body
    Buffer.concat([Buffer.from([0xc3, 0x01]), crypto.randomBytes(8), good.subarray(10)]), // unknown schema
    Buffer.alloc(0),
  ];
  for (const b of bad) assert.throws(() => registry.decode('file', b), DecodeError);
});

test('decodeAt reads a message among other bytes as decode reads it alone: either framing, another writer schema, and malformed ones', () => {
  const r = createSchemaRegistry();
  r.useRegistryId('net', 42);
  const older = r.add(withExtraField('file', '')); // another writer schema: the slow path, from a copy
  const messages = [
    r.encode('file', fileEvent),
    r.encode('net', netEvent), // Confluent framing, id 42
    Buffer.concat([older.header, older.type.toBuffer({ ...fileEvent, container_id: 'x' })]),
  ];
  const kinds = ['file', 'net', 'file'] as const;
  // The messages back to back with bytes before, between and after them, as in a fetched batch.
  const filler = Buffer.from([0x02, 0x7f, 0xff, 0x00]);
  const parts: Buffer[] = [filler];
  const at: [number, number][] = [];
  let pos = filler.length;
  for (const m of messages) {
    at.push([pos, pos + m.length]);
    parts.push(m, filler);
    pos += m.length + filler.length;
  }
  const batch = Buffer.concat(parts);
  messages.forEach((m, i) => assert.deepEqual(plain(r.decodeAt(kinds[i], batch, at[i][0], at[i][1])), plain(r.decode(kinds[i], m)), `message ${i}`));
  assert.equal(r.currentBodyAt('file', batch, at[0][0], at[0][1]), at[0][0] + 10);
  assert.equal(r.currentBodyAt('net', batch, at[1][0], at[1][1]), at[1][0] + 5);
  assert.equal(r.currentBodyAt('file', batch, at[2][0], at[2][1]), -1, 'another writer schema is not read in place');
  // A truncated body reads on into the next bytes: still an error, never a value.
  const [s0, e0] = at[0];
  for (const end of [e0 - 1, e0 - 7, s0 + 11]) assert.throws(() => r.decodeAt('file', batch, s0, end), DecodeError, `ends at ${end - s0}`);
  assert.throws(() => r.decodeAt('file', batch, s0, e0 + 2), /trailing data/);
  assert.throws(() => r.decodeAt('file', batch, s0, s0), DecodeError, 'empty');
});

function withExtraField(kind: 'file' | 'net', defaultValue: string) {
  const schema = JSON.parse(JSON.stringify(registry.current(kind).type.schema()));
  schema.fields.push({ name: 'container_id', type: 'string', default: defaultValue });
  return parseSchema(schema);
}

test('evolution: an older consumer reads a newer producer that added a field with a default', () => {
  const newer = withExtraField('file', '');
  const old = createSchemaRegistry();
  const entry = old.add(newer); // as if learned from the schemas topic
  const msg = Buffer.concat([entry.header, newer.toBuffer({ ...fileEvent, container_id: 'abc123' })]);
  assert.deepEqual(plain(old.decode('file', msg)), fileEvent);
});

test('evolution: a newer consumer reads an older producer and fills the default', () => {
  const newer = withExtraField('net', 'none');
  const older = registry.current('net');
  const resolver = newer.createResolver(older.type);
  const body = registry.encode('net', netEvent).subarray(10);
  assert.deepEqual(plain(newer.fromBuffer(body, resolver)), { ...netEvent, container_id: 'none' });
});

/** The Avro spec's long encoding, computed with BigInt arithmetic. */
function zigzagVarint(v: bigint): Buffer {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  for (; z > 0x7fn; z >>= 7n) out.push(Number(z & 0x7fn) | 0x80);
  out.push(Number(z));
  return Buffer.from(out);
}

test('longs round-trip exactly across the varint byte lengths (the direct BigInt reader and writer), truncated ones fail', () => {
  const registry = createSchemaRegistry();
  const edges = [
    0n,
    1n,
    -1n,
    63n,
    -64n,
    2n ** 27n,
    2n ** 28n,
    2n ** 48n - 1n,
    2n ** 48n,
    -(2n ** 48n),
    -(2n ** 48n) - 1n,
    2n ** 49n,
    2n ** 52n - 1n,
    2n ** 52n,
    -(2n ** 52n) + 1n,
    -(2n ** 52n),
    2n ** 53n + 1n,
    -(2n ** 53n) - 3n,
    2n ** 62n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    // The double-assisted path (2^52 up to 2^63): its top, where Number(n) rounds to 2^63, and
    // wall-clock nanoseconds (about 2^60.6) around multiples of 2^32, where the rounded double
    // crosses into the next or previous high word.
    2n ** 63n - 511n,
    2n ** 63n - 512n,
    2n ** 63n - 513n,
    2n ** 63n - 1025n,
    1_764_012_345_123_456_789n,
    ...[2n ** 52n, 2n ** 53n, 1_764_012_345_123_456_789n, 2n ** 62n + 2n ** 40n, 2n ** 63n - 2n ** 33n].flatMap((v) => {
      const base = (v >> 32n) << 32n;
      return [0n, 1n, 127n, 128n, 129n, 255n, 256n, 257n, 511n, 512n, 513n, 2n ** 31n, 2n ** 32n - 513n, 2n ** 32n - 512n, 2n ** 32n - 256n, 2n ** 32n - 1n].flatMap((d) => [
        base + d,
        base - d,
        -(base + d),
      ]);
    }),
  ];
  const random = Array.from({ length: 2000 }, (_, i) => BigInt.asIntN(64, BigInt(`0x${crypto.randomBytes(8).toString('hex')}`) >> BigInt(i % 64)));
  for (const v of [...edges, ...random]) {
    const ev = { ...fileEvent, time_ns: v, ktime_ns: BigInt.asIntN(64, -v), process: { ...fileEvent.process, start_time_ns: v >> 7n, cgroup_id: BigInt.asIntN(64, v * 3n) } };
    const wire = registry.encode('file', ev);
    // time_ns opens the body: its bytes are the Avro spec's zigzag varint, whatever wrote them.
    const ref = zigzagVarint(v);
    assert.deepEqual(wire.subarray(10, 10 + ref.length), ref, `wire bytes of ${v}`);
    const back = registry.decode('file', wire) as typeof fileEvent;
    assert.equal(back.time_ns, v);
    assert.equal(back.ktime_ns, BigInt.asIntN(64, -v));
    assert.equal(back.process.start_time_ns, v >> 7n);
    assert.equal(back.process.cgroup_id, BigInt.asIntN(64, v * 3n));
  }
  const full = registry.encode('file', { ...fileEvent, time_ns: -(2n ** 63n) });
  // Cut inside the first long (time_ns: 10 bytes after the 10-byte header).
  assert.throws(() => registry.decode('file', full.subarray(0, 15)), DecodeError);
});

test('encoded messages are views of shared slabs: each keeps its bytes while later ones are encoded, any size', () => {
  const registry = createSchemaRegistry();
  const sizes = [10, 5000, 70_000, 3, 200_000, 64 * 1024, 1, 30_000];
  const made: Array<{ path: string; wire: Buffer; copy: Buffer }> = [];
  for (let round = 0; round < 40; round++) {
    for (const n of sizes) {
      const path = `/p${round}/${'x'.repeat(n)}`;
      // Every other one as a range (encodeRange, the producer's path): the same bytes, no Buffer made.
      let wire: Buffer;
      if (round % 2) wire = registry.encode('file', { ...fileEvent, path });
      else {
        const r: ByteRange = { buf: Buffer.alloc(0), start: 0, end: 0 };
        registry.encodeRange('file', { ...fileEvent, path }, r);
        wire = r.buf.subarray(r.start, r.end);
      }
      made.push({ path, wire, copy: Buffer.from(wire) });
    }
  }
  for (const m of made) {
    assert.deepEqual(m.wire, m.copy); // not overwritten by a later message
    assert.equal((registry.decode('file', m.wire) as typeof fileEvent).path, m.path);
  }
});
