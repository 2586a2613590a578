/**
 * The producer's user-space path in one process, without the kernel: synthetic file-open records
 * (the shape drain.js's open loop makes: one task, one path) offered by a fake ring buffer at a
 * paced rate, through the real pipeline (decode, enrich, Avro encode), publisher and kafkajs to a
 * broker. No syscall flood, so it may run beside the e2e tests; it measures what the producer
 * spends per event on its side (CPU time of this process: user + system, µs per event).
 *   EBPF_AUDIT_BROKERS=127.0.0.1:PORT node dist/test/bench/pipeline-inproc.js [events=2000000] [per second=200000] [compression=none]
 * Prints rate, µs/event, peak RSS and the glibc heap at the end. Needs a broker (not root).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withAdmin } from '../../common/admin';
import { createKafka } from '../../common/kafka';
import { createLogger } from '../../common/logger';
import { topicFor } from '../../common/topics';
import { FILE_OPEN, HDR, RECORD_TYPES, TASK } from '../../bpf/layout';
import type { RecordHandler, RingReader } from '../../producer/bpf/ringbuf';
import { createBootClock } from '../../producer/enrich/clock';
import { findCgroup2Root } from '../../producer/enrich/containers';
import { createEnricher } from '../../producer/enrich/enricher';
import { openHostView } from '../../producer/enrich/host-view';
import { COMPRESSIONS } from '../../producer/config';
import { createPipeline } from '../../producer/pipeline';
import { createKafkaSender } from '../../producer/publish/kafka-sender';
import { createPublisher } from '../../producer/publish/publisher';
import { openSpool } from '../../producer/publish/spool';
import { createSchemaRegistry } from '../../schemas/registry';
import { EVENT_KINDS, type EventKind } from '../../schemas/types';
import { BROKERS } from '../helpers/env';
import { testKafka } from '../helpers/kafka';

const N = Number(process.argv[2] ?? 2_000_000);
const RATE = Number(process.argv[3] ?? 200_000);
/** As --compression takes it: none, gzip, snappy, lz4 or zstd. */
const COMPRESSION_TYPE = ((name: string): (typeof COMPRESSIONS)[number] => {
  const c = COMPRESSIONS.find((x) => x.toLowerCase() === name.toLowerCase());
  if (!c) throw new Error(`compression must be one of ${COMPRESSIONS.join(', ')}, got ${name}`);
  return c;
})(process.argv[4] ?? 'none');

/** This process's cgroup id (its cgroup directory's inode), as the kernel would report it. */
function ownCgroupId(): bigint {
  const root = findCgroup2Root('/proc/self/mounts');
  const rel = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  return root && rel !== undefined ? BigInt(fs.statSync(path.join(root, rel)).ino) : 1n;
}

/** One open record as the kernel writes it for the loop (a 21-byte path under /tmp). */
function fileRecord(): Buffer {
  const p = Buffer.from('/tmp/ea-bench-q3ZkLm/target');
  const size = FILE_OPEN.path + p.length;
  const b = Buffer.alloc(4096);
  b.writeUInt16LE(RECORD_TYPES.file, HDR.type);
  b.writeUInt16LE(size, HDR.size);
  const t = HDR.SIZE;
  b.writeUInt32LE(process.pid, t + TASK.pid);
  b.writeUInt32LE(process.pid, t + TASK.tid);
  b.writeUInt32LE(process.ppid, t + TASK.ppid);
  b.writeUInt32LE(0, t + TASK.uid);
  b.writeBigUInt64LE(123_456_789_000n, t + TASK.start_ns);
  b.writeBigUInt64LE(ownCgroupId(), t + TASK.cgroup_id);
  b.write('loadgen\0', t + TASK.comm);
  b.writeBigUInt64LE(0x1ffffffffffn, t + TASK.cap_effective);
  b.writeUInt32LE(0xffffffff, t + TASK.loginuid);
  b.writeBigInt64LE(3n, FILE_OPEN.ret);
  b.writeInt32LE(-100, FILE_OPEN.dirfd);
  b.writeUInt32LE(0, FILE_OPEN.flags);
  b.writeUInt16LE(1, FILE_OPEN.op);
  b.writeUInt16LE(p.length, FILE_OPEN.path_len);
  p.copy(b, FILE_OPEN.path);
  return b.subarray(0, size);
}

