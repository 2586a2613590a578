import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileJsonLine } from '../../consumer/core/output/json-avro';
import { byteOut, putJsonLine } from '../../consumer/core/output/json-bytes';
import { formatJson } from '../../consumer/core/output/json';
import { encodeConfluentHeader } from '../../schemas/confluent-wire';
import { createSchemaRegistry, parseSchema } from '../../schemas/registry';
import type { AuditEvent, Creds, EventKind } from '../../schemas/types';
import { makeEvents } from '../bench/workload';
import { execEvent, fileEvent, netEvent } from '../helpers/samples';

const registry = createSchemaRegistry();
const transcoders = Object.fromEntries((['file', 'net', 'process'] as EventKind[]).map((k) => [k, compileJsonLine(k, registry.current(k).type)]));

/** The line as tail wrote it before: decode the message, write the record (json-bytes.ts). */
function decodedLine(kind: EventKind, value: Buffer): string {
  const out = byteOut(64);
  putJsonLine({ kind, event: registry.decode(kind, value) } as AuditEvent, out);
  return out.buf.toString('utf8', 0, out.pos);
}

/** The line straight from the bytes, or undefined when the transcoder gave up. */
function transcodedLine(kind: EventKind, value: Buffer): string | undefined {
  const line = transcodedAt(kind, value, 0, value.length);
  // The same message among other bytes (as tail reads it in a fetched batch): the same line, or none.
  const around = Buffer.concat([FILLER, value, FILLER]);
  assert.equal(transcodedAt(kind, around, FILLER.length, FILLER.length + value.length), line, 'in place');
  return line;
}

/** Bytes that read on as more of a message: a string length, varint continuations, a quote. */
const FILLER = Buffer.from([0x06, 0x80, 0x81, 0x22, 0x41, 0x00]);

function transcodedAt(kind: EventKind, buf: Buffer, start: number, end: number): string | undefined {
  const out = byteOut(16); // grows as needed
  out.pos = 3; // written after what is there
  const at = registry.currentBodyAt(kind, buf, start, end);
  assert.ok(at > start);
  if (!transcoders[kind]!(out, buf, at, end)) {
    assert.equal(out.pos, 3, 'a transcoder that gives up leaves the output as it was');
    return undefined;
  }
  return out.buf.toString('utf8', 3, out.pos);
}

function assertSame(kind: EventKind, value: Buffer): void {
  const expected = decodedLine(kind, value);
  assert.equal(transcodedLine(kind, value), expected);
  assert.equal(expected, formatJson({ kind, event: registry.decode(kind, value) } as AuditEvent));
}

const ODD = ['', 'plain', 'é', 'a"b', 'x\\y', '\u0001\u001f', '\u007f\u009b[31m', '\u2028\u202e', '😀', '\ud800 lone', 'a'.repeat(70) + 'é', 'b'.repeat(70_000), 'c'.repeat(200)];
const creds = (uid: number): Creds => ({ uid, euid: uid, suid: uid, fsuid: uid, gid: uid, egid: uid, sgid: uid, fsgid: uid, cap_effective: 2n ** 40n, cap_permitted: -1n });

test('json lines from Avro bytes are the decoded lines, byte for byte: escapes, non-ASCII, long strings, integers of every size, unions, times', () => {
  const events: AuditEvent[] = [];
  const times = [
    1_764_012_345_000_000_000n,
    1_764_012_345_999_999_999n,
    1_000_000_000n,
    999_999_999n,
    0n,
    -5n,
    2n ** 62n,
    2n ** 63n - 1n,
    281_474_976_710_656n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
  ];
  for (const s of ODD) {
    events.push({
      kind: 'file',
      event: {
        ...fileEvent,
        path: s,
        target: s,
        result: -13,
        flags: 0o1101,
        process: { ...fileEvent.process, comm: s, cap_effective: 2n ** 63n - 1n, start_time_ns: -5n, pid: 2 ** 31 - 1, loginuid: -(2 ** 31) },
      },
    });
    events.push({ kind: 'net', event: { ...netEvent, unix_path: s, dst_port: 0, result: -111 } });
    events.push({ kind: 'process', event: { ...execEvent, kind: s, args: [s, `${s}x`, ''], cwd: s } });
  }
  for (const [i, t] of times.entries()) {
    events.push({ kind: 'file', event: { ...fileEvent, time_ns: t, ktime_ns: -t } });
    events.push({ kind: 'process', event: { ...execEvent, time_ns: t, args: Array.from({ length: i * 20 }, (_, j) => `a${j}`), ancestors: [] } });
  }
  events.push({ kind: 'process', event: { ...execEvent, kind: 'setuid', cred_change: { old: creds(1000), new: creds(0) } } });
  events.push({
    kind: 'process',
    event: { ...execEvent, kind: 'ptrace', ptrace: { request: 'PTRACE_ATTACH', request_code: 16, target_pid: 42, addr: 2n ** 60n, data: -(2n ** 55n) } },
  });
  events.push({ kind: 'process', event: { ...execEvent, kind: 'finit_module', module: { path: '/lib/m.ko', size: 12345n, fd: 3, flags: 0, params: 'debug=1 "x"' } } });
  for (const ev of events) assertSame(ev.kind, registry.encode(ev.kind, ev.event));
});

