/**
 * Kernel-to-Kafka drain benchmark: an open/close loop with and without the producer running,
 * then the time until every captured event is in Kafka (counted by topic offsets). The producer
 * records only the loop's opens (--include-comm/--include-path), so other activity on the
 * machine cannot blur the count.
 *   node dist/test/bench/drain.js [opens=1000000] [ring MiB=64] [opens per second: paced, sustained load; 0: a burst] [producer flags...] [node:NODE-FLAG...]
 * Prints the rates and ratios of one run on this machine. Needs root and the local broker.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withAdmin } from '../../common/admin';
import { topicFor } from '../../common/topics';
import { BROKERS, PRODUCER_CLI, producerNodeFlags, ROOT_DIR } from '../helpers/env';
import { testKafka } from '../helpers/kafka';
import { start } from '../helpers/proc';

const opens = Number(process.argv[2] ?? 1_000_000);
const ringMb = process.argv[3] ?? '64';
/** Opens per second for the monitored run (a sustained load); unset: as fast as the loop goes (a burst). */
const pace = process.argv[4] === '0' ? undefined : process.argv[4];
/** More producer options, to compare settings (--max-queued-mb 8 ...); node:FLAG goes to Node (node:--cpu-prof). */
const producerFlags = process.argv.slice(5).filter((a) => !a.startsWith('node:'));
const nodeFlags = process.argv
  .slice(5)
  .filter((a) => a.startsWith('node:'))
  .map((a) => a.slice(5));
const TICK_NS = 1e9 / 100;

function cpuNs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_NS; // utime + stime
}

