import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import { createSchemaRegistry, type SchemaKind } from '../../schemas/registry';
import { execEvent, fileEvent, host, netEvent, statsEvent } from '../helpers/samples';

/**
 * avsc's own writers for a schema: its StringType and record writers, longs as BigInt through
 * avsc's custom-long path (what the registry wrote before its faster writers).
 */
function reference(schema: avro.Schema): avro.Type {
  const long = avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(n);
      return b;
    },
    fromJSON: (v: unknown) => BigInt(v as string),
    toJSON: (n: bigint) => Number(n),
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const typeHook = (s: avro.Schema) => (s === 'long' || (typeof s === 'object' && (s as { type?: unknown }).type === 'long') ? long : undefined);
  return avro.Type.forSchema(schema, { typeHook } as unknown as avro.ForSchemaOptions);
}

const STRINGS = [
  '',
  'a',
  'cat',
  'x'.repeat(63),
  'x'.repeat(64),
  'x'.repeat(65),
  'y'.repeat(200),
  '\u007f',
  'caf\u00e9',
  '\u65e5\u672c\u8a9e',
  `${'a'.repeat(62)}\u00e9`,
  'emoji \u{1f600} end',
  'lone \ud800 surrogate',
  'tab\tnew\nline\u0000nul',
  'z'.repeat(5000),
];

test("the faster string and host writers give avsc's bytes: every kind, strings of every shape, a host that changes", () => {
  const registry = createSchemaRegistry();
  const refs = new Map<SchemaKind, avro.Type>();
  const check = (kind: SchemaKind, ev: unknown): void => {
    const entry = registry.current(kind);
    if (!refs.has(kind)) refs.set(kind, reference(entry.type.schema() as avro.Schema));
    const want = Buffer.concat([entry.header, refs.get(kind)!.toBuffer(ev)]);
    assert.deepEqual(registry.encode(kind, ev), want);
  };
  for (const [kind, ev] of [
    ['file', fileEvent],
    ['net', netEvent],
    ['process', execEvent],
    ['stats', statsEvent],
  ] as const)
    check(kind, ev);
  const hosts = [host, { id: 'other', name: 'web-2', boot_id: 'b00t' }, { ...host }, { id: `${host.id}`, name: 'n\u00e9', boot_id: '\u{1f600}' }, host];
  for (let i = 0; i < 3000; i++) {
    const s = STRINGS[i % STRINGS.length];
    const h = hosts[Math.floor(i / 7) % hosts.length];
    check('file', { ...fileEvent, host: h, path: s, target: STRINGS[(i * 7) % STRINGS.length], process: { ...fileEvent.process, comm: s.slice(0, 15), exe: s } });
    if (i % 5 === 0) check('process', { ...execEvent, host: h, args: STRINGS.slice(i % 4), cwd: s });
  }
});

test('the faster writers reject what avsc rejects, with its error, and stay correct after a change of host', () => {
  const registry = createSchemaRegistry();
  const ref = reference(registry.current('file').type.schema() as avro.Schema);
  for (const bad of [
    { ...fileEvent, path: 42 },
    { ...fileEvent, host: { ...host, name: 7 } },
    { ...fileEvent, host: null },
    { ...fileEvent, host: { id: 'h' } },
  ]) {
    let want: Error | undefined;
    try {
      ref.toBuffer(bad);
    } catch (err) {
      want = err as Error;
    }
    assert.ok(want, 'avsc rejects it');
    assert.throws(
      () => registry.encode('file', bad),
      (err: Error) => err.message === want.message,
    );
    // A rejected host never becomes the cached one.
    assert.deepEqual(registry.encode('file', fileEvent).subarray(10), ref.toBuffer(fileEvent));
  }
});

test("a frozen Process written again is avsc's bytes copied; one that is not frozen is encoded each time", () => {
  const registry = createSchemaRegistry();
  const ref = reference(registry.current('file').type.schema() as avro.Schema);
  const same = (ev: typeof fileEvent): void => assert.deepEqual(registry.encode('file', ev).subarray(10), ref.toBuffer(ev));
  const frozen = Object.freeze({ ...fileEvent.process, comm: 'frozen' });
  const other = Object.freeze({ ...fileEvent.process, exe: '/usr/bin/other', cap_effective: 1n << 40n });
  for (let i = 0; i < 50; i++) {
    same({ ...fileEvent, process: frozen, path: `/p/${i}` });
    if (i % 3 === 0) same({ ...fileEvent, process: other });
  }
  // Not frozen: it may change between writes, and each write shows the change.
  const open = { ...fileEvent.process };
  same({ ...fileEvent, process: open });
  open.comm = 'renamed';
  open.start_time_ns = 99n;
  same({ ...fileEvent, process: open });
  // An invalid object is avsc's error, frozen or not, and never becomes the remembered one.
  const bad = Object.freeze({ ...fileEvent.process, pid: 'x' });
  assert.throws(() => registry.encode('file', { ...fileEvent, process: bad as never }));
  assert.throws(() => registry.encode('file', { ...fileEvent, process: bad as never }));
  same({ ...fileEvent, process: frozen });
});

test('toBuffer of an event with a new host or Process is right the first time; remembered bytes past the end of a small buffer move the position only', () => {
  const registry = createSchemaRegistry();
  const type = registry.current('file').type;
  const ref = reference(type.schema() as avro.Schema);
  const ev = { ...fileEvent, process: Object.freeze({ ...fileEvent.process }) };
  const full = type.toBuffer(ev);
  // The host's and the Process's writers must not use avsc's shared Tap, which toBuffer writes into.
  assert.deepEqual(full, ref.toBuffer(ev));
  const moved = { ...ev, host: { ...host, name: 'web-9' }, process: Object.freeze({ ...fileEvent.process, pid: 9 }) };
  assert.deepEqual(type.toBuffer(moved), ref.toBuffer(moved));
  assert.deepEqual(type.toBuffer(ev), full); // the second write copies
  for (const room of [0, 20, full.length - 1]) assert.equal(type.encode(ev, Buffer.alloc(room)), room - full.length);
  assert.deepEqual(type.toBuffer(ev), full);
});
