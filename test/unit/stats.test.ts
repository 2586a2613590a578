import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineStats } from '../../producer/pipeline';
import type { PublisherStats } from '../../producer/publish/publisher';
import { snapshot, toStatsEvent } from '../../producer/stats';
import type { ProcessTable } from '../../producer/enrich/process-table';
import { host } from '../helpers/samples';

const kernel = { file: { emitted: 100, ringFull: 3, stashFull: 1, truncated: 2, filtered: 50 }, exec: { emitted: 5, ringFull: 1, stashFull: 0, truncated: 0, filtered: 0 } };
const pipeline: PipelineStats = { decoded: 99, decodeErrors: 1, encodeErrors: 2, backpressureTicks: 0, byKind: { file: 95, net: 0, process: 4 } };
const publisher: PublisherStats = {
  state: 'memory',
  sent: 90,
  batches: 3,
  sendErrors: 1,
  rejected: 4,
  queued: 0,
  queuedBytes: 0,
  queueCapBytes: 1 << 20,
  kafkaBytesPerSec: 0,
  lastBatchMs: 1,
  spooling: false,
  spooled: 10,
  spoolBytes: 0,
  spoolCorrupt: 0,
  spoolDrops: 5,
  queueFull: 6,
};
const processes = { size: 1, stats: () => ({ hits: 1, procLookups: 0, misses: 0 }) } as unknown as ProcessTable;

test('lost sums every counted loss exactly once; filtered and truncated are not losses', () => {
  const s = snapshot({ kernel: () => kernel, pipeline: () => pipeline, publisher: () => publisher, processes });
  // ring 3+1, stash 1, decode 1, encode 2, rejected 4, spool full 5, queue full 6
  assert.equal(s.lost, 4 + 1 + 1 + 2 + 4 + 5 + 6);
  const ev = toStatsEvent(s, { timeNs: 1n, host, startedNs: 0n, final: true });
  assert.equal(ev.lost, 23n);
  assert.equal(ev.queue_drops, 6n);
  assert.equal(ev.spool_drops, 5n);
  assert.deepEqual(
    ev.kernel.map((k) => [k.type, k.filtered]),
    [
      ['file', 50n],
      ['exec', 0n],
    ],
  );
});
