/** Topic existence: the producer creates its topics at start; consumers wait for them to appear. */
import type { Kafka } from 'kafkajs';
import type { Logger } from './logger';

/** Create any missing topic with the broker's defaults (partitions, replication). */
export async function ensureTopics(kafka: Kafka, topics: string[], logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    logger.info({ topics: missing }, 'created topics');
  } finally {
    await admin.disconnect();
  }
}

/** Resolve once every topic exists with a leader for each partition; re-check every intervalMs. */
export async function waitForTopics(kafka: Kafka, topics: string[], logger: Logger, stop: AbortSignal, intervalMs = 1000): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  let told = false;
  try {
    while (!stop.aborted) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) {
        const meta = await admin.fetchTopicMetadata({ topics });
        if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return true;
      } else if (!told) {
        told = true;
        logger.warn({ topics: missing }, 'waiting for topics to be created (start the producer)');
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return false;
  } finally {
    await admin.disconnect();
  }
}
