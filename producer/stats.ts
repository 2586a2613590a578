/** Periodic and final accounting: what the kernel emitted and lost, what we decoded and sent. */
import { getHeapSpaceStatistics } from 'node:v8';
import type { Logger } from '../common/logger';
import type { Host, StatsEvent } from '../schemas/types';
import type { KernelCounters } from './bpf/counters';
import type { ProcessTable } from './enrich/process-table';
import type { PipelineStats } from './pipeline';
import type { PublisherStats } from './publish/publisher';

export interface StatsSources {
  kernel: () => KernelCounters;
  pipeline: () => PipelineStats;
  publisher: () => PublisherStats;
  processes: ProcessTable;
}

export interface StatsSnapshot {
  kernel: KernelCounters;
  pipeline: PipelineStats;
  publisher: PublisherStats;
  processTable: { size: number; hits: number; procLookups: number; misses: number };
  /** Every loss, summed: kernel ring full + stash full + queue drops + undecodable + refused by the broker + spool full. */
  lost: number;
}

export function snapshot(s: StatsSources): StatsSnapshot {
  const kernel = s.kernel();
  const pipeline = s.pipeline();
  const publisher = s.publisher();
  let lost = pipeline.decodeErrors + pipeline.encodeErrors + publisher.rejected + publisher.spoolDrops + publisher.queueFull;
  for (const k of Object.values(kernel)) lost += k.ringFull + k.stashFull;
  return {
    kernel,
    pipeline,
    publisher,
    processTable: { size: s.processes.size, ...s.processes.stats() },
    lost,
  };
}

/** The snapshot as a StatsEvent (schemas/stats_event.avsc). */
export function toStatsEvent(snap: StatsSnapshot, meta: { timeNs: bigint; host: Host; startedNs: bigint; final: boolean }): StatsEvent {
  const n = BigInt;
  return {
    time_ns: meta.timeNs,
    host: meta.host,
    started_ns: meta.startedNs,
    final: meta.final,
    kernel: Object.entries(snap.kernel).map(([type, k]) => ({
      type,
      emitted: n(k.emitted),
      ring_full: n(k.ringFull),
      stash_full: n(k.stashFull),
      truncated: n(k.truncated),
      filtered: n(k.filtered),
    })),
    decoded: n(snap.pipeline.decoded),
    decode_errors: n(snap.pipeline.decodeErrors),
    encode_errors: n(snap.pipeline.encodeErrors),
    queue_drops: n(snap.publisher.queueFull),
    sent: n(snap.publisher.sent),
    rejected: n(snap.publisher.rejected),
    queued: n(snap.publisher.queued),
    spool_bytes: n(snap.publisher.spoolBytes),
    spool_drops: n(snap.publisher.spoolDrops),
    lost: n(snap.lost),
  };
}

const MiB = 1 << 20;
const mb = (n: number): number => Math.round((n / MiB) * 10) / 10;

/** The process's memory in MiB: RSS, the V8 heap (its young generation apart), and Buffers' memory outside it. */
export function memoryMb(): { rss: number; heapTotal: number; heapUsed: number; newSpace: number; arrayBuffers: number } {
  const m = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), newSpace: mb(young?.space_size ?? 0), arrayBuffers: mb(m.arrayBuffers) };
}

/**
 * Every intervalMs: log a snapshot (a warning when the loss total grew) and hand it to `publish`
 * (the stats topic). Returns a stop function.
 */
export function startStatsReporter(s: StatsSources, opts: { intervalMs: number; logger: Logger; publish: (snap: StatsSnapshot) => void }): () => void {
  const log = opts.logger.child({ component: 'stats' });
  let lastLost = 0;
  const timer = setInterval(() => {
    const snap = snapshot(s);
    const memory = memoryMb();
    if (snap.lost > lastLost) log.warn({ stats: snap, memory, newlyLost: snap.lost - lastLost }, 'events lost since last report');
    else log.info({ stats: snap, memory }, 'stats');
    lastLost = snap.lost;
    opts.publish(snap);
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
