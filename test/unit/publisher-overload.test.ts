/**
 * Overload is not an outage: a healthy Kafka that acknowledges, only slower than the source
 * offers, must keep the publisher in memory (nothing spooled), its queue within the cap, and leave
 * the excess in the source, which counts what it cannot hold (the kernel ring buffer's ringFull).
 * `send` is a scripted Kafka that answers every request after a delay; the spool is the real one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryState } from '../../producer/publish/delivery-state';
import type { Publisher, PublisherOptions, TopicMessages } from '../../producer/publish/publisher';
import { sizeOf } from '../../producer/publish/message-queue';
import { publisherHarness } from '../helpers/publisher-harness';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A Kafka that takes every request, `delayMs` after it is sent (or fails it while `away`). */
function slowKafka(delayMs: number) {
  const k = {
    delayMs,
    away: false,
    taken: [] as string[],
    send: async (batch: TopicMessages[]): Promise<void> => {
      await sleep(k.delayMs);
      if (k.away) throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' });
      for (const t of batch) for (const m of t.messages) k.taken.push(String(m.value));
    },
  };
  return k;
}

const MESSAGE = { key: 'h', value: Buffer.from('m0000000') };
const MESSAGE_BYTES = sizeOf(MESSAGE);

function setup(kafka: ReturnType<typeof slowKafka>, o: Partial<PublisherOptions> = {}) {
  const { p, spool, states } = publisherHarness({
    send: kafka.send,
    maxBatchBytes: 50 * MESSAGE_BYTES,
    maxQueued: 100_000,
    maxQueuedBytes: 10_000 * MESSAGE_BYTES,
    // A bound long enough that a stall of a loaded machine does not fire it; the hard cap
    // (10,000 messages, 2 s of this Kafka) is well past it, so only the rate-sized cap keeps the
    // overload test in memory.
    spoolAfterMs: 1000,
    ...o,
  });
  return { p, spool: spool!, states };
}

/**
 * The pipeline's loop over a source like the kernel ring: `perTick` records arrive every tick; the
 * source holds at most `capacity` and counts what it cannot take (lost); each tick the publisher
 * gets what room() allows. Returns the accounting.
 */
async function drive(p: Publisher, o: { ms: number; perTick: number; capacity: number; onTick?: (offered: number) => void }) {
  let seq = 0;
  let pending = 0;
  const acc = { arrived: 0, lost: 0, offered: 0, pending: 0 };
  const deadline = Date.now() + o.ms;
  while (Date.now() < deadline) {
    const fit = Math.min(o.perTick, o.capacity - pending);
    acc.arrived += o.perTick;
    acc.lost += o.perTick - fit;
    pending += fit;
    const n = Math.min(pending, Math.max(0, p.room(pending * 2 >= o.capacity)));
    for (let i = 0; i < n; i++) assert.ok(p.offer('t.file', { key: 'h', value: Buffer.from(`m${String(seq++).padStart(7, '0')}`) }));
    pending -= n;
    acc.offered += n;
    o.onTick?.(n);
    await sleep(1);
  }
  acc.pending = pending;
  return acc;
}

