/**
 * Reading one kind (the leader: detect's process topic) ahead of others (the followers: file, net)
 * in event time, across topics that Kafka orders only within a partition. The rules learn command
 * lines and parents from exec events; a file event handled before its process's exec sees
 * <NA>. A follower message at time t is handed on only once every leader partition this member
 * holds has been read past t (a message of a later millisecond), or is caught up (read up to the
 * high watermark its last batch reported), or after a bounded wait: that one is counted and
 * logged, so lag degrades loudly, never silently.
 *
 * The waiting happens inside the follower's batch (backpressure: offsets, commits and the alert
 * durability of afterBatch stay as they are). kafkajs fetches the next batches only when every
 * batch of a fetch is done, so a follower may wait only while a leader batch of the same fetch
 * is in flight; when the leader's next messages are beyond this fetch, the follower batch ends
 * early at the waiting message (`'defer'`), which is read again by the next fetch, exactly like a
 * stop in mid-batch. The wait is bounded per message across such re-reads.
 *
 * Pure state plus timers: the subscriber feeds it batch starts/ends and message times, so the
 * logic is unit-tested without a broker. Per message it costs a number comparison.
 */
import type { Logger } from '../../../common/logger';
import { withGetters } from '../../../common/with-getters';

export interface KindOrderOptions {
  logger: Logger;
  /** How long a follower message may wait for the leader (ms). */
  maxWaitMs: number;
  /** Clock (tests). */
  now?: () => number;
}

/** What a leader partition's state is seeded with: where reading starts and where it ends. */
export interface LeaderStart {
  partition: number;
  /** Next offset to read. */
  next: number;
  /** End offset (high watermark) as known at start. */
  end: number;
}

export interface WaitControl {
  stopped: () => boolean;
  heartbeat?: () => Promise<void>;
}

export interface KindOrderStats {
  /** Follower messages handed on after waiting for the leader. */
  waited: number;
  /** Follower batches ended early so the next fetch brings the leader's messages. */
  deferred: number;
  /** Follower messages handed on before the leader reached their time (the wait bound passed). */
  unordered: number;
}

/** One leader batch in flight. */
export interface LeaderBatch {
  /** A message of this time (ms) was handled. */
  read(ms: number): void;
  /** The batch is over; `complete` when every message of it was handled. */
  end(complete: boolean): void;
}

/** One follower batch. */
export interface FollowerBatch {
  /**
   * Before handing on a message of time `ms` at `offset`: true = go on; a promise resolving to
   * true (go on) or 'defer' (end the batch before this message; it is read again). Callers call
   * it only when `ms >= order.frontier`, so the common case costs one comparison.
   */
  admit(ms: number, offset: string): true | Promise<true | 'defer'>;
}

export interface KindOrder {
  /**
   * Lowest time every leader partition has read a message of (Infinity when all are caught up).
   * A lower bound: a follower message before it needs no further check. Times are in ms, so a
   * leader counts as read past a follower message only once it read a later millisecond: an exec
   * in the same millisecond as the file event may still follow in the partition.
   */
  readonly frontier: number;
  /** The leader partitions this member holds (at start and at every join); others are forgotten. */
  assignLeader(starts: LeaderStart[]): void;
  leaderBatch(partition: number, highWatermark: number, lastOffset: number): LeaderBatch;
  /**
   * `ctl.stopped`: the wait ends early (a stop or a seek); the message is then deferred.
   * `ctl.heartbeat` is called while waiting, so a long --order-wait keeps the group membership.
   */
  followerBatch(topic: string, partition: number, ctl: WaitControl): FollowerBatch;
  /**
   * Resolves after the current macrotask: every batch of the fetch being dispatched has started
   * by then (each runs synchronously up to its first await), so leader batches have registered.
   */
  settle(): Promise<void>;
  stats(): KindOrderStats;
}

interface Leader {
  /** Highest message time read (ms). */
  time: number;
  caughtUp: boolean;
  inFlight: number;
}

/** Wakes follower waits every so often even without leader news (stop checks, the bound). */
const POLL_MS = 50;

