/**
 * Where a subscriber reads each partition from, and when it has read everything that existed at
 * start (--until-end). Pure state: the offsets it starts from are resolved by `resolveStarts`
 * (Kafka admin calls) and handed in, so seeking and end tracking are unit-tested without a broker.
 *
 * Every partition has a floor: the first offset this subscriber may hand on. Messages below it are
 * skipped, however kafkajs fetched them. That is what makes a start position exact: kafkajs can
 * only seek after the group is joined, and by then it may already have fetched a batch from the
 * committed or the oldest offset (`--since` printed those events twice when the seek landed). The
 * floor also rises past every offset handled, so a batch fetched again (a seek, a rebalance that
 * returns a partition) is never handed on twice by one process.
 */
import type { Kafka } from 'kafkajs';
import { withAdmin } from '../../../common/admin';
import type { Logger } from '../../../common/logger';
import { withGetters } from '../../../common/with-getters';

export type StartMode =
  /** The group's committed offsets; without them, only messages that arrive after start. */
  | { from: 'latest' }
  /** The group's committed offsets; without them, the oldest retained message. */
  | { from: 'earliest' }
  /** The first message whose timestamp (event time) is at or after `ms`. */
  | { from: 'time'; ms: number }
  /**
   * Offsets the caller keeps itself (the store keeps them with its rows): `offsetOf` gives the next
   * offset to read, or undefined for a partition never read (start at the oldest message).
   * Asked again whenever a partition is assigned, since the caller's copy is the truth.
   */
  | { from: 'stored'; offsetOf: (topic: string, partition: number) => bigint | undefined };

/** What Kafka said about one partition when the subscriber started. */
export interface PartitionStart {
  topic: string;
  partition: number;
  /** Oldest retained offset. */
  low: bigint;
  /** Next offset to be written (the end). */
  high: bigint;
  /** The group's committed offset; undefined when none. */
  committed?: bigint;
  /** from: 'time': the first offset at or after the time; undefined when none is that recent. */
  atTime?: bigint;
}

export interface Seek {
  topic: string;
  partition: number;
  offset: string;
}

export interface Positions {
  /**
   * The partitions the group gave this member (at every join). Returns the seeks that put them
   * where they must start; the subscriber applies them with consumer.seek.
   */
  assigned(assignment: Record<string, number[]>): Seek[];
  /** First offset to hand on; messages below it are skipped. undefined: no floor (hand on all). */
  floor(topic: string, partition: number): bigint | undefined;
  /** Messages up to and including `offset` were handled (or skipped as malformed). */
  handled(topic: string, partition: number, offset: bigint): void;
  /** Every partition has been read up to where it ended at start. */
  readonly atEnd: boolean;
  /** Call onEnd now if there was nothing to read (once; handled() calls it when the last end is reached). */
  checkEnd(): void;
}

