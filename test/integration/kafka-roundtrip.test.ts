/** Publisher -> real broker -> subscriber, including malformed messages in the topic. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { topicFor } from '../../common/topics';
import { createSubscriber } from '../../consumer/core/input/subscriber';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent, FileEvent } from '../../schemas/types';
import { needsBroker, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { fileEvent, netEvent } from '../unit/samples';

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

  const got: AuditEvent[] = [];
  const ctl = new AbortController();
  const allIn = new Promise<void>((resolve) => {
    const sub = createSubscriber({
      kafka, logger: quietLogger, registry, topicPrefix: prefix, kinds: ['file', 'net', 'process'], fromBeginning: true,
      onEvent: (ev) => {
        got.push(ev);
        if (got.length === 1001) resolve();
      },
    });
    void sub.start(ctl.signal);
    t.after(async () => {
      await sub.stop();
      const s = sub.stats();
      assert.equal(s.malformed, 3);
      assert.equal(s.decoded, 1001);
    });
  });
  await allIn;
  const files = got.filter((e): e is Extract<AuditEvent, { kind: 'file' }> => e.kind === 'file');
  assert.equal(files.length, 1000);
  assert.equal(got.filter((e) => e.kind === 'net').length, 1);
  for (const h of hosts) {
    const seq = files.filter((e) => e.event.host.id === h).map((e) => Number(e.event.ktime_ns));
    assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `events of ${h} out of order`);
    assert.equal(seq.length, h === 'host-a' ? 334 : 333);
  }
});
