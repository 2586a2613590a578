/** Reading the process kind ahead of file and net events in event time (kind-order.ts): no broker needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKindOrder } from '../../consumer/core/input/kind-order';
import { quietLogger } from '../helpers/kafka';

const running = { stopped: (): boolean => false };
const make = (maxWaitMs = 60_000, now?: () => number) => createKindOrder({ logger: quietLogger, maxWaitMs, now });

test('a leader read to its end (at start, or by its last batch) lets every follower event through', () => {
  const o = make();
  o.assignLeader([{ partition: 0, next: 10, end: 10 }]);
  assert.equal(o.frontier, Infinity);
  assert.equal(o.followerBatch('f', 0, running).admit(5000, '0'), true);
  const b = o.leaderBatch(0, 13, 12);
  assert.equal(o.frontier, -Infinity, 'a leader batch in flight lowers the frontier at once');
  b.read(100);
  b.end(true);
  assert.equal(o.frontier, Infinity);
  assert.deepEqual(o.stats(), { waited: 0, deferred: 0, unordered: 0 });
});

test('a follower event waits while a leader batch of the fetch is in flight, until the leader reaches its time', async () => {
  const o = make();
  o.assignLeader([{ partition: 0, next: 0, end: 100 }]);
  const b = o.leaderBatch(0, 100, 49);
  b.read(900);
  const f = o.followerBatch('f', 0, running);
  assert.equal(f.admit(800, '7'), true, 'an event older than what the leader read goes on');
  const wait = f.admit(1000, '8');
  assert.notEqual(wait, true);
  let settled = false;
  void (wait as Promise<unknown>).then(() => (settled = true));
  await o.settle();
  assert.equal(settled, false, 'still waiting: the leader has read up to 900 only');
  b.read(1001);
  b.end(true); // more to read (49 + 1 < 100), but read past the event's time
  assert.equal(await wait, true);
  assert.deepEqual(o.stats(), { waited: 1, deferred: 0, unordered: 0 });
});

test('a follower batch ends early when the leader is behind with no batch in flight (its messages come with the next fetch)', async () => {
  const o = make();
  o.assignLeader([{ partition: 0, next: 0, end: 100 }]);
  const b = o.leaderBatch(0, 100, 49);
  b.read(500);
  b.end(true);
  assert.equal(await o.followerBatch('f', 0, running).admit(1000, '3'), 'defer');
  assert.equal(o.stats().deferred, 1);
  // The next fetch brings the leader's rest: caught up, the deferred event goes on.
  const b2 = o.leaderBatch(0, 100, 99);
  b2.read(700);
  b2.end(true);
  assert.equal(o.followerBatch('f', 0, running).admit(1000, '3'), true);
});

test('a stop or a seek ends a wait with a defer: the message is not handled and is read again', async () => {
  const o = make();
  o.assignLeader([{ partition: 0, next: 0, end: 100 }]);
  o.leaderBatch(0, 100, 49);
  let stop = false;
  const wait = o.followerBatch('f', 0, { stopped: () => stop }).admit(1000, '0');
  stop = true;
  assert.equal(await wait, 'defer');
});

test('the wait is bounded: past it the event goes on, counted, and so does the rest of its batch', async () => {
  const o = make(20);
  o.assignLeader([{ partition: 0, next: 0, end: 100 }]);
  o.leaderBatch(0, 100, 49); // in flight and never ending (a leader stuck on the schema registry)
  const f = o.followerBatch('f', 0, running);
  assert.equal(await f.admit(1000, '0'), true);
  assert.equal(f.admit(1001, '1'), true, 'no second wait in the same batch');
  assert.deepEqual(o.stats(), { waited: 0, deferred: 0, unordered: 2 });
  assert.notEqual(o.followerBatch('f', 0, running).admit(1002, '2'), true, 'the next batch waits again');
});

test('the bound holds across re-reads of a deferred message', async () => {
  let t = 0;
  const o = make(1000, () => t);
  o.assignLeader([{ partition: 0, next: 0, end: 100 }]); // behind, idle: the fetch never brings it
  assert.equal(await o.followerBatch('f', 0, running).admit(1000, '5'), 'defer');
  t = 400;
  assert.equal(await o.followerBatch('f', 0, running).admit(1000, '5'), 'defer', 're-read: a pause, then defer again');
  t = 1000;
  assert.equal(await o.followerBatch('f', 0, running).admit(1000, '5'), true);
  assert.deepEqual(o.stats(), { waited: 0, deferred: 2, unordered: 1 });
  // Another message starts its own bound.
  assert.equal(await o.followerBatch('f', 0, running).admit(1001, '6'), 'defer');
});

test('only the leader partitions this member holds count; one unknown at start counts as caught up', () => {
  const o = make();
  o.assignLeader([
    { partition: 0, next: 0, end: 100 },
    { partition: 1, next: 5, end: 5 },
  ]);
  assert.equal(o.frontier, -Infinity);
  o.assignLeader([
    { partition: 1, next: 5, end: 5 },
    { partition: 2, next: 0, end: 0 },
  ]);
  assert.equal(o.frontier, Infinity, 'partition 0 went to another member');
  assert.equal(o.followerBatch('f', 0, running).admit(1000, '0'), true);
});

test('an exec of the same millisecond may still follow: the leader must have read a later one', async () => {
  const o = make();
  o.assignLeader([{ partition: 0, next: 0, end: 100 }]);
  const b = o.leaderBatch(0, 100, 49);
  b.read(1000);
  b.end(true);
  assert.equal(o.frontier, 1000);
  assert.equal(await o.followerBatch('f', 0, running).admit(1000, '0'), 'defer');
  const b2 = o.leaderBatch(0, 100, 59);
  b2.read(1001);
  b2.end(true);
  assert.equal(o.followerBatch('f', 0, running).admit(1000, '0'), true);
});
