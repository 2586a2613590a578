/** Every compression codec round-trips through the real broker (which decompresses to validate). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { topicFor } from '../../common/topics';
import { createSubscriber } from '../../consumer/core/input/subscriber';
import { COMPRESSIONS } from '../../producer/config';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { createSchemaRegistry } from '../../schemas/registry';
import { needsBroker, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { fileEvent } from '../helpers/samples';

for (const codec of COMPRESSIONS) {
  test(`compression ${codec}: 500 events produced and consumed intact`, { timeout: 90000 }, async (t) => {
    if (await needsBroker(t)) return;
    const prefix = uniquePrefix(`codec-${codec.toLowerCase()}`);
    const kafka = testKafka(`codec-${codec}`);
    await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
    const registry = createSchemaRegistry();
    const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 5, batchSize: 200, maxQueued: 1000, compression: codec });
    await p.connect();
    for (let i = 0; i < 500; i++) p.offer(topicFor(prefix, 'file'), { key: 'h', value: registry.encode('file', { ...fileEvent, path: `/c/${i}` }) });
    await p.flush(30000);
    assert.equal(p.stats().sent, 500);
    assert.equal(p.stats().sendErrors, 0);
    await p.disconnect();
    const paths: string[] = [];
    const ctl = new AbortController();
    const sub = createSubscriber({
      kafka,
      logger: quietLogger,
      registry,
      topicPrefix: prefix,
      kinds: ['file'],
      fromBeginning: true,
      onEvent: (ev) => void (ev.kind === 'file' && paths.push(ev.event.path)),
    });
    await sub.start(ctl.signal);
    for (let i = 0; i < 100 && paths.length < 500; i++) await new Promise((r) => setTimeout(r, 200));
    await sub.stop();
    assert.deepEqual(
      paths,
      Array.from({ length: 500 }, (_, i) => `/c/${i}`),
    );
    assert.equal(sub.stats().malformed, 0);
  });
}
