/**
 * The publisher's delivery state machine without a broker: `send` is a scripted Kafka that can be
 * up, away (every request fails at once), hanging (requests never answer until released), or
 * refusing requests above a size. The spool is the real one, in a temporary directory.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { Message } from 'kafkajs';
import { nextState } from '../../producer/publish/delivery-state';
import type { Publisher, PublisherOptions, TopicMessages } from '../../producer/publish/publisher';
import { sizeOf } from '../../producer/publish/message-queue';
import { openSpool } from '../../producer/publish/spool';
import { publisherHarness, quietLogger } from '../helpers/publisher-harness';

function capture(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Flush until all is acknowledged: a flush that meets a failure says false, the next one retries at once. */
async function delivered(p: Publisher): Promise<void> {
  for (let i = 0; i < 100; i++) if (await p.flush(5000)) return;
  throw new Error('never delivered');
}

/** A scripted Kafka: what it took, in order, per topic. */
function fakeKafka() {
  const k = {
    mode: 'up' as 'up' | 'away' | 'hang',
    /** Requests with more messages than this are refused as too large. */
    maxMessages: Infinity,
    /** A message whose value is this is refused as too large, alone or not. */
    poison: undefined as string | undefined,
    /** Take the first topic of the request, then fail (a partial failure). */
    failAfterFirstTopic: 0,
    requests: 0,
    /** The largest request seen, in estimated bytes (sizeOf). */
    largest: 0,
    taken: new Map<string, string[]>(),
    hanging: [] as { release: (ok: boolean) => void }[],
    all(): string[] {
      return [...k.taken.values()].flat();
    },
    send: async (batch: TopicMessages[]): Promise<void> => {
      k.requests++;
      if (k.mode === 'away') throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError', retriable: true });
      if (k.mode === 'hang') {
        const ok = await new Promise<boolean>((release) => k.hanging.push({ release }));
        if (!ok) throw Object.assign(new Error('Request Produce(key: 0, version: 7) timed out'), { name: 'KafkaJSRequestTimeoutError' });
      }
      const n = batch.reduce((s, t) => s + t.messages.length, 0);
      k.largest = Math.max(
        k.largest,
        batch.reduce((s, t) => s + t.messages.reduce((b, m) => b + sizeOf(m), 0), 0),
      );
      const tooLarge = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      });
      if (n > k.maxMessages || batch.some((t) => t.messages.some((m) => String(m.value) === k.poison))) throw tooLarge;
      batch.forEach((t, i) => {
        if (k.failAfterFirstTopic > 0 && i > 0) return;
        const list = k.taken.get(t.topic) ?? [];
        list.push(...t.messages.map((m) => String(m.value)));
        k.taken.set(t.topic, list);
      });
      if (k.failAfterFirstTopic > 0 && batch.length > 1) {
        k.failAfterFirstTopic--;
        throw Object.assign(new Error('This server is not the leader for that topic-partition'), { type: 'NOT_LEADER_FOR_PARTITION', retriable: true });
      }
    },
  };
  return k;
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ea-pub-'));

function setup(o: Partial<PublisherOptions> & { spoolDir?: string | null } = {}) {
  const kafka = fakeKafka();
  const { p, spool, states } = publisherHarness({ send: kafka.send, maxQueued: 1000, spoolAfterMs: 200, ...o });
  const offer = (from: number, to: number, topic = (i: number) => (i % 3 ? 't.file' : 't.net')): void => {
    for (let i = from; i < to; i++) assert.ok(p.offer(topic(i), { key: 'h', value: Buffer.from(`m${i}`) }));
  };
  const done = (): void => p.close();
  return { kafka, spool, p, offer, states, done };
}

/** m<from>..m<to-1> of `topic` in order, as the scripted Kafka keeps them. */
const expected = (from: number, to: number, topic: string): string[] =>
  Array.from({ length: to - from }, (_, i) => from + i)
    .filter((i) => (i % 3 ? 't.file' : 't.net') === topic)
    .map((i) => `m${i}`);

test('the transition table: memory spools on failure, age or a full queue; only a success replays; only an empty spool returns to memory', () => {
  assert.equal(nextState('memory', 'sendFailed'), 'spooling');
  assert.equal(nextState('memory', 'unacknowledged'), 'spooling');
  assert.equal(nextState('memory', 'queueFull'), 'spooling');
  assert.equal(nextState('memory', 'sendOk'), 'memory');
  assert.equal(nextState('spooling', 'caughtUp'), 'spooling', 'an empty spool while Kafka is away is not "drained"');
  assert.equal(nextState('spooling', 'sendFailed'), 'spooling');
  assert.equal(nextState('spooling', 'sendOk'), 'replaying');
  assert.equal(nextState('replaying', 'sendFailed'), 'spooling');
  assert.equal(nextState('replaying', 'caughtUp'), 'memory');
  for (const s of ['memory', 'spooling', 'replaying'] as const) assert.equal(nextState(s, 'close'), 'closed');
  assert.equal(nextState('closed', 'sendOk'), 'closed');
});

