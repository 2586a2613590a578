/**
 * Writer schemas on Kafka: each schema a producer writes is published to <prefix>.schemas
 * (compacted), keyed by its fingerprint, valued by its full JSON. Consumers load the topic so
 * they can decode messages written by producers newer (or older) than themselves.
 */
import type { Kafka } from 'kafkajs';
import { withAdmin } from '../common/admin';
import type { Logger } from '../common/logger';
import { parseSchema, type SchemaEntry, type SchemaRegistry } from './registry';

export interface SchemaMessage {
  key: string;
  value: Buffer;
}

/** The message that publishes one writer schema. */
export function schemaMessage(entry: SchemaEntry): SchemaMessage {
  return { key: entry.id, value: Buffer.from(JSON.stringify(entry.type.schema({ exportAttrs: true }))) };
}

/**
 * Read the whole schemas topic (up to its end when called) into the registry. Returns how many
 * schemas were added. A malformed entry is logged and skipped.
 */
export async function loadSchemas(kafka: Kafka, topic: string, registry: SchemaRegistry, logger: Logger): Promise<number> {
  const ends = await withAdmin(kafka, async (admin) =>
    (await admin.listTopics()).includes(topic) ? new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])) : new Map<number, bigint>(),
  );
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (pending.size === 0) return 0;
  let added = 0;
  const consumer = kafka.consumer({ groupId: `ebpf-audit-schemas-${process.pid}-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (message.value) {
              try {
                const before = registry.size;
                const entry = registry.add(parseSchema(message.value.toString('utf8')));
                if (message.key && message.key.toString() !== entry.id) throw new Error(`key ${message.key} is not the schema's fingerprint ${entry.id}`);
                if (registry.size > before) added++;
              } catch (err) {
                logger.warn({ topic, partition, offset: message.offset, err }, 'malformed schema message skipped');
              }
            }
            if (BigInt(message.offset) + 1n >= ends.get(partition)!) pending.delete(partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return added;
}
