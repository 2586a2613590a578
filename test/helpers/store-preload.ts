/** Events into a fresh topic set, as the producer writes them (keyed by host, event time as the Kafka timestamp). */
import type { Message } from 'kafkajs';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { alertsTopic, schemasTopic, topicFor } from '../../common/topics';
import { schemaMessage } from '../../schemas/publication';
import { createSchemaRegistry, type SchemaKind } from '../../schemas/registry';
import type { AuditEvent } from '../../schemas/types';
import type { Alert } from '../../consumer/rules/engine';
import { alertToAvro } from '../../consumer/detect/alert-format';
import { withAdmin } from '../../common/admin';
import { exactProducer, quietLogger, testKafka } from './kafka';

const registry = createSchemaRegistry();

export async function createTopicSet(prefix: string): Promise<void> {
  const kafka = testKafka('store-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const producer = exactProducer(kafka);
  await producer.connect();
  for (const kind of ['file', 'net', 'process', 'alert'] as SchemaKind[]) await producer.send({ topic: schemasTopic(prefix), messages: [schemaMessage(registry.current(kind))] });
  await producer.disconnect();
}

/** Send events (and alerts) in batches; extra raw messages (malformed ones) go to the file topic. */
export async function preload(prefix: string, events: AuditEvent[], opts: { alerts?: Alert[]; raw?: Buffer[]; batch?: number } = {}): Promise<void> {
  const producer = exactProducer(testKafka('store-preload'));
  await producer.connect();
  const BATCH = opts.batch ?? 5000;
  for (let i = 0; i < events.length; i += BATCH) {
    const byTopic = new Map<string, Message[]>();
    for (const ev of events.slice(i, i + BATCH)) {
      const topic = topicFor(prefix, ev.kind);
      const list = byTopic.get(topic) ?? [];
      list.push({ key: ev.event.host.id, value: registry.encode(ev.kind, ev.event), timestamp: String(ev.event.time_ns / 1_000_000n) });
      byTopic.set(topic, list);
    }
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1 });
  }
  if (opts.alerts?.length) {
    const messages = opts.alerts.map((a) => ({ key: a.host.id, value: registry.encode('alert', alertToAvro(a)), timestamp: String(a.time_ns / 1_000_000n) }));
    await producer.send({ topic: alertsTopic(prefix), messages, acks: -1 });
  }
  if (opts.raw?.length) await producer.send({ topic: topicFor(prefix, 'file'), messages: opts.raw.map((value) => ({ key: 'x', value })), acks: -1 });
  await producer.disconnect();
}

/** Messages in a prefix's event and alert topics (what the broker holds; a retried send may have written a batch twice). */
export async function messagesIn(prefix: string): Promise<number> {
  return withAdmin(
    testKafka('store-count'),
    async (admin) => {
      let n = 0;
      for (const topic of [...(['file', 'net', 'process'] as const).map((k) => topicFor(prefix, k)), alertsTopic(prefix)]) {
        n += (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
      }
      return n;
    },
    { retry: {} },
  );
}
