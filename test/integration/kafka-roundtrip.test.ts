/** Publisher -> real broker -> subscriber, including malformed messages in the topic. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withAdmin } from '../../common/admin';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { topicFor } from '../../common/topics';
import { createSubscriber } from '../../consumer/core/input/subscriber';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent, FileEvent } from '../../schemas/types';
import { needsBroker, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { fileEvent, netEvent } from '../helpers/samples';

test('1000 events keep per-host order; malformed messages are counted and skipped', { timeout: 120000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('roundtrip');
  const kafka = testKafka('roundtrip');
  const registry = createSchemaRegistry();
  const fileTopic = topicFor(prefix, 'file');
  const netTopic = topicFor(prefix, 'net');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);

  const publisher = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 5, batchSize: 300, maxQueued: 5000, compression: 'GZIP' });
  await publisher.connect();
  const hosts = ['host-a', 'host-b', 'host-c'];
  for (let i = 0; i < 1000; i++) {
    const host = hosts[i % 3];
    const ev: FileEvent = { ...fileEvent, host: { ...fileEvent.host, id: host }, ktime_ns: BigInt(i), path: `/tmp/f${i}` };
    assert.ok(publisher.offer(fileTopic, { key: host, value: registry.encode('file', ev) }));
    if (i === 500) {
      // Garbage in the middle of the stream: random bytes, a truncated record, an unknown schema.
      const good = registry.encode('file', ev);
      publisher.offer(fileTopic, { key: host, value: Buffer.from('not avro at all') });
      publisher.offer(fileTopic, { key: host, value: good.subarray(0, 20) });
      publisher.offer(fileTopic, { key: host, value: Buffer.concat([Buffer.from([0xc3, 1, 1, 2, 3, 4, 5, 6, 7, 8]), good.subarray(10)]) });
    }
  }
  publisher.offer(netTopic, { key: 'host-a', value: registry.encode('net', netEvent) });
  await publisher.flush(30000);
  assert.equal(publisher.stats().sent, 1004);
  await publisher.disconnect();

  // Delivery is at-least-once: a request the broker wrote but answered late is sent again, and its
  // batch then stands twice in the partition. Expect what the topics hold, and order by first
  // occurrence, which is the guarantee.
  const total = await withAdmin(kafka, async (admin) => {
    let n = 0;
    for (const topic of [fileTopic, netTopic]) for (const p of await admin.fetchTopicOffsets(topic)) n += Number(p.high) - Number(p.low);
    return n;
  });
  assert.ok(total >= 1004, `${total} messages in the topics`);
  const got: AuditEvent[] = [];
  const ctl = new AbortController();
  const sub = createSubscriber({
    kafka,
    logger: quietLogger,
    registry,
    topicPrefix: prefix,
    kinds: ['file', 'net', 'process'],
    fromBeginning: true,
    onEvent: (ev) => void got.push(ev),
  });
  t.after(() => sub.stop());
  await sub.start(ctl.signal);
  for (let i = 0; i < 600 && sub.stats().received < total; i++) await new Promise((r) => setTimeout(r, 100));
  const s = sub.stats();
  assert.equal(s.received, total, 'every message in the topics handled once');
  assert.equal(s.decoded + s.malformed, total);
  assert.ok(s.malformed >= 3, `${s.malformed} malformed: the three bad records, as often as they were written`);
  const files = got.filter((e): e is Extract<AuditEvent, { kind: 'file' }> => e.kind === 'file');
  assert.equal(new Set(files.map((e) => e.event.path)).size, 1000);
  assert.ok(got.some((e) => e.kind === 'net'));
  for (const h of hosts) {
    const seen = new Set<number>();
    const seq = files
      .filter((e) => e.event.host.id === h)
      .map((e) => Number(e.event.ktime_ns))
      .filter((k) => !seen.has(k) && seen.add(k));
    assert.deepEqual(
      seq,
      [...seq].sort((a, b) => a - b),
      `events of ${h} out of order`,
    );
    assert.equal(seq.length, h === 'host-a' ? 334 : 333);
  }
});
