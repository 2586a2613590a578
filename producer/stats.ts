/** Periodic and final accounting: what the kernel emitted and lost, what we decoded and sent. */
import type { Logger } from '../common/logger';
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
  /** Every loss, summed: kernel ring full + stash full + queue drops + undecodable + refused by the broker. */
  lost: number;
}

export function snapshot(s: StatsSources): StatsSnapshot {
  const kernel = s.kernel();
  const pipeline = s.pipeline();
  const publisher = s.publisher();
  let lost = pipeline.queueDrops + pipeline.decodeErrors + pipeline.encodeErrors + publisher.rejected;
  for (const k of Object.values(kernel)) lost += k.ringFull + k.stashFull;
  return {
    kernel,
    pipeline,
    publisher,
    processTable: { size: s.processes.size, ...s.processes.stats() },
    lost,
  };
}

/** Log a snapshot every intervalMs; warn when the loss total grew. Returns a stop function. */
export function startStatsReporter(s: StatsSources, opts: { intervalMs: number; logger: Logger }): () => void {
  const log = opts.logger.child({ component: 'stats' });
  let lastLost = 0;
  const timer = setInterval(() => {
    const snap = snapshot(s);
    if (snap.lost > lastLost) log.warn({ stats: snap, newlyLost: snap.lost - lastLost }, 'events lost since last report');
    else log.info({ stats: snap }, 'stats');
    lastLost = snap.lost;
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