/** A ring the "kernel" fills at RATE from the start: pending() and drain() as the real one. */
function pacedRing(rec: Buffer): RingReader & { waiting(): number; startedAt(): number } {
  const t0 = performance.now();
  let taken = 0;
  const written = (): number => Math.min(N, Math.floor(RATE > 0 ? ((performance.now() - t0) * RATE) / 1000 : N));
  const recBytes = (rec.length + 8 + 7) & ~7;
  let ktime = 1_000_000_000_000;
  return {
    drain(onRecord: RecordHandler, max: number) {
      const n = Math.min(max, written() - taken);
      for (let i = 0; i < n; i++) {
        ktime += 3_000; // the kernel's clock moving on (two 32-bit writes: no BigInt for the bench itself)
        rec.writeUInt32LE(ktime % 2 ** 32, HDR.ktime_ns);
        rec.writeUInt32LE(Math.floor(ktime / 2 ** 32), HDR.ktime_ns + 4);
        onRecord(rec, 0, rec.length);
      }
      taken += n;
      return n;
    },
    pending: () => (written() - taken) * recBytes,
    close: () => undefined,
    waiting: () => written() - taken,
    startedAt: () => t0,
  };
}

function heapMb(): number {
  const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf(' [heap]\n');
  return at < 0 ? 0 : Number(/Rss:\s+(\d+)/.exec(smaps.slice(at))![1]) / 1024;
}

async function main(): Promise<void> {
  const logger = createLogger({ name: 'inproc', level: 'info', format: 'json' });
  const prefix = `inproc-${Date.now().toString(36)}`;
  const topics = Object.fromEntries(EVENT_KINDS.map((k) => [k, topicFor(prefix, k)])) as Record<EventKind, string>;
  const { host, processes, containers, users } = openHostView({ procRoot: '/proc', logger });
  processes.exec(process.pid, 123_456_789_000n, { exe: '/work/test/bench/build/loadgen', memfd: false, upper: false, comm: 'loadgen', ppid: process.ppid });
  const registry = createSchemaRegistry();
  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'inproc-bench', logger, retry: { retries: 0 }, requestTimeoutMs: 10_000, transientLevel: 'debug' });
  await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic: topics.file, numPartitions: 1 }], waitForLeaders: true }));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-inproc-'));
  const spool = openSpool({ dir: work, maxBytes: 1 << 30, logger });
  const sender = createKafkaSender({ kafka, acks: -1, compression: COMPRESSION_TYPE });
  await sender.connect();
  const publisher = createPublisher({ send: sender.send, logger, spool, spoolMaxBytes: 1 << 30, spoolAfterMs: 1000, lingerMs: 5, batchSize: 10_000, maxQueued: 1_000_000 });
  publisher.start();
  const wall = BigInt(Date.now()) * 1_000_000n;
  const clock = createBootClock({ realtimeNs: () => wall + process.hrtime.bigint(), boottimeNs: () => process.hrtime.bigint() });
  const ring = pacedRing(fileRecord());
  const pipeline = createPipeline({
    ring,
    ringBytes: 64 << 20,
    registry,
    enricher: createEnricher({ host, clock, processes, containers, users }),
    publisher,
    topics,
    hostId: host.id,
    logger,
    drainIntervalMs: 5,
    maxPerDrain: 20_000,
  });
  const cpu0 = process.cpuUsage();
  let maxLagMs = 0;
  const lagTimer = setInterval(() => {
    const behind = ring.waiting() / (RATE || 1);
    maxLagMs = Math.max(maxLagMs, behind * 1000);
  }, 100);
  pipeline.start();
  while (publisher.stats().sent < N) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.now() - ring.startedAt()) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const heap = heapMb();
  clearInterval(lagTimer);
  pipeline.stop();
  const s = publisher.stats();
  await publisher.flush(5000);
  publisher.close();
  await sender.disconnect();
  const usPerEvent = (cpu.user + cpu.system) / N;
  console.log(
    `${N} events offered at ${RATE}/s: ${Math.round(N / secs)}/s delivered in ${secs.toFixed(2)} s, ` +
      `${usPerEvent.toFixed(2)} µs CPU/event (user ${(cpu.user / N).toFixed(2)}, sys ${(cpu.system / N).toFixed(2)}), ` +
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, [heap] at end ${heap.toFixed(0)} MiB, ` +
      `batches ${s.batches}, spool drops ${s.spoolDrops}, queue full ${s.queueFull}, most behind ${maxLagMs.toFixed(0)} ms`,
  );
  await withAdmin(testKafka('inproc-drop'), (admin) => admin.deleteTopics({ topics: Object.values(topics), timeout: 30_000 })).catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
  users.close();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