test('a healthy stream is delivered in order from memory and never touches the disk', async () => {
  const { kafka, spool, p, offer, states, done } = setup({ lingerMs: 2, spoolAfterMs: 5000 });
  p.start();
  offer(0, 600);
  assert.equal(await p.flush(5000), true);
  assert.deepEqual(kafka.taken.get('t.file'), expected(0, 600, 't.file'));
  assert.deepEqual(kafka.taken.get('t.net'), expected(0, 600, 't.net'));
  assert.equal(spool!.stats().appended, 0);
  assert.deepEqual(states, ['memory']);
  assert.equal(p.stats().sent, 600);
  done();
});

test('a request full by bytes is sent at once, without waiting for the linger', async () => {
  // A minute of linger and a batch size never reached: only the byte limit can start the request.
  const { kafka, p, done } = setup({ lingerMs: 60_000, batchSize: 100_000, maxBatchBytes: 4096, spoolAfterMs: 120_000 });
  p.start();
  for (let i = 0; i < 20; i++) assert.ok(p.offer('t.file', { key: 'h', value: Buffer.alloc(300, i) }));
  await waitFor('a request', () => kafka.requests > 0, 5000);
  assert.ok(kafka.taken.get('t.file')!.length >= 4096 / 400, 'the first request carried a full request of messages');
  done();
});

test('offerBytes: values given as bytes of a shared buffer are delivered as offer delivers them, from memory and through the spool', async () => {
  const kafka = fakeKafka();
  const sent: Message[] = [];
  const send = async (batch: TopicMessages[]): Promise<void> => {
    await kafka.send(batch);
    for (const t of batch) sent.push(...t.messages);
  };
  const { p, spool } = publisherHarness({ send, maxQueued: 1000, spoolAfterMs: 200, lingerMs: 5 });
  // The values back to back in one slab, as the registry encodes events.
  const slab = Buffer.from(Array.from({ length: 500 }, (_, i) => `m${i}`).join(''));
  const key = Buffer.from('h');
  const headers = Object.freeze({ kind: 'file' });
  let at = 0;
  const offerBytes = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const length = `m${i}`.length;
      const size = sizeOf({ key, value: slab.subarray(at, at + length), headers });
      assert.ok(p.offerBytes(i % 3 ? 't.file' : 't.net', key, headers, slab.buffer, slab.byteOffset + at, length, 1_764_000_000_000 + i, size));
      at += length;
    }
  };
  p.start();
  offerBytes(0, 100);
  assert.equal(await p.flush(5000), true);
  kafka.mode = 'away';
  offerBytes(100, 400);
  await waitFor('spooling', () => p.state === 'spooling');
  offerBytes(400, 500); // straight to disk
  assert.equal(spool!.stats().appended, 400);
  kafka.mode = 'up';
  assert.equal(await p.flush(5000), true);
  assert.deepEqual(kafka.taken.get('t.file'), expected(0, 500, 't.file'));
  assert.deepEqual(kafka.taken.get('t.net'), expected(0, 500, 't.net'));
  const fromMemory = sent.filter((m) => Number(String(m.value).slice(1)) < 100);
  assert.equal(fromMemory.length, 100);
  for (const m of fromMemory) {
    const i = Number(String(m.value).slice(1));
    assert.deepEqual(m.key, key);
    assert.equal(m.headers, headers, 'the shared headers object');
    assert.equal(Number(m.timestamp), 1_764_000_000_000 + i);
  }
  p.close();
  assert.equal(p.offerBytes('t.file', key, headers, slab.buffer, 0, 2, 1, 70), false, 'refused once closed, as offer');
});

test('outage: the first failed send moves memory to disk; replay after it delivers everything, in order, once', async () => {
  const { kafka, spool, p, offer, states, done } = setup({ lingerMs: 5 });
  p.start();
  offer(0, 100);
  await p.flush(5000);
  kafka.mode = 'away';
  offer(100, 400);
  await waitFor('spooling', () => p.state === 'spooling');
  assert.equal(p.queued, 0, 'nothing waits in memory while Kafka is away');
  offer(400, 500); // straight to disk
  assert.equal(spool!.stats().appended, 400);
  await waitFor('a few retries', () => kafka.requests > 10);
  kafka.mode = 'up';
  assert.equal(await p.flush(5000), true);
  assert.deepEqual(kafka.taken.get('t.file'), expected(0, 500, 't.file'));
  assert.deepEqual(kafka.taken.get('t.net'), expected(0, 500, 't.net'));
  assert.deepEqual(states, ['memory', 'spooling', 'replaying', 'memory']);
  assert.ok(spool!.isEmpty());
  done();
});

