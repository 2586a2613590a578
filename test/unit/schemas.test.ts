import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EVENT_SCHEMAS, SCHEMA_DIR } from '../../schemas/registry';
import type { Alert } from '../../consumer/rules/engine';
import { execEvent, fileEvent, host, netEvent, proc, statsEvent } from '../helpers/samples';

const alert: Alert = {
  time_ns: 1n,
  rule_id: 'r',
  severity: 'high',
  description: 'd',
  message: 'm',
  tags: [],
  host,
  count: 1,
  events: [{ kind: 'file', event: fileEvent }],
};

function fields(file: string): { name: string; doc?: string }[] {
  return JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')).fields;
}

test('TypeScript types have exactly the .avsc fields, in order', () => {
  // The samples are typed object literals: the compiler rejects missing or extra properties,
  // and this test rejects a .avsc field the types do not have.
  const cases: [string, object][] = [
    ['host.avsc', host],
    ['process.avsc', proc],
    [EVENT_SCHEMAS.file, fileEvent],
    [EVENT_SCHEMAS.net, netEvent],
    [EVENT_SCHEMAS.process, execEvent],
    [EVENT_SCHEMAS.stats, statsEvent],
    [EVENT_SCHEMAS.alert, alert],
  ];
  for (const [file, sample] of cases) {
    assert.deepEqual(
      Object.keys(sample),
      fields(file).map((f) => f.name),
      file,
    );
  }
});

test('every schema and field has a doc and the io.ebpfaudit namespace', () => {
  for (const file of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.avsc'))) {
    const s = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));
    assert.equal(s.namespace, 'io.ebpfaudit', file);
    assert.ok(s.doc, `${file} has no doc`);
    for (const f of s.fields) assert.ok(f.doc && f.doc.length > 5, `${file}: field ${f.name} has no doc`);
  }
});
