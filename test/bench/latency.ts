/**
 * open() -> live `tail` line: how long after a process opens a file its console line is printed,
 * through the whole path a user watches (kernel ring, producer drain and linger, Kafka, the
 * consumer's fetch, decode and print). The producer captures everything on the machine, as a user
 * runs it; `tail` prints only the benchmark's marker files (--path-prefix), after decoding every
 * event like any tail. An optional background loop (loadgen, outside the marker directory) adds
 * load that tail must read and skip.
 *   node dist/test/bench/latency.js [marks=2000] [marks per second=100] [background opens per second=0] [scope=all|marks] [producer options...]
 * With scope `marks` the producer captures only the marker directory (--include-path): the
 * pipeline's own latency, untouched by whatever else the machine runs.
 * Prints p50/p90/p99/max of one run on this machine. Needs root and the local broker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BROKERS, CONSUMER_CLI, PRODUCER_CLI, producerNodeFlags } from '../helpers/env';
import { start } from '../helpers/proc';
import { buildLoadgen } from './lib/loop';

const marks = Number(process.argv[2] ?? 2000);
const perSecond = Number(process.argv[3] ?? 100);
const background = Number(process.argv[4] ?? 0);
const scope = process.argv[5] ?? 'all';
/** The rest goes to the producer as it is, e.g. --linger-ms 5, to see what a setting buys. */
const producerExtra = process.argv.slice(6);
if (scope !== 'all' && scope !== 'marks') throw new Error(`scope: all or marks, not ${scope}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Arrival time (performance.now()) of each marker's console line, by marker number. */
function watchLines(tail: ChildProcess, arrived: Map<number, number>): void {
  let rest = '';
  tail.stdout!.on('data', (chunk: string) => {
    const now = performance.now();
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const m = /\/mark-(-?\d+)"/.exec(line);
      if (m && !arrived.has(Number(m[1]))) arrived.set(Number(m[1]), now);
    }
  });
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-latency-'));
  const markDir = path.join(work, 'marks');
  fs.mkdirSync(markDir);
  const prefix = `bench-lat-${Date.now().toString(36)}`;
  const producer = start(process.execPath, [
    ...producerNodeFlags(), // as installed
    PRODUCER_CLI,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--spool-dir',
    path.join(work, 'spool'),
    '--log-level',
    'info',
    ...(scope === 'marks' ? ['--include-path', `${markDir}/`] : []),
    ...producerExtra,
  ]);
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  // start() kills its children if this process exits early.
  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--path-prefix', `${markDir}/`]);
  const arrived = new Map<number, number>();
  watchLines(tail.child, arrived);
  const opened = new Map<number, number>();
  const mark = (i: number): void => {
    const file = path.join(markDir, `mark-${i}`);
    opened.set(i, performance.now());
    fs.closeSync(fs.openSync(file, 'a'));
  };
  // Warm up until tail has joined and printed a marker: negative numbers, not measured.
  for (let i = -1; arrived.size === 0; i--) {
    if (i < -600) throw new Error('tail printed no marker line within 60 s');
    mark(i);
    await sleep(100);
  }
  let loop: ChildProcess | undefined;
  if (background > 0) {
    const target = path.join(work, 'background');
    fs.writeFileSync(target, 'x');
    loop = spawn(buildLoadgen('latload'), [String(Math.round(background * (marks / perSecond + 30))), target, String(background)], { stdio: 'ignore' });
    await sleep(1000);
  }
  const t0 = performance.now();
  for (let i = 0; i < marks; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    mark(i);
  }
  for (let w = 0; w < 100 && [...opened.keys()].some((i) => i >= 0 && !arrived.has(i)); w++) await sleep(100);
  loop?.kill('SIGKILL');
  await tail.stop('SIGINT');
  await producer.stop('SIGINT');
  fs.rmSync(work, { recursive: true, force: true });

  const ms: number[] = [];
  for (let i = 0; i < marks; i++) if (arrived.has(i)) ms.push(arrived.get(i)! - opened.get(i)!);
  ms.sort((a, b) => a - b);
  const r = (x: number): number => +x.toFixed(1);
  const result = {
    marks,
    perSecond,
    backgroundOpensPerSec: background,
    scope,
    producerOptions: producerExtra.join(' '),
    printed: ms.length,
    missing: marks - ms.length,
    p50Ms: r(percentile(ms, 50)),
    p90Ms: r(percentile(ms, 90)),
    p99Ms: r(percentile(ms, 99)),
    maxMs: r(ms[ms.length - 1]),
  };
  console.log(JSON.stringify(result));
  console.log(
    `open() -> tail line, ${ms.length} of ${marks} marks at ${perSecond}/s${background ? `, ${background} background opens/s` : ''}: p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms (aim of #12: p99 under 50 ms)`,
  );
  if (result.missing > 0) throw new Error(`${result.missing} marker lines never printed`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
