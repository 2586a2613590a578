/**
 * Store and search benchmark.
 *
 *   node dist/test/bench/store.js ingest [events=1000000] [baseline-cli [rounds=1]]
 *     preloads N fleet-shaped events (16 hosts, over the last hour: current times, so the broker's
 *     retention cannot delete them mid-run) into a fresh topic set, then runs
 *     `store --until-end` into a fresh directory and reports its rate (per wall and per CPU second,
 *     from its final log line) and the bytes per event on disk. With a baseline CLI (another
 *     build's dist/consumer/cli.js, e.g. of main in a second worktree), the baseline and this
 *     build take turns on the same topics, `rounds` times: before and after at the same load.
 *
 *   node dist/test/bench/store.js query [events=10000000] [dir]
 *     writes N fleet-shaped events spread over the last 3 days straight into a store directory
 *     (the day writer, no Kafka, the event indexes built after the load: only the query times are
 *     measured here), then times the searches:
 *     a path prefix on one host over one hour, --top proc.exepath over one day, --process. Each query
 *     runs 3 times in process (the search API, as a server calls it) and 3 times through the
 *     search CLI (Node start-up and the rule pack's loading included); the fastest of each is reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditEvent } from '../../schemas/types';
import { openDayWriter, type DayWriter } from '../../consumer/store/day-writer';
import Database from 'better-sqlite3';
import { dayFileName, dayOf } from '../../consumer/store/day-db';
import { listDays } from '../../consumer/store/meta';
import { DAY_DDL } from '../../consumer/store/schema';
import { makeEvents } from './workload';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { processStory } from '../../consumer/search/process-story';
import { openSearch, type Search } from '../../consumer/search/search';
import { parseProcessRef } from '../../consumer/search/search-options';
import { makeFilter } from '../../consumer/search/where';
import { BROKERS, CONSUMER_CLI } from '../helpers/env';
import { createTopicSet, preload } from '../helpers/store-preload';

const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;

/** The workload's events moved to [startMs, endMs), in order. */
function retime(events: AuditEvent[], startMs: number, endMs: number): void {
  const step = ((endMs - startMs) * 1e6) / events.length;
  const start = BigInt(startMs) * 1_000_000n;
  events.forEach((ev, i) => {
    ev.event.time_ns = start + BigInt(Math.floor(i * step));
  });
}

function dirBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('events-'))
    .reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
}

