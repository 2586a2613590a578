import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRecord } from '../../common/log-pretty';

const rec = (r: Record<string, unknown>): string => JSON.stringify({ level: 30, time: '2026-01-02T03:04:05.678Z', pid: 1, hostname: 'h', name: 'ebpf-audit-producer', ...r });

test('a record reads as one short line: time, level, component, message, then its fields', () => {
  const line = formatRecord(
    rec({ level: 40, component: 'publisher', msg: 'spooling to disk until Kafka takes messages again', reason: 'send failed: connect ECONNREFUSED 127.0.0.1:9092', queued: 12 }),
    false,
  );
  assert.match(
    line,
    /^\d\d:\d\d:\d\d\.\d{3} WARN {2}publisher: spooling to disk until Kafka takes messages again reason="send failed: connect ECONNREFUSED 127.0.0.1:9092" queued=12\n$/,
  );
  assert.doesNotMatch(line, /pid|hostname|ebpf-audit-producer/);
});

test('nested fields print as compact JSON; colour only when asked', () => {
  assert.match(formatRecord(rec({ msg: 'stats', stats: { sent: 3, lost: 0 } }), false), / stats=\{"sent":3,"lost":0\}\n$/);
  assert.match(formatRecord(rec({ msg: 'x' }), true), /\x1b\[32mINFO \x1b\[0m x/);
});

test('control characters in any value cannot reach the terminal: C0, DEL and C1 print as \\xNN', () => {
  const evil = 'a\x1b[2Jb\nc\x7f\x9bd';
  const line = formatRecord(rec({ msg: evil, path: evil, component: 'x\ry' }), false);
  assert.equal(line.split('\n').length, 2, 'one line');
  assert.doesNotMatch(line.slice(0, -1), /[\x00-\x1f\x7f-\x9f]/);
  assert.ok(line.includes(String.raw`x\x0dy: a\x1b[2Jb\x0ac\x7f\x9bd path="a\u001b[2Jb\nc\x7f\x9bd"`), line);
});

test('an error shows its message on the line and, at error level, its stack indented below', () => {
  const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.js:1:1)\n    at g (b.js:2:2)' };
  const out = formatRecord(rec({ level: 50, msg: 'producer failed', err }), false);
  assert.deepEqual(out.split('\n'), [out.split('\n')[0], '    at f (a.js:1:1)', '    at g (b.js:2:2)', '']);
  assert.match(out, /ERROR producer failed err="boom"/);
  assert.equal(formatRecord('not json\x1b', false), 'not json\\x1b\n');
});
