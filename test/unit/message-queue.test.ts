/**
 * The publisher's memory queue (producer/publish/message-queue.ts): entries in parallel arrays,
 * requests cut from the head by count and bytes, grouped by topic in order, taken once
 * acknowledged, drained whole for the spool.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from 'kafkajs';
import { createMessageQueue } from '../../producer/publish/message-queue';

const msg = (i: number): Message => ({ key: 'h', value: Buffer.from(String(i)), timestamp: String(1000 + i) });
const values = (ms: Message[]): string[] => ms.map((m) => (m.value as Buffer).toString());

test('requests are cut from the head by count and bytes and grouped by topic in order', () => {
  const q = createMessageQueue();
  assert.equal(q.oldestAt(), undefined);
  const topicOf = (i: number): string => (i % 5 === 4 ? 'stats' : 'file');
  for (let i = 0; i < 20; i++) q.push(topicOf(i), msg(i), 10 + i, 500 + i);
  assert.equal(q.size(), 20);
  assert.equal(q.bytes(), 20 * 10 + (19 * 20) / 2);
  assert.equal(q.oldestAt(), 500);

  assert.deepEqual(q.cut(3, 1e9), { n: 3, bytes: 10 + 11 + 12 });
  assert.deepEqual(q.cut(100, 5), { n: 1, bytes: 10 }, 'the first entry goes whatever its size');
  assert.deepEqual(q.cut(100, 21), { n: 2, bytes: 21 }, 'then as many as fit the bytes');
  // One topic: one group.
  assert.deepEqual(
    q.request(3).map((g) => [g.topic, values(g.messages)]),
    [['file', ['0', '1', '2']]],
  );
  // Mixed topics: a group per topic in the order first seen, each in queue order.
  assert.deepEqual(
    q.request(10).map((g) => [g.topic, values(g.messages)]),
    [
      ['file', ['0', '1', '2', '3', '5', '6', '7', '8']],
      ['stats', ['4', '9']],
    ],
  );

  q.take(10);
  assert.equal(q.size(), 10);
  assert.equal(q.bytes(), 10 * 10 + (10 + 19) * 5);
  assert.equal(q.oldestAt(), 510);
  assert.deepEqual(values(q.request(2)[0].messages), ['10', '11']);

  const rest = q.drain();
  assert.deepEqual(
    rest.map((e) => [e.topic, (e.message.value as Buffer).toString(), e.bytes, e.at]),
    Array.from({ length: 10 }, (_, k) => [topicOf(10 + k), String(10 + k), 20 + k, 510 + k]),
  );
  assert.equal(q.size(), 0);
  assert.equal(q.bytes(), 0);
  assert.equal(q.oldestAt(), undefined);
});

test('a long run of pushes and takes keeps order and byte counts (the consumed prefix is dropped in bulk)', () => {
  const q = createMessageQueue();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 5000; i++, next++) q.push('file', msg(next), 1, next);
    const n = q.cut(4000 + round, 1e9).n;
    assert.deepEqual(
      values(q.request(n)[0].messages).map(Number),
      Array.from({ length: n }, (_, k) => expected + k),
    );
    q.take(n);
    expected += n;
    assert.equal(q.size(), next - expected);
    assert.equal(q.bytes(), next - expected);
    assert.equal(q.oldestAt(), expected);
  }
});

test('a message comes back from its parts: the value view at its offset, null values, key and headers as given, timestamps as numbers', () => {
  const q = createMessageQueue();
  const slab = Buffer.alloc(64, 'x');
  slab.write('hello', 10);
  const headers = Object.freeze({ kind: 'file' });
  const key = Buffer.from('host');
  q.push('file', { key, value: slab.subarray(10, 15), timestamp: '1764590000123', headers }, 100, 1);
  q.push('stats', { key: 'host-id', value: null }, 64, 2);
  q.push('file', { key, value: 'text', timestamp: undefined }, 68, 3);
  const [file, stats] = q.request(3);
  assert.equal(file.topic, 'file');
  const [a, c] = file.messages;
  assert.equal((a.value as Buffer).toString(), 'hello');
  assert.equal((a.value as Buffer).buffer, slab.buffer, 'a view of the same memory, not a copy');
  assert.equal(a.key, key);
  assert.equal(a.headers, headers);
  assert.equal(Number(a.timestamp), 1764590000123);
  assert.equal((c.value as Buffer).toString(), 'text');
  assert.equal(c.timestamp, undefined);
  assert.equal(stats.topic, 'stats');
  assert.equal(stats.messages[0].value, null);
  assert.equal(stats.messages[0].key, 'host-id');
  assert.equal(stats.messages[0].headers, undefined);
  q.take(3);
  assert.equal(q.size(), 0);
  assert.equal(q.bytes(), 0);
});