export function createKindOrder(opts: KindOrderOptions): KindOrder {
  const log = opts.logger.child({ component: 'kind-order' });
  const now = opts.now ?? Date.now;
  const leaders = new Map<number, Leader>();
  const stats: KindOrderStats = { waited: 0, deferred: 0, unordered: 0 };
  /** Per follower partition: the message that first waited, and since when (bound across re-reads). */
  const heads = new Map<string, { offset: string; since: number }>();
  let waiters: Array<() => void> = [];
  let frontier = Infinity;

  function recompute(): void {
    let f = Infinity;
    for (const l of leaders.values()) if (!l.caughtUp && l.time < f) f = l.time;
    frontier = f;
  }

  function wake(): void {
    recompute();
    if (waiters.length === 0) return;
    const w = waiters;
    waiters = [];
    for (const fn of w) fn();
  }

  /** Leaders not read up to `ms`: none (go), some with a batch in flight (wait), or only idle ones (defer). */
  function blocking(ms: number): 'none' | 'inFlight' | 'idle' {
    let idle = false;
    for (const l of leaders.values()) {
      if (l.caughtUp || l.time > ms) continue;
      if (l.inFlight > 0) return 'inFlight';
      idle = true;
    }
    return idle ? 'idle' : 'none';
  }

  const nextNews = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, Math.max(1, Math.min(ms, POLL_MS)));
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      waiters.push(done);
    });

  return withGetters<KindOrder, 'frontier'>(
    {
      assignLeader(starts) {
        const keep = new Set(starts.map((s) => s.partition));
        for (const p of leaders.keys()) if (!keep.has(p)) leaders.delete(p);
        for (const s of starts) {
          if (leaders.has(s.partition)) continue;
          leaders.set(s.partition, { time: -Infinity, caughtUp: s.next >= s.end, inFlight: 0 });
        }
        wake();
      },
      leaderBatch(partition, highWatermark, lastOffset) {
        let l = leaders.get(partition);
        if (!l) leaders.set(partition, (l = { time: -Infinity, caughtUp: false, inFlight: 0 }));
        const leader = l;
        leader.inFlight++;
        leader.caughtUp = false;
        if (leader.time < frontier) frontier = leader.time;
        return {
          read(ms) {
            if (ms > leader.time) leader.time = ms;
          },
          end(complete) {
            leader.inFlight--;
            leader.caughtUp = complete && lastOffset + 1 >= highWatermark;
            wake();
          },
        };
      },
      followerBatch(topic, partition, { stopped, heartbeat }) {
        const key = `${topic}|${partition}`;
        /** After one wait timed out, the rest of the batch goes on without waiting (counted). */
        let gaveUp = false;
        async function waitFor(ms: number, offset: string): Promise<true | 'defer'> {
          let head = heads.get(key);
          /** Read again after a defer: pause once before deferring again, so re-fetches do not spin. */
          let reread = head?.offset === offset;
          if (!head || !reread) heads.set(key, (head = { offset, since: now() }));
          for (;;) {
            const state = blocking(ms);
            if (state === 'none') {
              heads.delete(key);
              stats.waited++;
              return true;
            }
            const left = head.since + opts.maxWaitMs - now();
            if (left <= 0) {
              heads.delete(key);
              gaveUp = true;
              stats.unordered++;
              log.warn(
                { topic, partition, offset, eventTimeMs: ms, frontierMs: frontier, maxWaitMs: opts.maxWaitMs, unordered: stats.unordered },
                'leader topic lags: events handled before the processes they name were read',
              );
              return true;
            }
            if (state === 'idle' || stopped()) {
              if (reread && !stopped()) {
                reread = false;
                await nextNews(left);
                continue;
              }
              stats.deferred++;
              return 'defer';
            }
            await nextNews(left);
            await heartbeat?.();
          }
        }
        return {
          admit(ms, offset) {
            recompute();
            if (ms < frontier) return true;
            if (gaveUp) {
              stats.unordered++;
              return true;
            }
            return waitFor(ms, offset);
          },
        };
      },
      settle: () => new Promise((resolve) => setImmediate(resolve)),
      stats: () => ({ ...stats }),
    },
    { frontier: () => frontier },
  );
}