/** A stored offset older than the oldest retained message: messages retention removed unread. */
export interface Gap {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

export interface PositionsOptions {
  mode: StartMode;
  /** What Kafka said at start, one entry per partition of every subscribed topic. */
  partitions: PartitionStart[];
  /** Track the end offsets at start (for --until-end); onEnd is called once when all are read. */
  onEnd?: () => void;
  onGap?: (gap: Gap) => void;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Where a partition starts when this member first reads it, by mode; undefined: where kafkajs starts. */
function startOf(mode: StartMode, p: PartitionStart): bigint | undefined {
  switch (mode.from) {
    case 'time':
      return p.atTime ?? p.high; // nothing that recent: only what arrives from now on
    case 'stored': {
      const stored = mode.offsetOf(p.topic, p.partition);
      return stored === undefined || stored < p.low ? p.low : stored;
    }
    case 'latest':
      // No commit: kafkajs would start at the end as of its join, later than our start, and miss
      // what arrived in between. Start at the end as of our start instead.
      return p.committed === undefined ? p.high : undefined;
    case 'earliest':
      return undefined; // committed, or subscribe(fromBeginning) starts at the oldest
  }
}

/** Where reading a partition will really begin (for end tracking, and kind-order.ts's seeds). */
export function effectiveStart(mode: StartMode, p: PartitionStart): bigint {
  return startOf(mode, p) ?? p.committed ?? (mode.from === 'latest' ? p.high : p.low);
}

export function createPositions(opts: PositionsOptions): Positions {
  const { mode } = opts;
  const info = new Map(opts.partitions.map((p) => [key(p.topic, p.partition), p]));
  /** Floors by partition: the start (first join) raised by every handled offset. */
  const floors = new Map<string, bigint>();
  /** Partitions this member has been assigned at least once. */
  const seen = new Set<string>();
  /** End offsets still to reach (non-empty partitions that start before their end). */
  const ends = new Map<string, bigint>();
  let ended = false;

  function endIfDone(): void {
    if (!ended && opts.onEnd && ends.size === 0) {
      ended = true;
      opts.onEnd();
    }
  }

  if (opts.onEnd) {
    for (const [k, p] of info) if (p.high > p.low && effectiveStart(mode, p) < p.high) ends.set(k, p.high);
  }

  function raise(k: string, to: bigint): void {
    const f = floors.get(k);
    if (f === undefined || to > f) floors.set(k, to);
  }

  function reached(k: string, next: bigint): void {
    const end = ends.get(k);
    if (end !== undefined && next >= end) {
      ends.delete(k);
      endIfDone();
    }
  }

  return withGetters<Positions, 'atEnd'>(
    {
      assigned(assignment) {
        const seeks: Seek[] = [];
        for (const [topic, partitions] of Object.entries(assignment)) {
          for (const partition of partitions) {
            const k = key(topic, partition);
            const p = info.get(k);
            if (!p) continue; // a partition added after start: kafkajs positions it
            // A stored offset is the truth at every assignment; other modes apply the first time
            // only: later, another member may have read on from there, and its commits count.
            const first = !seen.has(k);
            seen.add(k);
            if (!first && mode.from !== 'stored') continue;
            const start = startOf(mode, p);
            if (start === undefined) continue;
            if (mode.from === 'stored') {
              const stored = mode.offsetOf(topic, partition);
              if (stored !== undefined && stored < p.low) opts.onGap?.({ topic, partition, from: stored, to: p.low });
            }
            raise(k, start);
            seeks.push({ topic, partition, offset: String(floors.get(k)) });
          }
        }
        return seeks;
      },
      floor: (topic, partition) => floors.get(key(topic, partition)),
      handled(topic, partition, offset) {
        const k = key(topic, partition);
        raise(k, offset + 1n);
        reached(k, offset + 1n);
      },
      checkEnd: endIfDone,
    },
    { atEnd: () => ends.size === 0 },
  );
}

/**
 * Ask Kafka where every partition of `topics` stands: oldest and end offsets, the group's commits,
 * and for `from: 'time'` the offset at that time (Kafka's time index over message timestamps,
 * which are event times). Retried while the broker is still loading after a restart.
 */
export async function resolveStarts(kafka: Kafka, opts: { topics: string[]; groupId: string; mode: StartMode; logger?: Logger }): Promise<PartitionStart[]> {
  return withAdmin(
    kafka,
    async (admin) => {
      const out: PartitionStart[] = [];
      const committed = new Map<string, bigint>();
      if (opts.mode.from === 'latest' || opts.mode.from === 'earliest') {
        for (const t of await admin.fetchOffsets({ groupId: opts.groupId, topics: opts.topics })) {
          for (const p of t.partitions) if (p.offset !== '-1') committed.set(key(t.topic, p.partition), BigInt(p.offset));
        }
      }
      for (const topic of opts.topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        const atTime = new Map<number, bigint>();
        if (opts.mode.from === 'time') {
          for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(topic, opts.mode.ms)) {
            if (offset !== '-1') atTime.set(partition, BigInt(offset));
          }
        }
        for (const p of offsets) {
          out.push({
            topic,
            partition: p.partition,
            low: BigInt(p.low),
            high: BigInt(p.high),
            committed: committed.get(key(topic, p.partition)),
            atTime: atTime.get(p.partition),
          });
        }
      }
      return out;
    },
    { retry: { logger: opts.logger } },
  );
}
