/**
 * The project's topics and their settings: the producer creates missing ones at start, the topics
 * command creates or checks them explicitly, consumers wait for them.
 */
import { ConfigResourceTypes, type Admin, type ITopicConfig, type Kafka } from 'kafkajs';
import { pollUntil, withAdmin } from './admin';
import { ConfigError } from './errors';
import type { Logger } from './logger';
import { EVENT_KINDS } from '../schemas/types';
import { alertsTopic, schemasTopic, statsTopic, topicFor } from './topics';

export interface TopicSettings {
  /** -1: the broker's default. */
  partitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  /** undefined: the broker's default. */
  retentionMs?: number;
}

export const BROKER_DEFAULTS: TopicSettings = { partitions: -1, replicationFactor: -1 };

/** Event, stats and alerts topics as configured; the schemas topic compacted, one partition, kept forever. */
export function topicSpecs(prefix: string, s: TopicSettings): ITopicConfig[] {
  const retention = s.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }];
  return [...EVENT_KINDS.map((k) => topicFor(prefix, k)), statsTopic(prefix), alertsTopic(prefix)]
    .map((topic) => ({ topic, numPartitions: s.partitions, replicationFactor: s.replicationFactor, configEntries: retention }))
    .concat({ topic: schemasTopic(prefix), numPartitions: 1, replicationFactor: s.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] });
}

/** Answers that mean "not yet" for a topic being created or a broker still loading. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

/**
 * true when every partition of every topic has a leader that answers as one; false while the
 * broker says "not yet". Metadata names the leader before that broker has taken the partition
 * on: a ListOffsets then still gets NOT_LEADER (seen in CI under load, seconds after creation),
 * and so would a produce request, which kafkajs retries whole, writing its other partitions'
 * messages twice. So the offsets are asked for too: each goes to the partition's leader.
 */
async function leadersReady(admin: Admin, topics: string[]): Promise<boolean> {
  try {
    const meta = await admin.fetchTopicMetadata({ topics });
    if (!meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return false;
    for (const topic of topics) await admin.fetchTopicOffsets(topic);
    return true;
  } catch (err) {
    if (NOT_YET.has((err as { type?: string }).type ?? '')) return false;
    throw err;
  }
}

/**
 * Wait until the topics have leaders. kafkajs's own createTopics(waitForLeaders) retries only
 * LEADER_NOT_AVAILABLE, but Kafka 4 also answers UNKNOWN_TOPIC_OR_PARTITION for a topic it has
 * just created (most often right after a restart).
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  await pollUntil(() => leadersReady(admin, topics), { what: `leaders of topics ${topics.join(', ')}`, everyMs: 200, forMs: timeoutMs });
}

/** Answers to a topic creation that no retry changes: the request's settings are the problem. */
const BAD_SETTINGS = new Set(['INVALID_REPLICATION_FACTOR', 'INVALID_PARTITIONS', 'INVALID_CONFIG', 'POLICY_VIOLATION']);

/**
 * kafkajs reports a refused creation as "Topic creation errors" with the reasons inside: name each
 * topic and reason, and for a replication factor the number of brokers it must not exceed.
 */
async function creationError(admin: Admin, err: unknown, specs: ITopicConfig[]): Promise<Error> {
  const errors = (err as { errors?: { topic?: string; type?: string; message?: string }[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return err as Error;
  let brokers: number | undefined;
  if (errors.some((e) => e.type === 'INVALID_REPLICATION_FACTOR')) brokers = (await admin.describeCluster().catch(() => undefined))?.brokers.length;
  const byReason = new Map<string, string[]>();
  for (const e of errors) {
    const spec = specs.find((t) => t.topic === e.topic);
    const why =
      e.type === 'INVALID_REPLICATION_FACTOR' && brokers !== undefined
        ? `replication factor ${spec?.replicationFactor}, but the cluster has ${brokers} broker${brokers === 1 ? '' : 's'}`
        : `${e.type ?? 'error'} (${e.message ?? ''})`;
    byReason.set(why, [...(byReason.get(why) ?? []), e.topic ?? '?']);
  }
  const msg = `cannot create topics: ${[...byReason].map(([why, topics]) => `${why}: ${topics.join(', ')}`).join('; ')}`;
  return errors.every((e) => BAD_SETTINGS.has(e.type ?? '')) ? new ConfigError(msg) : new Error(msg, { cause: err });
}

/** Create the missing topics of `specs`; returns the names created. */
export async function ensureTopics(kafka: Kafka, specs: ITopicConfig[], logger: Logger): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return [];
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: false });
    } catch (err) {
      throw await creationError(admin, err, missing);
    }
    await waitForLeaders(
      admin,
      missing.map((t) => t.topic),
      30000,
    );
    logger.info({ topics: missing.map((t) => t.topic) }, 'created topics');
    return missing.map((t) => t.topic);
  });
}

/** Differences between the topics on the broker and `specs` (empty: all as specified). */
export async function checkTopics(kafka: Kafka, specs: ITopicConfig[]): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const problems: string[] = [];
    const existing = new Set(await admin.listTopics());
    const present = specs.filter((t) => existing.has(t.topic));
    for (const t of specs) if (!existing.has(t.topic)) problems.push(`${t.topic}: missing`);
    if (present.length === 0) return problems;
    const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic })),
    });
    for (const t of present) {
      const m = meta.topics.find((x) => x.name === t.topic)!;
      if (t.numPartitions !== undefined && t.numPartitions > 0 && m.partitions.length !== t.numPartitions) {
        problems.push(`${t.topic}: ${m.partitions.length} partitions, want ${t.numPartitions}`);
      }
      const rf = m.partitions[0]?.replicas.length ?? 0;
      if (t.replicationFactor !== undefined && t.replicationFactor > 0 && rf !== t.replicationFactor) {
        problems.push(`${t.topic}: replication factor ${rf}, want ${t.replicationFactor}`);
      }
      const have = configs.resources.find((r) => r.resourceName === t.topic)?.configEntries ?? [];
      for (const want of t.configEntries ?? []) {
        const got = have.find((c) => c.configName === want.name)?.configValue;
        if (got !== want.value) problems.push(`${t.topic}: ${want.name}=${got}, want ${want.value}`);
      }
    }
    return problems;
  });
}

/** Resolve once every topic exists with a leader for each partition; re-check every intervalMs. */
export async function waitForTopics(kafka: Kafka, topics: string[], logger: Logger, stop: AbortSignal, intervalMs = 1000): Promise<boolean> {
  let told = false;
  return withAdmin(kafka, (admin) =>
    pollUntil(
      async () => {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length === 0) return leadersReady(admin, topics);
        if (!told) logger.warn({ topics: missing }, 'waiting for topics to be created (start the producer)');
        told = true;
        return false;
      },
      { what: 'topics', everyMs: intervalMs, signal: stop },
    ),
  );
}
