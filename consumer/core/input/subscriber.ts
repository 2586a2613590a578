/**
 * The subscribe-and-decode core shared by every consumer command: subscribes to the topics of the
 * kinds asked for, decodes every message into its kind's current schema, and hands records on in
 * partition order. A malformed message is counted, logged with topic/partition/offset and skipped,
 * never fatal. Where each partition starts and when the end is reached is positions.ts's job.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { DecodeError } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import { waitForTopics } from '../../../common/topic-admin';
import { alertsTopic, statsTopic, topicFor } from '../../../common/topics';
import type { SchemaKind, SchemaRegistry } from '../../../schemas/registry';
import type { RegistryClient } from '../../../schemas/registry-client';
import { RegistryWaitAborted } from '../../../schemas/registry-wait';
import type { EventKind } from '../../../schemas/types';
import { createMessageDecoder, type Decoded, type RetryControl } from './decode';
import type { FollowerBatch, KindOrder, LeaderBatch, LeaderStart } from './kind-order';
import { createPositions, effectiveStart, resolveStarts, type PartitionStart, type Positions, type StartMode } from './positions';

export interface SubscriberOptions<K extends SchemaKind = EventKind> {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  /** With --schema-registry: resolves the ids of Confluent-framed messages. */
  registryClient?: RegistryClient;
  topicPrefix: string;
  kinds: readonly K[];
  /** Consumer group; undefined = an ephemeral group of our own. */
  groupId?: string;
  /** Without committed offsets, start at the oldest retained message (else: new messages only). */
  fromBeginning?: boolean;
  /** Start at this time (ms since the epoch): each partition at its first message this recent. */
  sinceMs?: number;
  /**
   * Offsets kept by the caller (the next offset to read per partition; undefined: never read, start
   * at the oldest). They override the group's commits: the store keeps them with its rows.
   */
  storedOffset?: (topic: string, partition: number) => bigint | undefined;
  /**
   * Called in order within a partition, with the message's partition and the message (read its
   * offset only when needed: the string is made when read; offsetNumber, when the patched kafkajs
   * gives it, is the same offset as a number); may return a promise to apply backpressure.
   */
  onEvent: (rec: Decoded<K>, partition: number, at: MessageAt) => void | Promise<void>;
  /**
   * Offered each message's value before it is decoded (a consumer that can use the bytes as they
   * are: tail's JSON lines), as the bytes of `buf` from `start` to `end` (a view of the fetched
   * batch: valid during the call). Returns false to leave the message to the decoder and onEvent;
   * otherwise it has handled a well-formed message (true, or a promise for backpressure).
   */
  onValue?: (kind: K, buf: Buffer, start: number, end: number) => boolean | Promise<void>;
  /**
   * Called after each fetched batch, before its offsets can be committed: what the batch caused
   * (detect's alerts, the store's rows) is made durable here, so a crash re-reads the batch rather
   * than losing it. `lastOffset`: the last message handled (malformed ones included), if any.
   * Resolving to `false` says the batch was not made durable (the consumer is stopping): its
   * offsets are then not committed, and the next start reads it again. A long wait here (a slow
   * sink) should call `heartbeat` now and then, or the group drops this member after the session
   * timeout.
   */
  afterBatch?: (batch: { topic: string; partition: number; lastOffset?: string; heartbeat: () => Promise<void> }) => Promise<void | boolean>;
  /**
   * Batches of different partitions handled at once (kafkajs partitionsConsumedConcurrently; 1 by
   * default). Order within a partition is kept. More lets a sink overlap one partition's writes
   * with the next partition's decoding.
   */
  partitionsConcurrently?: number;
  /**
   * Called once every partition has been read up to the end offset it had when we subscribed
   * (batch jobs: scan history, then exit). Meant for a consumer that holds every partition.
   */
  onEnd?: () => void;
  /**
   * Read the `leader` kind ahead of the others in event time (the Kafka message timestamp, which the
   * producer sets to the event's time): see kind-order.ts. Needs partitionsConcurrently above the
   * number of partitions fetched at once, so the leader's batches run while a follower's waits.
   */
  order?: { leader: K; kindOrder: KindOrder };
}