test('overload (Kafka healthy, slower than the source): nothing spooled, the queue within its cap, the excess left to the source and counted there', async () => {
  // 50 messages per 10 ms request: Kafka takes at most 5,000/s; the source offers 20 per ms.
  const kafka = slowKafka(10);
  const { p, spool, states } = setup(kafka);
  p.start();
  // Right after a turn that offered: the cap changes only when a request is acknowledged, between
  // turns (and may then fall below what is queued: the next turns offer nothing until it drains).
  let mostOver = -Infinity;
  const onTick = (offered: number): void => {
    const st = p.stats();
    if (offered > 0) mostOver = Math.max(mostOver, st.queuedBytes - st.queueCapBytes);
  };
  const acc = await drive(p, { ms: 2500, perTick: 20, capacity: 3000, onTick });
  const s = p.stats();
  assert.deepEqual(states, ['memory'], 'never left memory: overload is not an outage');
  assert.equal(spool.stats().appended, 0, 'nothing went through the disk');
  assert.ok(acc.lost > 0, 'the load was above capacity');
  // What Kafka takes in half the 1 s bound, far under the 10,000-message hard cap that a count or
  // byte cap alone would have allowed.
  assert.ok(s.queueCapBytes < 10_000 * MESSAGE_BYTES, `cap followed Kafka's rate: ${s.queueCapBytes} bytes`);
  assert.ok(mostOver <= 1, `no turn filled the queue past the cap in force (by ${mostOver} bytes at most)`);
  // Every arrived record is accounted for: delivered, queued, still in the source, or counted lost.
  assert.equal(await p.flush(10_000), true);
  assert.equal(kafka.taken.length, acc.offered);
  assert.equal(acc.offered + acc.pending + acc.lost, acc.arrived);
  assert.equal(new Set(kafka.taken).size, kafka.taken.length, 'each message once');
  assert.deepEqual(kafka.taken, [...kafka.taken].sort(), 'in order');
  p.close();
});

test('cold start and idle spells: before Kafka answers the queue takes two full requests, and a trickle of small requests never lowers the cap', async () => {
  const kafka = slowKafka(2);
  const { p, spool } = setup(kafka);
  p.offer('t.file', MESSAGE); // the room is counted in messages of the size seen
  assert.equal(p.room(), 2 * 50 - 1, 'before Kafka answers: room for two full requests');
  p.start();
  // Saturated requests measure Kafka: a burst, then acknowledged.
  for (let i = 1; i < 400; i++) p.offer('t.file', MESSAGE);
  assert.equal(await p.flush(5000), true);
  const capAfterBurst = p.stats().queueCapBytes;
  // An idle trickle: one message per request, each acknowledged. Not a measure of Kafka.
  for (let i = 0; i < 20; i++) {
    p.offer('t.file', MESSAGE);
    assert.equal(await p.flush(5000), true);
  }
  assert.equal(p.stats().queueCapBytes, capAfterBurst, 'the cap is what it was after the burst');
  assert.ok(p.room() * MESSAGE_BYTES >= capAfterBurst - MESSAGE_BYTES, 'a burst after the idle spell has the whole cap');
  assert.equal(spool.stats().appended, 0);
  p.close();
});

test('an outage still spools within the bound; the replay takes new messages only when the source is about to lose them, at most half of what it delivered', async () => {
  const kafka = slowKafka(5);
  kafka.away = true;
  const { p, spool, states } = setup(kafka, { spoolAfterMs: 100 });
  const state = (): DeliveryState => p.state;
  p.start();
  for (let i = 0; i < 300; i++) p.offer('t.file', MESSAGE);
  const t0 = Date.now();
  while (state() !== 'spooling') await sleep(2);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(p.room(), Infinity, 'while Kafka is away, everything goes to the spool');
  for (let i = 0; i < 2000; i++) p.offer('t.file', MESSAGE);
  kafka.away = false;
  while (state() !== 'replaying') await sleep(1);
  assert.equal(p.room(false), 0, 'replaying: new messages wait in the source');
  let replayedOffers = 0;
  let peakOverHalf = -Infinity;
  while (state() === 'replaying') {
    const room = p.room(true);
    const replayed = p.stats().sent;
    if (room > 0) {
      p.offer('t.file', MESSAGE);
      replayedOffers++;
    }
    peakOverHalf = Math.max(peakOverHalf, replayedOffers - replayed / 2);
    await sleep(1);
  }
  assert.ok(replayedOffers > 0, 'a source about to lose records gets the spool');
  assert.ok(peakOverHalf <= 50, `at most half the replayed messages were added behind it (${peakOverHalf} over)`);
  assert.equal(await p.flush(10_000), true);
  assert.equal(kafka.taken.length, 2300 + replayedOffers, 'everything delivered');
  assert.ok(spool.stats().appended >= 2300);
  assert.deepEqual(states.slice(0, 4), ['memory', 'spooling', 'replaying', 'memory']);
  p.close();
});
