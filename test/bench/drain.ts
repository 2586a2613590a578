/**
 * Kernel-to-Kafka drain benchmark: an open/close loop with and without the producer running,
 * then the time until every captured event is in Kafka (counted by topic offsets). The producer
 * records only the loop's opens (--include-comm/--include-path), so other activity on the
 * machine cannot blur the count.
 *   node dist/test/bench/drain.js [opens=1000000] [ring MiB=64] [opens per second: paced, sustained load]
 * Prints the rates and ratios of one run on this machine. Needs root and the local broker.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { topicFor } from '../../common/topics';
import { BROKERS, PRODUCER_CLI, ROOT_DIR } from '../helpers/env';
import { testKafka } from '../helpers/kafka';
import { start } from '../helpers/proc';

const opens = Number(process.argv[2] ?? 1_000_000);
const ringMb = process.argv[3] ?? '64';
/** Opens per second for the monitored run (a sustained load); unset: as fast as the loop goes (a burst). */
const pace = process.argv[4];
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
  ]);
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const pid = Number(/"pid":(\d+)/.exec(producer.stderr())![1]);
  await new Promise((r) => setTimeout(r, 1000));
  const idleRssMb = statusMb(pid, 'VmRSS');
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
    /** Messages that went through the disk spool (the producer fell more than --spool-after-ms behind). */
    spooled: final.publisher.spooled as number,
  };
  console.log(JSON.stringify(result));
  if (pace) console.log(`open loop: paced at ${pace}/s, ran at ${Math.round(monitored.rate)}/s for ${monitored.seconds.toFixed(2)} s`);
  else console.log(`open loop: ${Math.round(base.rate)}/s alone, ${Math.round(monitored.rate)}/s monitored (${(result.keptRatio * 100).toFixed(0)}% kept)`);
  console.log(
    `kernel -> Kafka: ${inKafka} events in ${seconds.toFixed(2)} s = ${result.kernelToKafkaEventsPerSec}/s (all in Kafka ${result.lagSeconds} s after the loop ended), ${result.producerCpuUsPerEvent} us CPU/event, RSS ${result.producerIdleRssMb} MiB idle, ${result.producerPeakRssMb} MiB peak, lost ${final.lost}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