export interface SubscriberStats {
  received: number;
  decoded: number;
  malformed: number;
  /** Messages fetched again below a partition's floor (a seek or a rebalance) and not handed on twice. */
  skipped: number;
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

export function topicOfKind(prefix: string, kind: SchemaKind): string {
  return kind === 'alert' ? alertsTopic(prefix) : kind === 'stats' ? statsTopic(prefix) : topicFor(prefix, kind);
}

function startMode(opts: Pick<SubscriberOptions, 'storedOffset' | 'sinceMs' | 'fromBeginning'>): StartMode {
  if (opts.storedOffset) return { from: 'stored', offsetOf: opts.storedOffset };
  if (opts.sinceMs !== undefined) return { from: 'time', ms: opts.sinceMs };
  return { from: opts.fromBeginning ? 'earliest' : 'latest' };
}

/** Where a message was: its offset, and the same as a number when it is a safe integer. */
export interface MessageAt {
  readonly offset: string;
  readonly offsetNumber?: number;
}

/**
 * A fetched message: with the patched kafkajs (patches/), a record also carries its offset and
 * timestamp as numbers when they are safe integers, so ordering kinds and the store's offsets do
 * not parse the strings kafkajs would make for each message, and its value's bytes in the fetched
 * batch (valueAt -1 when there are none in place: a null value, or a value set since; then read
 * .value), so no Buffer is made per message.
 */
type Fetched = KafkaMessage & { timestampNumber?: number; offsetNumber?: number; valueBuffer?: Buffer; valueAt?: number; valueEnd?: number };

/** A batch's stop checks: `interrupted` is kafkajs's (stopping, or a seek made the batch stale). */
interface BatchControl extends RetryControl {
  interrupted: () => boolean;
}

export function createSubscriber<K extends SchemaKind = EventKind>(opts: SubscriberOptions<K>): Subscriber {
  const log = opts.logger.child({ component: 'subscriber' });
  const groupId = opts.groupId ?? `ebpf-audit-ephemeral-${randomUUID()}`;
  const consumer: Consumer = opts.kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000 });
  const decoder = createMessageDecoder({ kafka: opts.kafka, registry: opts.registry, registryClient: opts.registryClient, topicPrefix: opts.topicPrefix, logger: log });
  const stats: SubscriberStats = { received: 0, decoded: 0, malformed: 0, skipped: 0 };
  const onValue = opts.onValue;
  const kindOf = new Map<string, K>(opts.kinds.map((k) => [topicOfKind(opts.topicPrefix, k), k]));
  const mode = startMode(opts);
  let positions: Positions | undefined;
  let stopped = false;
  const ko = opts.order?.kindOrder;
  const leaderTopic = opts.order ? topicOfKind(opts.topicPrefix, opts.order.leader) : undefined;
  /** The leader's partitions as Kafka described them at start (seeds for kind-order). */
  const leaderStarts = new Map<number, LeaderStart>();

  function seekAssigned(assignment: Record<string, number[]>): void {
    for (const s of positions!.assigned(assignment)) {
      log.debug(s, 'seeking');
      consumer.seek(s);
    }
    // A partition unknown at start (added since) is taken as caught up until its first batch.
    if (ko && leaderTopic) ko.assignLeader((assignment[leaderTopic] ?? []).map((p) => leaderStarts.get(p) ?? { partition: p, next: 0, end: 0 }));
  }

  function seedLeader(starts: PartitionStart[]): void {
    for (const p of starts) {
      if (p.topic === leaderTopic) leaderStarts.set(p.partition, { partition: p.partition, next: Number(effectiveStart(mode, p)), end: Number(p.high) });
    }
  }

  /** Hands on a batch's messages in order; `complete` when none is left unhandled (no stop or defer). */
  async function readMessages(batch: EachBatchPayload['batch'], ctl: BatchControl, lead?: LeaderBatch, follow?: FollowerBatch): Promise<{ handled?: string; complete: boolean }> {
    const { topic, partition } = batch;
    const kind = kindOf.get(topic)!;
    const floor = positions!.floor(topic, partition);
    // Compared per message only when the batch starts below the floor: BigInt per message costs.
    const below = floor !== undefined && batch.messages.length > 0 && BigInt(batch.messages[0].offset) < floor ? floor : undefined;
    // The last message handled: its offset string is made once, at the end (the patched kafkajs
    // makes a record's strings only when they are read).
    let last: Fetched | undefined;
    const upTo = (complete: boolean): { handled?: string; complete: boolean } => ({ handled: last?.offset, complete });
    let n = 0;
    const messages = batch.messages as Fetched[];
    // Indexed: for-of in this async function made an iterator result per message (40 bytes each).
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i];
      // isStale() (a seek) JSON-encodes a key per call: every 128 messages is soon enough.
      if (stopped || ((n++ & 127) === 0 && ctl.interrupted())) return upTo(false);
      if (below !== undefined && BigInt(message.offset) < below) {
        stats.skipped++;
        continue;
      }
      // Event time (the producer sets the Kafka timestamp to it); only read when ordering kinds.
      const ms = ko ? (message.timestampNumber ?? +message.timestamp) : 0;
      if (follow && ms >= ko!.frontier) {
        const go = follow.admit(ms, message.offset);
        // 'defer': end the batch before this message; the next fetch reads it again.
        if (go !== true && (await go) === 'defer') return upTo(false);
      }
      // The value's bytes where they are in the batch: no Buffer made per message.
      const inPlace = message.valueAt !== undefined && message.valueAt >= 0;
      if (onValue && (inPlace || message.value)) {
        const r = inPlace ? onValue(kind, message.valueBuffer!, message.valueAt!, message.valueEnd!) : onValue(kind, message.value!, 0, message.value!.length);
        if (r !== false) {
          last = message;
          stats.received++;
          stats.decoded++;
          if (r !== true) await r;
          if (lead) lead.read(ms);
          continue;
        }
      }
      let rec: Decoded<K> | undefined;
      try {
        if (inPlace) rec = decoder.decodeAt(kind, message.valueBuffer!, message.valueAt!, message.valueEnd!);
        else if (!message.value) throw new DecodeError('empty message (tombstone)');
        else rec = decoder.decode(kind, message.value);
      } catch (err) {
        try {
          rec = await decoder.retry(kind, message.value ?? Buffer.alloc(0), err, ctl);
        } catch (final) {
          // Stopped while the registry was away: this message is not handled; it is read again later.
          if (final instanceof RegistryWaitAborted) return upTo(false);
          if (!(final instanceof DecodeError)) throw final; // the heartbeat's rebalance: kafkajs rejoins
          stats.malformed++;
          // Bad input, not a fault of ours: its reason, without a stack (one per message would bury the log).
          log.warn({ topic, partition, offset: message.offset, reason: final.message, malformed: stats.malformed }, 'malformed message skipped');
        }
      }
      last = message;
      stats.received++;
      if (rec) {
        stats.decoded++;
        const r = opts.onEvent(rec, partition, message);
        if (r) await r;
      }
      if (lead) lead.read(ms);
    }
    return upTo(true);
  }

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    // A wait for the schema registry holds this partition (backpressure) and ends on a stop or a seek.
    const interrupted = (): boolean => !isRunning() || isStale();
    const ctl: BatchControl = { stopped: () => stopped || interrupted(), interrupted, heartbeat };
    const { topic, partition } = batch;
    // Ordering across kinds (kind-order.ts): a leader batch reports what it read; a follower batch
    // lets the fetch's leader batches start (settle), then may wait per message, inside the batch.
    const lead = ko && topic === leaderTopic && batch.messages.length > 0 ? ko.leaderBatch(partition, Number(batch.highWatermark), Number(batch.lastOffset())) : undefined;
    const follow = ko && topic !== leaderTopic ? ko.followerBatch(topic, partition, ctl) : undefined;
    let read: { handled?: string; complete: boolean } = { complete: false };
    try {
      if (follow) await ko!.settle();
      read = await readMessages(batch, ctl, lead, follow);
    } finally {
      lead?.end(read.complete);
    }
    const { handled } = read;
    if (opts.afterBatch && (await opts.afterBatch({ topic, partition, lastOffset: handled, heartbeat })) === false) return;
    if (handled !== undefined) {
      resolveOffset(handled);
      positions!.handled(topic, partition, BigInt(handled));
    }
    await heartbeat();
  }

  return {
    async start(stop) {
      const topics = opts.kinds.map((k) => topicOfKind(opts.topicPrefix, k));
      if (!(await waitForTopics(opts.kafka, topics, log, stop))) return;
      await decoder.checkRegistry();
      await decoder.loadSchemas();
      // Where every partition starts, decided before the first fetch (see positions.ts).
      const starts = await resolveStarts(opts.kafka, { topics, groupId, mode, logger: log });
      seedLeader(starts);
      positions = createPositions({
        mode,
        partitions: starts,
        onEnd: opts.onEnd,
        onGap: (g) => log.warn({ ...g, from: String(g.from), to: String(g.to), lost: String(g.to - g.from) }, 'messages expired from Kafka before they were read'),
      });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: mode.from !== 'latest' });
      // Runs inside kafkajs's join, before its first fetch: the seeks apply to that fetch.
      consumer.on(consumer.events.GROUP_JOIN, (e) => seekAssigned(e.payload.memberAssignment));
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({
        // Ephemeral groups commit too: a rebalance (frequent right after a broker restart) then
        // resumes where we were instead of re-reading, and printing again, from the start.
        autoCommit: true,
        // We resolve the last handled offset ourselves: a stop in the middle of a batch commits
        // only what was handled (auto-resolve would commit the whole batch). Once per batch, as
        // kafkajs's resolveOffset costs about 0.7 µs.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 1,
        eachBatch,
      });
      await joined;
      positions.checkEnd();
      log.info({ groupId, topics, start: mode.from, since: opts.sinceMs }, 'subscribed');
    },
    async stop() {
      stopped = true;
      await consumer.disconnect();
    },
    stats: () => ({ ...stats }),
  };
}