/** One `store --until-end` run of a CLI over the preloaded topics into a fresh directory. */
async function storeRun(cli: string, label: string, prefix: string, n: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-bench-store-'));
  try {
    // A group of its own per run: the offsets are the store's, and no run waits for another's session.
    const group = `${prefix}-${label}-${Date.now().toString(36)}`;
    const child = spawn(process.execPath, [cli, 'store', '--db', dir, '--topic-prefix', prefix, '--brokers', BROKERS, '--group', group, '--until-end', '--log-level', 'info'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const line = err.split('\n').find((l) => l.includes('"msg":"store stopped"'));
    if (code !== 0 || !line) throw new Error(`store exited ${code}: ${err.slice(-2000)}`);
    const j = JSON.parse(line);
    const stored = j.store.stored as number;
    const bytes = dirBytes(dir);
    console.log(
      `${label}: store --until-end: ${stored} events in ${(j.elapsedMs / 1000).toFixed(2)} s: ${k(stored / (j.elapsedMs / 1000))} events/s wall, ${k(stored / (j.cpuMs / 1000))} events/s per CPU second (${((j.cpuMs * 1e3) / stored).toFixed(2)} µs CPU/event)`,
    );
    console.log(
      `${label}: on disk: ${(bytes / 1048576).toFixed(1)} MiB, ${(bytes / stored).toFixed(1)} bytes/event (day files after checkpoint; meta.db ${fs.statSync(path.join(dir, 'meta.db')).size} bytes)`,
    );
    if (stored !== n) throw new Error(`${label}: stored ${stored} of ${n}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Preloads the events once, then runs this build's store over them; with a baseline CLI (another
 * build's dist/consumer/cli.js), runs the two in turn, `rounds` times each, on the same topics at
 * the same machine load: a before/after comparison.
 */
async function ingest(n: number, baseline?: string, rounds = 1): Promise<void> {
  const events = makeEvents(n);
  retime(events, Date.now() - 3600_000, Date.now());
  const prefix = `bench-store-${Date.now().toString(36)}`;
  const t0 = Date.now();
  await createTopicSet(prefix);
  await preload(prefix, events, { batch: 10000 });
  console.log(`preloaded ${n} events into ${prefix}.{file,net,process} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  events.length = 0;
  for (let r = 0; r < rounds; r++) {
    if (baseline) await storeRun(baseline, 'baseline', prefix, n);
    await storeRun(CONSUMER_CLI, baseline ? 'this build' : 'store', prefix, n);
  }
  console.log(
    `(load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
  );
}

/** Indexes of the event tables: dropped while the benchmark loads, built at the end (a sort is faster than 10M random inserts). */
const EVENT_INDEXES = /CREATE INDEX IF NOT EXISTS ((?:file|net|proc)_events_\w+) ON/g;

function writeDirect(n: number, dir: string): { hour: [number, number]; day: string; host: string; proc: string } {
  const CHUNK = 1_000_000;
  const endMs = Date.now();
  const startMs = endMs - 3 * 86400_000;
  const writers = new Map<string, DayWriter>();
  const open = (d: string): DayWriter => {
    openDayWriter(dir, d).close();
    const db = new Database(path.join(dir, dayFileName(d)));
    for (const m of DAY_DDL.matchAll(EVENT_INDEXES)) db.exec(`DROP INDEX ${m[1]}`);
    db.close();
    return openDayWriter(dir, d);
  };
  const t0 = Date.now();
  let written = 0;
  for (let i = 0; i < n; i += CHUNK) {
    // One chunk at a time (memory); each chunk re-uses the workload's shapes with later times.
    const events = makeEvents(Math.min(CHUNK, n - i));
    const step = (endMs - startMs) / n;
    events.forEach((ev, j) => {
      ev.event.time_ns = BigInt(Math.floor(startMs + (i + j) * step)) * 1_000_000n + BigInt(j % 1000);
    });
    for (let b = 0; b < events.length; b += 50_000) {
      const batch = events.slice(b, b + 50_000);
      const used = new Set<DayWriter>();
      for (const ev of batch) {
        const d = dayOf(ev.event.time_ns);
        let w = writers.get(d);
        if (!w) writers.set(d, (w = open(d)));
        w.add(ev);
        used.add(w);
      }
      for (const w of used) {
        w.seal('bench', 0, BigInt(written + b + batch.length));
        w.commit();
      }
    }
    written += events.length;
    process.stderr.write(`\rwritten ${written} events (${k(written / ((Date.now() - t0) / 1000))}/s)`);
  }
  for (const w of writers.values()) w.close();
  process.stderr.write('\n');
  for (const d of writers.keys()) {
    const db = new Database(path.join(dir, dayFileName(d)));
    db.pragma('cache_size = -262144');
    db.exec(DAY_DDL); // the indexes, built now
    db.pragma('analysis_limit = 1000');
    db.exec('ANALYZE'); // as the store does every 10 minutes and when it closes a day
    db.close();
  }
  if (n) console.log(`loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s (indexes built after the load)`);
  const days = listDays(dir);
  const day = days[1]; // a whole day in the middle
  const hourStart = Date.parse(`${day}T12:00:00Z`);
  return { hour: [hourStart, hourStart + 3600_000], day, host: 'web-3', proc: 'web-3:1234' };
}

function timeCli(args: string[]): { ms: number; lines: number; out: string } {
  let best = Infinity;
  let out = '';
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CONSUMER_CLI, 'search', ...args, '--log-level', 'warn'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`search ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    best = Math.min(best, ms);
    out = r.stdout;
  }
  return { ms: best, lines: out.split('\n').filter(Boolean).length, out };
}

async function query(n: number, dirArg?: string): Promise<void> {
  const dir = dirArg ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ea-bench-query-'));
  // A directory given is kept for the next run; a temporary one is removed.
  if (!dirArg) process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const t0 = Date.now();
  // A directory given that already holds day files is reused (the write takes minutes).
  const fresh = !fs.existsSync(dir) || !fs.readdirSync(dir).some((f) => f.startsWith('events-'));
  fs.mkdirSync(dir, { recursive: true });
  const q = writeDirect(fresh ? n : 0, dir);
  for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('events-'))) {
    const db = new Database(path.join(dir, f));
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get()) {
      db.pragma('analysis_limit = 1000');
      db.exec('ANALYZE');
    }
    db.close();
  }
  console.log(`store with ${n} events over 3 days in ${dir} (${((Date.now() - t0) / 1000).toFixed(0)} s to write, ${(dirBytes(dir) / n).toFixed(1)} bytes/event)`);
  // The node start-up alone, to tell it from the query.
  const t1 = process.hrtime.bigint();
  spawnSync(process.execPath, [CONSUMER_CLI, 'search', '--help'], { encoding: 'utf8' });
  console.log(`(search CLI start-up, --help: ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(0)} ms)`);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
  const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
  const dayMs = Date.parse(`${q.day}T00:00:00Z`);
  const cases: [string, string[], (s: Search) => number][] = [
    [
      'path prefix on one host over one hour',
      ['--since', iso(q.hour[0]), '--until', iso(q.hour[1]), '--host', q.host, '--where', 'file.path startswith /etc/', '--limit', '100000'],
      (s) => s.events(makeFilter({ sinceNs: ns(q.hour[0]), untilNs: ns(q.hour[1]), hosts: [q.host], where: 'file.path startswith /etc/' }, env), 100_000).events.length,
    ],
    [
      '--top proc.exepath over one day',
      // A whole day, as a person asks for it: --since 2026-11-28 --until 2026-11-29.
      ['--since', q.day, '--until', iso(dayMs + 86400_000).slice(0, 10), '--top', 'proc.exepath'],
      (s) => s.top(makeFilter({ sinceNs: ns(dayMs), untilNs: ns(dayMs + 86400_000) }, env), ['proc.exepath'], 10).length,
    ],
    [`--process ${q.proc}`, ['--process', q.proc, '--limit', '100'], (s) => processStory(s, parseProcessRef(q.proc), { limit: 100 })!.timeline.length],
  ];
  for (const [name, args, api] of cases) {
    // In process, as a server calls it (a fresh Search each time: files opened, nothing cached).
    let best = Infinity;
    let rows = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const s = openSearch({ dir });
      rows = api(s);
      s.close();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const cli = timeCli(['--db', dir, ...args]);
    console.log(`${name}: ${best.toFixed(0)} ms in process (${rows} rows), ${cli.ms.toFixed(0)} ms through the CLI`);
  }
}

const [mode, count, dir] = process.argv.slice(2);
(mode === 'query' ? query(Number(count ?? 10_000_000), dir) : ingest(Number(count ?? 1_000_000), dir, Number(process.argv[5] ?? 1))).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
