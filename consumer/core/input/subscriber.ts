/**
 * The subscribe-and-decode core shared by `tail` and `detect`: subscribes to the event topics,
 * decodes every message into its kind's current schema, and hands events on in partition order.
 * A malformed message is counted, logged with topic/partition/offset and skipped, never fatal.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { errorMessage } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import { waitForTopics } from '../../../common/topic-admin';
import { kindOfTopic, schemasTopic, topicFor } from '../../../common/topics';
import { loadSchemas } from '../../../schemas/publication';
import { UnknownSchemaError, type SchemaRegistry } from '../../../schemas/registry';
import type { AuditEvent, EventKind } from '../../../schemas/types';

export interface SubscriberOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  topicPrefix: string;
  kinds: readonly EventKind[];
  /** Consumer group; undefined = an ephemeral group of our own. */
  groupId?: string;
  fromBeginning: boolean;
  /** Start at this time (ms since the epoch): seek each partition there, skip anything older. */
  sinceMs?: number;
  /** Called in order within a partition; may return a promise to apply backpressure. */
  onEvent: (ev: AuditEvent) => void | Promise<void>;
  /**
   * Called after each fetched batch, before its offsets can be committed: what the batch caused
   * (detect's alerts) is made durable here, so a crash re-reads the batch rather than losing it.
   */
  afterBatch?: () => Promise<void>;
  /**
   * Called once every partition has been read up to the end offset it had when we subscribed
   * (batch jobs: scan history, then exit). Meant for a consumer that holds every partition.
   */
  onEnd?: () => void;
}

export interface SubscriberStats {
  received: number;
  decoded: number;
  malformed: number;
}

