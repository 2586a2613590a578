/**
 * The start of a broker outage, measured: producers stream to a healthy broker, the broker stops,
 * each producer then sees `opens` marked events, and each is killed with SIGKILL a given number of
 * seconds later. Reports how long each took to put every marked event on disk (its spool) and,
 * after the broker and the producers are started again on the same spools, how many reached Kafka.
 *   node dist/test/bench/outage-window.js [opens=1000] [kill after seconds=1,4,30]
 * Needs root and a broker it may stop: EBPF_AUDIT_BROKERS run by deploy/kafka/local.sh
 * (test/helpers/local-broker.ts says which home it uses).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { topicFor } from '../../common/topics';
import { BROKERS, PRODUCER_CLI, producerNodeFlags } from '../helpers/env';
import { localBroker } from '../helpers/local-broker';
import { countMarkers } from '../helpers/markers';
import { start, type Running } from '../helpers/proc';

const opens = Number(process.argv[2] ?? 1000);
const killAfter = (process.argv[3] ?? '1,4,30').split(',').map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Subject {
  killS: number;
  prefix: string;
  dir: string;
  spool: string;
  producer: Running;
  onDiskS?: number;
}

const launch = (s: Omit<Subject, 'producer'>): Running =>
  start(process.execPath, [
    ...producerNodeFlags(),
    PRODUCER_CLI,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    s.prefix,
    '--spool-dir',
    s.spool,
    '--include-path',
    `${s.dir}/`,
    '--stats-interval',
    '5',
  ]);

/** Distinct marker names of `dir` in the spool's segment files (the path is stored as plain bytes). */
function onDisk(spool: string, dir: string): number {
  const seen = new Set<string>();
  const re = new RegExp(`${dir}/m-\\d+`, 'g');
  for (const f of fs.readdirSync(spool)) if (f.endsWith('.seg')) for (const m of fs.readFileSync(path.join(spool, f), 'latin1').matchAll(re)) seen.add(m[0]);
  return seen.size;
}

function openMissing(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch {
    // ENOENT: a failed open is an event too
  }
}

async function main(): Promise<void> {
  const broker = localBroker();
  const why = broker.unusable();
  if (why) throw new Error(why);
  const id = Date.now().toString(36);
  const subjects: Subject[] = killAfter.map((killS) => {
    const s = { killS, prefix: `owin-${killS}s-${id}`, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'ea-owin-')), spool: fs.mkdtempSync(path.join(os.tmpdir(), 'ea-owin-spool-')) };
    return { ...s, producer: launch(s) };
  });
  for (const s of subjects) await s.producer.waitForLine(/"msg":"capturing"/, 120000, 'stderr');
  // Healthy first: each producer has delivered an event, so it is connected and its topics exist.
  for (const s of subjects) openMissing(`${s.dir}/warm`);
  const topics = subjects.map((s) => topicFor(s.prefix, 'file'));
  const warm = await countMarkers(topics, /\/ea-owin-\w+\/warm/g, (c) => c.size === subjects.length, 60000);
  if (warm.size !== subjects.length) throw new Error(`only ${warm.size} of ${subjects.length} producers delivered their first event`);

  broker.stop();
  const t0 = Date.now();
  for (const s of subjects) for (let i = 1; i <= opens; i++) openMissing(`${s.dir}/m-${i}`);
  const killed = new Set<Subject>();
  while (killed.size < subjects.length) {
    const t = (Date.now() - t0) / 1000;
    for (const s of subjects) {
      if (s.onDiskS === undefined && !killed.has(s) && onDisk(s.spool, s.dir) >= opens) s.onDiskS = t;
      if (!killed.has(s) && t >= s.killS) {
        s.producer.child.kill('SIGKILL');
        await s.producer.exited();
        killed.add(s);
      }
    }
    await sleep(50);
  }
  broker.start();
  const again = subjects.map((s) => launch(s));
  const re = new RegExp(`/ea-owin-\\w+/m-\\d+`, 'g');
  const counts = await countMarkers(topics, re, (c) => c.size >= opens * subjects.length, 120000);
  for (const p of again) await p.stop('SIGINT');
  const result = subjects.map((s, i) => {
    const mine = [...counts].filter(([k]) => k.startsWith(`/${path.basename(s.dir)}/`));
    return {
      killAfterS: s.killS,
      allOnDiskAfterS: s.onDiskS ?? null,
      delivered: mine.length,
      of: opens,
      duplicates: mine.reduce((n, [, c]) => n + c - 1, 0),
      // What the restarted producer had to say about its replay.
      restartLog: again[i]
        .stderr()
        .split('\n')
        .filter((l) => /"component":"publisher"/.test(l))
        .map((l) => {
          const j = JSON.parse(l);
          return [j.msg, j.reason ?? j.err?.message ?? j.failedAttempts ?? ''].join(' ');
        }),
    };
  });
  console.log(JSON.stringify({ brokers: BROKERS, opens, result }, null, 2));
  for (const s of subjects) for (const d of [s.dir, s.spool]) fs.rmSync(d, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