/** A /proc/PID/status memory line (VmRSS, VmHWM) in MiB. */
function statusMb(pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/**
 * The peak's make-up, from a child process (the open loop blocks this one): every 20 ms the
 * producer's VmRSS, and at each new highest RSS the Rss of glibc's main heap (`[heap]` in smaps,
 * where Node's Buffer backing stores live). It prints both, in MiB, when sent SIGTERM.
 */
function startPeakSampler(pid: number): () => Promise<{ rss: number; mallocHeap: number }> {
  const code = `const fs = require('fs'); let best = { rss: 0, mallocHeap: 0 };
const kb = (t, re) => { const m = re.exec(t); return m ? Number(m[1]) / 1024 : 0; };
setInterval(() => { if (process.ppid !== ${process.pid}) process.exit(0); try {
  const rss = kb(fs.readFileSync('/proc/${pid}/status', 'utf8'), /VmRSS:\\s+(\\d+)/);
  if (rss <= best.rss) return;
  const smaps = fs.readFileSync('/proc/${pid}/smaps', 'utf8'); const at = smaps.indexOf(' [heap]\\n');
  best = { rss, mallocHeap: at < 0 ? 0 : kb(smaps.slice(at), /Rss:\\s+(\\d+)/) };
} catch {} }, 20);
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify(best)); process.exit(0); });`;
  // The sampler leaves when the bench does (its ppid changes): a bench that failed must not leave
  // it polling, holding the bench's stdout pipe open.
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  return async () => {
    child.kill('SIGTERM');
    await closed;
    return JSON.parse(out) as { rss: number; mallocHeap: number };
  };
}

/**
 * The run's topics go once counted: each run writes 0.2-1 GB, and a round of runs on the local
 * broker once filled the disk (66 GB) and stopped it. Housekeeping: a failure is said, not fatal.
 */
async function dropTopics(prefix: string): Promise<void> {
  try {
    await withAdmin(testKafka('bench-drop'), async (admin) => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
    });
  } catch (err) {
    console.error(`drain: could not delete the topics of ${prefix}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function topicCount(prefix: string): Promise<number> {
  const admin = testKafka('bench').admin();
  await admin.connect();
  const offs = await admin.fetchTopicOffsets(topicFor(prefix, 'file'));
  await admin.disconnect();
  return offs.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

async function main(): Promise<void> {
  const build = path.join(ROOT_DIR, 'test/bench/build');
  fs.mkdirSync(build, { recursive: true });
  const loadgen = path.join(build, 'loadgen');
  execFileSync('cc', ['-O2', '-o', loadgen, path.join(ROOT_DIR, 'test/bench/loadgen.c')]);
  // The target and the producer's spool in one temporary directory, removed at the end.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-bench-'));
  const target = path.join(work, 'target');
  fs.writeFileSync(target, 'x');
  const run = (rate?: string): { rate: number; seconds: number } =>
    JSON.parse(execFileSync('taskset', ['-c', '1', loadgen, String(opens), target, ...(rate ? [rate] : [])], { encoding: 'utf8' }));

  const base = run();
  const prefix = `bench-${Date.now().toString(36)}`;
  const producer = start('taskset', [
    '-c',
    '0',
    process.execPath,
    // As installed (its first line's flags); node:FLAG after them overrides (node:--max-semi-space-size=16).
    ...producerNodeFlags(),
    ...nodeFlags,
    PRODUCER_CLI,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--ring-buffer-mb',
    ringMb,
    '--stats-interval',
    '1',
    '--log-level',
    'info',
    '--include-comm',
    'loadgen',
    '--include-path',
    `${work}/`,
    '--spool-dir',
    path.join(work, 'spool'),
    ...producerFlags,
  ]);
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const pid = Number(/"pid":(\d+)/.exec(producer.stderr())![1]);
  await new Promise((r) => setTimeout(r, 1000));
  const idleRssMb = statusMb(pid, 'VmRSS');
  const stopSampler = startPeakSampler(pid);
  await new Promise((r) => setTimeout(r, 200)); // the sampler's Node is up before the loop starts
  const cpu0 = cpuNs(pid);
  const t0 = process.hrtime.bigint();
  const monitored = run(pace);
  // Wait until Kafka holds every open, or its count stops growing for 3 s (some were lost).
  let inKafka = 0;
  let changedAt = process.hrtime.bigint();
  for (let i = 0; i < 1200 && inKafka < opens; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const n = await topicCount(prefix);
    if (n !== inKafka) changedAt = process.hrtime.bigint();
    inKafka = n;
    if (Number(process.hrtime.bigint() - changedAt) > 3e9) break;
  }
  const sampled = await stopSampler();
  const seconds = Number(changedAt - t0) / 1e9;
  const cpu = cpuNs(pid) - cpu0;
  const rssMb = statusMb(pid, 'VmRSS');
  const peakRssMb = statusMb(pid, 'VmHWM');
  await producer.stop('SIGINT');
  const final = JSON.parse(
    producer
      .stderr()
      .split('\n')
      .find((l) => l.includes('"final stats"'))!,
  ).stats;
  fs.rmSync(work, { recursive: true, force: true });
  await dropTopics(prefix);
  fs.writeFileSync(path.join(build, 'drain-producer.log'), producer.stderr()); // its log, for a closer look
  // The producer's stats lines (every second): where its memory went, and how full its queue was.
  const samples = producer
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"memory":'))
    .map((l) => JSON.parse(l) as { memory: Record<string, number>; stats: { publisher: Record<string, number> } });
  const most = (f: (s: (typeof samples)[number]) => number): number => samples.reduce((m, s) => Math.max(m, f(s)), 0);
  const result = {
    opens,
    ringMb: Number(ringMb),
    unmonitoredOpensPerSec: base.rate,
    monitoredOpensPerSec: monitored.rate,
    keptRatio: +(monitored.rate / base.rate).toFixed(3),
    fileEventsInKafka: inKafka,
    kernelEmittedFile: final.kernel.file.emitted,
    lost: final.lost,
    kernelToKafkaSeconds: +seconds.toFixed(2),
    /** How long after the loop ended Kafka held everything: the producer's lag. */
    lagSeconds: +(seconds - monitored.seconds).toFixed(2),
    kernelToKafkaEventsPerSec: Math.round(inKafka / seconds),
    producerCpuUsPerEvent: +(cpu / 1000 / inKafka).toFixed(2),
    producerRssMb: Math.round(rssMb),
    /** Before the loop (captured nothing yet), and the peak over the whole run (VmHWM). */
    producerIdleRssMb: Math.round(idleRssMb),
    producerPeakRssMb: Math.round(peakRssMb),
    /** At the highest RSS sampled every 20 ms (VmHWM can fall between samples): that RSS and glibc's [heap] in it. */
    sampledPeakRssMb: Math.round(sampled.rss),
    mallocHeapAtPeakMb: +sampled.mallocHeap.toFixed(1),
    /** Messages that went through the disk spool (the producer fell more than --spool-after-ms behind). */
    spooled: final.publisher.spooled as number,
    /** Records the kernel could not put in the full ring (counted loss). */
    ringFull: final.kernel.file.ringFull as number,
    /** Peaks over the 1 s stats samples, MiB: V8 heap (of it the young generation), Buffers outside the heap, the queue's encoded bytes. */
    peakHeapMb: most((s) => s.memory.heapTotal),
    peakNewSpaceMb: most((s) => s.memory.newSpace),
    peakArrayBuffersMb: most((s) => s.memory.arrayBuffers),
    peakQueued: most((s) => s.stats.publisher.queued),
    peakQueuedMb: +(most((s) => s.stats.publisher.queuedBytes) / 2 ** 20).toFixed(1),
    queueCapMb: +(most((s) => s.stats.publisher.queueCapBytes) / 2 ** 20).toFixed(1),
    kafkaMbPerSec: +(most((s) => s.stats.publisher.kafkaBytesPerSec) / 2 ** 20).toFixed(1),
  };
  console.log(JSON.stringify(result));
  if (pace) console.log(`open loop: paced at ${pace}/s, ran at ${Math.round(monitored.rate)}/s for ${monitored.seconds.toFixed(2)} s`);
  else console.log(`open loop: ${Math.round(base.rate)}/s alone, ${Math.round(monitored.rate)}/s monitored (${(result.keptRatio * 100).toFixed(0)}% kept)`);
  console.log(
    `kernel -> Kafka: ${inKafka} events in ${seconds.toFixed(2)} s = ${result.kernelToKafkaEventsPerSec}/s (all in Kafka ${result.lagSeconds} s after the loop ended), ${result.producerCpuUsPerEvent} us CPU/event, RSS ${result.producerIdleRssMb} MiB idle, ${result.producerPeakRssMb} MiB peak (sampled ${result.sampledPeakRssMb}, of it glibc heap ${result.mallocHeapAtPeakMb}), lost ${final.lost}`,
  );
  console.log(
    `spooled ${result.spooled}, ring full ${result.ringFull}; peaks: heap ${result.peakHeapMb} MiB (young ${result.peakNewSpaceMb}), buffers ${result.peakArrayBuffersMb} MiB, queue ${result.peakQueued} messages / ${result.peakQueuedMb} MiB (cap ${result.queueCapMb} MiB)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