export interface Subscriber {
  /**
   * Wait for the topics, join the group and start fetching. Resolves once joined, or without
   * subscribing when `stop` aborts first.
   */
  start(stop: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  stats(): SubscriberStats;
}

export function createSubscriber(opts: SubscriberOptions): Subscriber {
  const log = opts.logger.child({ component: 'subscriber' });
  const groupId = opts.groupId ?? `ebpf-audit-ephemeral-${randomUUID()}`;
  const consumer: Consumer = opts.kafka.consumer({ groupId, allowAutoTopicCreation: true, sessionTimeout: 30000, heartbeatInterval: 3000 });
  const stats: SubscriberStats = { received: 0, decoded: 0, malformed: 0 };
  let stopped = false;
  let lastSchemaLoad = 0;
  const since = opts.sinceMs;

  /** Message timestamps are event times: Kafka's time index finds the first offset at `ms`. */
  async function seekToTime(topics: string[], ms: number): Promise<void> {
    const admin = opts.kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        const [byTime, ends] = await retrying(() => Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, ms), admin.fetchTopicOffsets(topic)]));
        for (const { partition, offset } of byTime) {
          // -1: nothing that recent in this partition; start at its end.
          const high = ends.find((e) => e.partition === partition)!.high;
          const to = offset === '-1' ? high : offset;
          consumer.seek({ topic, partition, offset: to });
          if (BigInt(to) >= BigInt(high)) reached(topic, partition, BigInt(to)); // nothing to read there
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Writer schemas from <prefix>.schemas: at start, and again (at most every 5 s) on an unknown one. */
  async function loadWriterSchemas(): Promise<void> {
    lastSchemaLoad = Date.now();
    const added = await loadSchemas(opts.kafka, schemasTopic(opts.topicPrefix), opts.registry, log);
    if (added) log.info({ added }, 'writer schemas loaded from the schemas topic');
  }

  /** Later reloads: a failure is logged, and the messages that need the schema count as malformed. */
  async function refreshSchemas(): Promise<void> {
    try {
      await loadWriterSchemas();
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not read the schemas topic');
    }
  }

  /**
   * After a failed decode: a writer newer than the last load may have its schema on the topic by
   * now (reloaded at most every 5 s). Rejects with the error that makes the message malformed.
   */
  async function retryWithNewSchemas(kind: EventKind | undefined, value: Buffer | null, err: unknown): Promise<AuditEvent> {
    if (!kind || !value || !(err instanceof UnknownSchemaError) || Date.now() - lastSchemaLoad < 5000) throw err;
    await refreshSchemas();
    return { kind, event: opts.registry.decode(kind, value) } as AuditEvent;
  }

  /** End offsets at subscription, per "topic/partition", for onEnd; removed as each is reached. */
  const ends = new Map<string, bigint>();
  const reached = (topic: string, partition: number, next: bigint): void => {
    const key = `${topic}/${partition}`;
    const end = ends.get(key);
    if (end === undefined || next < end) return;
    ends.delete(key);
    if (ends.size === 0) opts.onEnd?.();
  };

  async function fetchEnds(topics: string[]): Promise<void> {
    const admin = opts.kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        for (const p of await retrying(() => admin.fetchTopicOffsets(topic))) if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Admin calls right after a broker (re)start: metadata already names a leader that still
   * answers NOT_LEADER while it loads its logs. Retry what Kafka calls retriable, for up to 30 s.
   */
  async function retrying<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
        log.debug({ err: errorMessage(err) }, 'retrying an admin call');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Partitions the group starts reading at their end get no batch: count them as reached now. */
  async function skipCommitted(topics: string[]): Promise<void> {
    const admin = opts.kafka.admin();
    await admin.connect();
    try {
      for (const t of await retrying(() => admin.fetchOffsets({ groupId, topics }))) {
        for (const p of t.partitions) {
          // No commit: the group starts at the oldest offset (fromBeginning) or at the end.
          if (p.offset !== '-1') reached(t.topic, p.partition, BigInt(p.offset));
          else if (!opts.fromBeginning) reached(t.topic, p.partition, ends.get(`${t.topic}/${p.partition}`) ?? 0n);
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  return {
    async start(stop) {
      const topics = opts.kinds.map((k) => topicFor(opts.topicPrefix, k));
      if (!(await waitForTopics(opts.kafka, topics, log, stop))) return;
      await retrying(loadWriterSchemas).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'could not read the schemas topic'));
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: opts.fromBeginning || opts.sinceMs !== undefined });
      if (opts.onEnd) {
        await fetchEnds(topics);
        if (ends.size === 0) opts.onEnd();
      }
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({
        // Ephemeral groups commit too: a rebalance (frequent right after a broker restart) then
        // resumes where we were instead of re-reading, and printing again, from the start.
        autoCommit: true,
        // We resolve the last handled offset ourselves: a stop in the middle of a batch commits
        // only what was handled (auto-resolve would commit the whole batch). Once per batch, as
        // kafkajs's resolveOffset costs about 0.7 µs.
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          const kind = kindOfTopic(opts.topicPrefix, batch.topic);
          let handled: string | undefined;
          let n = 0;
          for (const message of batch.messages) {
            // isStale() (a seek) JSON-encodes a key per call: every 128 messages is soon enough.
            if (stopped || ((n++ & 127) === 0 && (!isRunning() || isStale()))) break;
            handled = message.offset;
            if (since !== undefined && Number(message.timestamp) < since) continue; // before the seek took effect
            stats.received++;
            let ev: AuditEvent | undefined;
            try {
              if (!kind) throw new Error(`topic ${batch.topic} is not an event topic`);
              if (!message.value) throw new Error('empty message (tombstone)');
              // Synchronous on the hot path: an await per message costs a microtask turn.
              ev = { kind, event: opts.registry.decode(kind, message.value) } as AuditEvent;
            } catch (err) {
              ev = await retryWithNewSchemas(kind, message.value, err).catch((final: unknown) => {
                stats.malformed++;
                log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset, err: errorMessage(final), malformed: stats.malformed }, 'malformed message skipped');
                return undefined;
              });
            }
            if (ev) {
              stats.decoded++;
              const r = opts.onEvent(ev);
              if (r) await r;
            }
          }
          if (opts.afterBatch) await opts.afterBatch();
          if (handled !== undefined) {
            resolveOffset(handled);
            if (opts.onEnd) reached(batch.topic, batch.partition, BigInt(handled) + 1n);
          }
          await heartbeat();
        },
      });
      await joined;
      if (since !== undefined) await seekToTime(topics, since);
      if (opts.onEnd && since === undefined) await skipCommitted(topics);
      log.info({ groupId, topics, fromBeginning: opts.fromBeginning, since: opts.sinceMs }, 'subscribed');
    },
    async stop() {
      stopped = true;
      await consumer.disconnect();
    },
    stats: () => ({ ...stats }),
  };
}
