import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatJson } from '../../consumer/core/output/json';
import { byteOut, putJsonLine } from '../../consumer/core/output/json-bytes';
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