test('a request that is not acknowledged within the bound: memory, the request in flight included, goes to disk; its late success is not sent twice', async () => {
  const { kafka, spool, p, offer, states, done } = setup({ batchSize: 40 });
  p.start();
  kafka.mode = 'hang';
  offer(0, 100); // 40 in flight, 60 queued behind
  await waitFor('spooled by age', () => p.state === 'spooling');
  assert.equal(p.queued, 0);
  assert.equal(spool!.stats().appended, 100, 'the request in flight is on disk too');
  offer(100, 120);
  kafka.mode = 'up';
  kafka.hanging.shift()!.release(true); // the broker answers after all
  assert.equal(await p.flush(5000), true);
  assert.deepEqual(kafka.all().sort(), Array.from({ length: 120 }, (_, i) => `m${i}`).sort(), 'each message exactly once');
  assert.deepEqual(kafka.taken.get('t.file'), expected(0, 120, 't.file'));
  assert.deepEqual(states, ['memory', 'spooling', 'replaying', 'memory']);
  done();
});

test('a request in flight that fails after it was moved to disk is replayed from there', async () => {
  const { kafka, p, offer, done } = setup({ batchSize: 40 });
  p.start();
  kafka.mode = 'hang';
  offer(0, 60);
  await waitFor('spooled by age', () => p.state === 'spooling');
  kafka.mode = 'up';
  kafka.hanging.shift()!.release(false); // request timeout
  await delivered(p);
  assert.deepEqual(kafka.taken.get('t.file'), expected(0, 60, 't.file'));
  assert.deepEqual(kafka.taken.get('t.net'), expected(0, 60, 't.net'));
  done();
});

test('a partial failure (one topic taken, then an error) is retried whole: every message at least once, each topic in order', async () => {
  const { kafka, p, offer, done } = setup({ batchSize: 30 });
  kafka.failAfterFirstTopic = 3;
  p.start();
  offer(0, 200);
  await delivered(p);
  for (const topic of ['t.file', 't.net']) {
    const got = kafka.taken.get(topic)!;
    const firstSeen = got.filter((v, i) => got.indexOf(v) === i);
    assert.deepEqual(firstSeen, expected(0, 200, topic));
  }
  assert.ok(kafka.all().length > 200, 'the retried topic was sent twice');
  done();
});

test('requests refused as too large are split until they pass; a single message refused for good is dropped and counted', async () => {
  const { kafka, p, offer, done } = setup({ batchSize: 50 });
  kafka.maxMessages = 7;
  kafka.poison = 'm33';
  p.start();
  offer(0, 120);
  assert.equal(await p.flush(5000), true);
  const want = (t: string) => expected(0, 120, t).filter((v) => v !== 'm33');
  assert.deepEqual(kafka.taken.get('t.file'), want('t.file'));
  assert.deepEqual(kafka.taken.get('t.net'), want('t.net'));
  assert.equal(p.stats().rejected, 1);
  done();
});

test('the same splitting works on a replay from the spool', async () => {
  const dir = tmp();
  const first = setup({ spoolDir: dir });
  first.kafka.mode = 'away';
  first.p.start();
  first.offer(0, 90);
  await waitFor('spooling', () => first.p.state === 'spooling');
  first.done();
  const second = setup({ spoolDir: dir });
  second.kafka.maxMessages = 4;
  second.p.start();
  assert.equal(await second.p.flush(5000), true);
  assert.deepEqual(second.kafka.taken.get('t.file'), expected(0, 90, 't.file'));
  assert.deepEqual(second.kafka.taken.get('t.net'), expected(0, 90, 't.net'));
  second.done();
});