test('json lines from Avro bytes: the benchmark workload, byte for byte', () => {
  for (const ev of makeEvents(20_000)) assertSame(ev.kind, registry.encode(ev.kind, ev.event));
});

test('json lines from Avro bytes: Confluent framing with our own schema is read too; another writer schema is left to the decoder', () => {
  const r = createSchemaRegistry();
  r.useRegistryId('file', 7);
  const value = Buffer.from(r.encode('file', fileEvent));
  assert.deepEqual(value.subarray(0, 5), encodeConfluentHeader(7));
  assert.equal(r.currentBodyAt('file', value), 5);
  assert.equal(r.currentBodyAt('net', value), -1, 'id 7 is the file schema');
  const older = parseSchema({ type: 'record', name: 'FileEvent', namespace: 'io.ebpfaudit', fields: [{ name: 'time_ns', type: 'long' }] });
  const other = Buffer.concat([r.add(older).header, older.toBuffer({ time_ns: 5n })]);
  assert.equal(r.currentBodyAt('file', other), -1);
});

test('json lines from Avro bytes: a malformed body is left to the decoder (which reports it), never half-written', () => {
  const value = Buffer.from(registry.encode('process', execEvent));
  const at = registry.currentBodyAt('process', value);
  const cases: Buffer[] = [
    value.subarray(0, value.length - 1), // truncated
    Buffer.concat([value, Buffer.from([0])]), // trailing data
    value.subarray(0, at + 3), // cut in the first long
  ];
  // A negative string length where host.id's length is.
  const neg = Buffer.from(value);
  let p = at;
  for (let k = 0; k < 2; k++) while (neg[p++] & 0x80); // time_ns, ktime_ns
  neg[p] = 0x01; // zigzag -1
  cases.push(neg);
  for (const bad of cases) {
    assert.equal(transcodedLine('process', bad), undefined);
    assert.throws(() => registry.decode('process', bad));
  }
  // Every byte of messages changed to bytes that matter to Avro (varint ends and continuations,
  // negative counts and lengths, union indexes, quotes): the decoder's line, or none when the
  // decoder rejects the message.
  const events: AuditEvent[] = [
    { kind: 'process', event: { ...execEvent, ptrace: { request: 'PTRACE_POKEDATA', request_code: 5, target_pid: 42, addr: 1n, data: 2n } } },
    { kind: 'net', event: netEvent },
  ];
  let compared = 0;
  for (const ev of events) {
    const good = Buffer.from(registry.encode(ev.kind, ev.event));
    for (let i = registry.currentBodyAt(ev.kind, good); i < good.length; i++) {
      for (const b of [0x00, 0x01, 0x02, 0x03, 0x05, 0x22, 0x5c, 0x7f, 0x80, 0x81, 0xc3, 0xff]) {
        const m = Buffer.from(good);
        m[i] = b;
        let expected: string | undefined;
        try {
          expected = decodedLine(ev.kind, m);
        } catch {
          expected = undefined;
        }
        const line = transcodedLine(ev.kind, m);
        if (expected === undefined) assert.equal(line, undefined, `byte ${i} = ${b}: the decoder rejects it`);
        else {
          assert.equal(line, expected, `byte ${i} = ${b}`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 1000, `${compared} changed messages still decoded`);
  // Every cut of a message: never a line the decoder would not give.
  for (let n = at; n < value.length; n++) {
    const cut = value.subarray(0, n);
    const line = transcodedLine('process', cut);
    if (line !== undefined) assert.equal(line, decodedLine('process', cut));
  }
});

test('json lines from Avro bytes: a schema with types the transcoder does not compile has none (decoded instead)', () => {
  const withMap = parseSchema({
    type: 'record',
    name: 'X',
    fields: [
      { name: 'time_ns', type: 'long' },
      { name: 'm', type: { type: 'map', values: 'string' } },
    ],
  });
  assert.equal(compileJsonLine('file', withMap), undefined);
  const noTime = parseSchema({ type: 'record', name: 'Y', fields: [{ name: 'a', type: 'int' }] });
  assert.equal(compileJsonLine('file', noTime), undefined);
});
