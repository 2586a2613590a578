import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatJson, toEcs } from '../../consumer/core/output/json';
import { byteOut, putJson, putJsonLine } from '../../consumer/core/output/json-bytes';
import { writeJson } from '../../consumer/core/output/json-writer';
import { makeEvents } from '../bench/workload';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent } from '../../schemas/types';
import { execEvent, fileEvent, netEvent } from '../helpers/samples';

const registry = createSchemaRegistry();
/** As tail gets them: avsc records (the byte writer is compiled per record type). */
const decoded = (ev: AuditEvent): AuditEvent => ({ kind: ev.kind, event: registry.decode(ev.kind, registry.encode(ev.kind, ev.event)) }) as AuditEvent;

const ODD = ['', 'plain', 'é', 'a"b', 'x\\y', '\u0001\u001f', '\u007f\u009b[31m', '\u2028\u202e', '😀', 'a'.repeat(70) + 'é', 'b'.repeat(70_000)];

test('json lines written as bytes are formatJson lines, byte for byte: escapes, non-ASCII, long strings, negative and huge integers', () => {
  const out = byteOut(64); // grows as needed
  const events: AuditEvent[] = [];
  for (const s of ODD) {
    events.push({
      kind: 'file',
      event: { ...fileEvent, path: s, result: -13, flags: 0o1101, process: { ...fileEvent.process, comm: s, cap_effective: 2n ** 63n - 1n, start_time_ns: -5n } },
    });
    events.push({ kind: 'net', event: { ...netEvent, unix_path: s, dst_port: 0, result: -111 } });
    events.push({ kind: 'process', event: { ...execEvent, args: [s, `${s}x`, ''], cwd: s } });
  }
  for (const ev of events.map(decoded)) {
    out.pos = 0;
    putJsonLine(ev, out);
    assert.equal(out.buf.toString('utf8', 0, out.pos), formatJson(ev));
  }
});

test('json bytes: a plain object (not an avsc record) is formatJson too', () => {
  const out = byteOut();
  putJsonLine({ kind: 'file', event: fileEvent }, out);
  assert.equal(out.buf.toString('utf8', 0, out.pos), formatJson({ kind: 'file', event: fileEvent }));
});

test('any value written as bytes is writeJson text, byte for byte: ECS documents of the workload and odd values', () => {
  const out = byteOut(16); // grows as needed
  const same = (v: unknown, what: string): void => {
    out.pos = 3; // after what is there
    const wrote = putJson(out, v);
    const text = writeJson(v);
    assert.equal(wrote, text !== undefined, `${what}: written exactly when writeJson gives text`);
    assert.equal(out.buf.toString('utf8', 3, out.pos), text ?? '', what);
  };
  for (const ev of makeEvents(5_000).map(decoded)) same(toEcs(ev), `ecs ${ev.kind}`);
  for (const s of ODD) {
    same(toEcs(decoded({ kind: 'file', event: { ...fileEvent, path: s, target: s } })), `ecs path ${JSON.stringify(s.slice(0, 20))}`);
    same({ [s]: s, [`${s}2`]: [s, s] }, `key and value ${JSON.stringify(s.slice(0, 20))}`);
  }
  const odd: unknown[] = [
    0,
    -0,
    1.5,
    -2.25e-7,
    2 ** 53,
    2 ** 60,
    -(2 ** 70),
    NaN,
    Infinity,
    -Infinity,
    0n,
    -5n,
    2n ** 64n,
    true,
    false,
    null,
    undefined,
    () => 1,
    Symbol('s'),
    [],
    {},
    [undefined, () => 1, Symbol('x'), 1],
    { a: undefined, b: 1, c: () => 1, d: Symbol('d') },
    { a: undefined },
    { x: { toJSON: () => undefined }, y: { toJSON: () => ({ z: 1n }) } },
    { toJSON: () => 'whole' },
    [[[]], [{}], { '': '' }],
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }), // own keys only
    Object.assign(Object.create(null), { bare: 1, n: null }),
  ];
  for (const v of odd) same(v, typeof v === 'symbol' ? 'symbol' : String(writeJson(v)));
});