test('a replay cuts requests by their whole size (keys and headers too), like memory does', async () => {
  const dir = tmp();
  const headers = { kind: 'file', schema: 'f'.repeat(16), host: 'h'.repeat(32) };
  const first = setup({ spoolDir: dir, batchSize: 1000 });
  first.kafka.mode = 'away';
  first.p.start();
  for (let i = 0; i < 300; i++) first.p.offer('t.file', { key: 'host-key-0123456789', value: Buffer.from(`m${i}`), headers });
  await waitFor('spooling', () => first.p.state === 'spooling');
  first.done();
  const second = setup({ spoolDir: dir, batchSize: 1000, maxBatchBytes: 4000 });
  second.p.start();
  assert.equal(await second.p.flush(5000), true);
  assert.equal(second.kafka.taken.get('t.file')!.length, 300);
  const one = sizeOf({ key: 'host-key-0123456789', value: Buffer.from('m100'), headers });
  assert.ok(second.kafka.largest <= 4000 + one, `a request of ${second.kafka.largest} estimated bytes`);
  second.done();
});

test('replay order: a spool left by the last run goes first, then what is offered now', async () => {
  const dir = tmp();
  const first = setup({ spoolDir: dir });
  first.kafka.mode = 'away';
  first.p.start();
  first.offer(0, 150);
  await waitFor('spooling', () => first.p.state === 'spooling');
  first.done();
  const second = setup({ spoolDir: dir });
  assert.equal(second.p.state, 'replaying');
  second.offer(150, 300); // before sending starts: behind the old spool, on disk
  second.p.start();
  assert.equal(await second.p.flush(5000), true);
  assert.deepEqual(second.kafka.taken.get('t.file'), expected(0, 300, 't.file'));
  assert.deepEqual(second.kafka.taken.get('t.net'), expected(0, 300, 't.net'));
  assert.deepEqual(second.states, ['replaying', 'memory']);
  second.done();
});

test('shutdown without a broker: flush says so at once, close leaves every message in the spool, in order', async () => {
  const dir = tmp();
  const { kafka, p, offer, done } = setup({ spoolDir: dir, spoolAfterMs: 60_000 });
  kafka.mode = 'away';
  p.start();
  offer(0, 80);
  assert.equal(await p.flush(30_000), false, 'Kafka away: nothing to wait for');
  offer(80, 100);
  done();
  const reopened = openSpool({ dir, maxBytes: 1 << 20, logger: quietLogger });
  const back = reopened.read(1000, 1 << 30).map((r) => String(r.rec.value));
  assert.deepEqual(
    back,
    Array.from({ length: 100 }, (_, i) => `m${i}`),
  );
  reopened.close();
});

test('before start (topics not checked yet), messages older than the bound go to disk; flush does not wait', async () => {
  const { spool, p, offer, done } = setup({ spoolAfterMs: 50 });
  offer(0, 30);
  await waitFor('spooled by age', () => p.state === 'spooling');
  assert.equal(spool!.stats().appended, 30);
  assert.equal(await p.flush(30_000), false);
  done();
});

test('without a spool: a failed send is retried from memory, and a full queue refuses offers and counts them', async () => {
  const { kafka, p, done } = setup({ spoolDir: null, maxQueued: 20, batchSize: 5 });
  kafka.mode = 'away';
  p.start();
  let refused = 0;
  for (let i = 0; i < 30; i++) if (!p.offer('t.file', { key: 'h', value: Buffer.from(`m${i}`) })) refused++;
  assert.equal(refused, 10);
  assert.equal(p.stats().queueFull, 10);
  await waitFor('retries', () => kafka.requests > 3);
  kafka.mode = 'up';
  assert.equal(await p.flush(5000), true);
  assert.deepEqual(
    kafka.taken.get('t.file'),
    Array.from({ length: 20 }, (_, i) => `m${i}`),
  );
  done();
});

test('an outage is logged once, then summarised at a steady pace, not once per failed attempt', async () => {
  const { logger, lines } = capture();
  const { kafka, p, offer, done } = setup({ logger, outageLogMs: 60_000 });
  p.start();
  kafka.mode = 'away';
  offer(0, 10);
  await waitFor('many failed attempts', () => kafka.requests > 30);
  const warnings = lines.filter((l) => l.level >= 40).map((l) => l.msg);
  assert.deepEqual(warnings, ['spooling to disk until Kafka takes messages again']);
  kafka.mode = 'up';
  await p.flush(5000);
  const after = lines.map((l) => l.msg);
  assert.ok(after.includes('Kafka takes messages again: replaying the spool'));
  assert.ok(after.includes('spool drained: back to sending from memory'));
  assert.equal(after.filter((m) => /spool drained/.test(m)).length, 1);
  done();
});

test('"spool drained" is never said while Kafka is still away', async () => {
  const { logger, lines } = capture();
  const { kafka, p, offer, done } = setup({ logger });
  kafka.mode = 'away';
  p.start();
  offer(0, 5);
  await waitFor('many failed attempts', () => kafka.requests > 20);
  assert.equal(lines.filter((l) => /spool drained/.test(l.msg)).length, 0);
  done();
});
