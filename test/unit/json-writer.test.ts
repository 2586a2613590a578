import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatJson, stringify } from '../../consumer/core/output/json';
import { jsonString, writeJson } from '../../consumer/core/output/json-writer';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent } from '../../schemas/types';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

/** The former implementation: JSON.stringify with a bigint replacer, then the unsafe characters escaped. */
function reference(value: unknown): string {
  const json = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `\u0000big:${v}` : v));
  return json
    .replace(/"\\u0000big:(-?\d+)"/g, '$1')
    .replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const NASTY = [
  '',
  'plain',
  'quote " and \\ backslash',
  'tab\tnew\nline\r',
  'nul\u0000 esc\u001b[31m',
  'del\u007f c1\u0085\u009b',
  'bidi\u202e x \u2066 y \u2069',
  'line\u2028para\u2029',
  'é ü 中文',
  'emoji 😀',
  'lone \ud800 surrogate',
  'replacement \ufffd',
  `${'long path segment/'.repeat(8)}\u009b`,
  'x'.repeat(200),
];

test('jsonString equals JSON.stringify plus the unsafe escapes, short and long strings', () => {
  for (const s of NASTY) assert.equal(jsonString(s), reference(s), JSON.stringify(s));
});

test('writeJson equals JSON.stringify on plain values: undefined left out, NaN as null, toJSON, bigints exact', () => {
  const values: unknown[] = [
    { a: 1, b: undefined, c: () => 1, d: [1, undefined, () => 2, null], e: NaN, f: -0, g: 1.5e300, h: new Date(0) },
    { big: 2n ** 63n - 1n, neg: -(2n ** 62n), nested: { list: [1n, 'x', true, false, {}] }, '': 'empty key', 'k"ey\u2028': 1 },
    [],
    [[]],
    null,
    'str',
    3,
    true,
  ];
  for (const v of values) assert.equal(stringify(v), reference(v));
  assert.equal(writeJson(undefined), undefined);
});

test('formatJson on decoded avsc records (compiled writer) equals the generic walk and the former output', () => {
  const registry = createSchemaRegistry();
  const cred = { uid: 1000, euid: 1000, suid: 1000, fsuid: 1000, gid: 1, egid: 1, sgid: 1, fsgid: 1, cap_effective: 0n, cap_permitted: -(2n ** 63n) + 5n };
  const events: AuditEvent[] = [];
  for (const s of NASTY) {
    const p = { ...proc, comm: s.slice(0, 15), exe: s, container_id: s, start_time_ns: 2n ** 62n + 7n };
    events.push({ kind: 'file', event: { ...fileEvent, process: p, path: s, result: -13 } });
    events.push({ kind: 'net', event: { ...netEvent, process: p, unix_path: s, dst_port: 65535 } });
    events.push({ kind: 'process', event: { ...execEvent, process: p, args: [s, '', s], cwd: s } });
  }
  events.push({ kind: 'process', event: { ...execEvent, kind: 'setuid', args: [], cred_change: { old: cred, new: { ...cred, uid: 0 } } } });
  for (const ev of events) {
    const decoded = { kind: ev.kind, event: registry.decode(ev.kind, registry.encode(ev.kind, ev.event)) } as AuditEvent;
    assert.notEqual(decoded.event.constructor, Object); // an avsc record: the compiled path
    const line = formatJson(decoded);
    assert.equal(line, formatJson({ kind: ev.kind, event: { ...decoded.event } } as AuditEvent)); // plain object: the generic walk
    assert.equal(line, reference({ kind: ev.kind, time: JSON.parse(line).time, ...decoded.event }));
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  }
  // A process event's own kind (exec, setuid) takes the "kind" key's place, as before.
  assert.equal(JSON.parse(formatJson({ kind: 'process', event: registry.decode('process', registry.encode('process', execEvent)) } as AuditEvent)).kind, 'exec');
});
