/** Real-broker helpers for integration tests. */
import pino from 'pino';
import type { Kafka, Producer } from 'kafkajs';
import { withAdmin } from '../../common/admin';
import { createKafka, parseBrokers } from '../../common/kafka';
import { BROKERS } from './env';

export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function testKafka(clientId: string): Kafka {
  return createKafka({ brokers: parseBrokers(BROKERS), clientId, logger: quietLogger });
}

/**
 * Messages a topic holds (high - low watermark summed over partitions). Retried on Kafka's
 * retriable answers: a leader can still answer NOT_LEADER seconds after a topic's creation (seen
 * in CI under load), and the admin is always disconnected, so a failure cannot leave a test file
 * hanging on an open connection.
 */
export async function messagesInTopic(topic: string): Promise<number> {
  return withAdmin(testKafka('count'), async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0), { retry: {} });
}

/**
 * A producer whose retries never write a message twice, for tests that count what the broker
 * holds. kafkajs retries a whole request when one partition of it fails (NOT_LEADER on a topic
 * just created), which rewrites the partitions that had succeeded: a CI run stored 594 of 300
 * preloaded events that way. An idempotent producer has the broker drop those repeats.
 */
export function exactProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
}

import { createSubscriber } from '../../consumer/core/input/subscriber';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent, EventKind } from '../../schemas/types';

/** Read a prefix's topics from the beginning until `done` holds for one event (or time runs out). */
export async function findEvent(prefix: string, kinds: EventKind[], match: (ev: AuditEvent) => boolean, timeoutMs: number): Promise<AuditEvent> {
  const ctl = new AbortController();
  let sub: ReturnType<typeof createSubscriber> | undefined;
  try {
    return await new Promise<AuditEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event in ${prefix} within ${timeoutMs} ms`)), timeoutMs);
      sub = createSubscriber({
        kafka: testKafka('find-event'),
        logger: quietLogger,
        registry: createSchemaRegistry(),
        topicPrefix: prefix,
        kinds,
        fromBeginning: true,
        onEvent: (ev) => {
          if (match(ev)) {
            clearTimeout(timer);
            resolve(ev);
          }
        },
      });
      sub.start(ctl.signal).catch(reject);
    });
  } finally {
    ctl.abort();
    await sub?.stop();
  }
}

/** A topic's messages from the beginning (raw values), read until `done(values)` holds. */
export async function readTopic(topic: string, done: (values: Buffer[]) => boolean, timeoutMs: number): Promise<Buffer[]> {
  const consumer = testKafka('read-topic').consumer({ groupId: `test-read-${process.pid}-${Date.now()}` });
  const values: Buffer[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic}: ${values.length} messages and not done within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value) values.push(message.value);
          if (done(values)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}
