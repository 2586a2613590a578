/**
 * The console's store queries on a store written by the store's own day writer (no broker): pages
 * by cursor return every matching event exactly once, ties at one nanosecond included; the
 * histogram and top-N count them; stored alerts come back with their exact triggering event; the
 * process story has its lineage; an export streams every row; and a query that overruns its
 * deadline is answered 503 while the next one gets a fresh worker.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatJson } from '../../consumer/core/output/json';
import { dayOf } from '../../consumer/store/day-db';
import { openDayWriter } from '../../consumer/store/day-writer';
import { openMetaStore } from '../../consumer/store/meta';
import { createLogger } from '../../common/logger';
import { createStoreClient } from '../../consumer/web/store-client';
import { bucketFor, eventFromJson, openStoreQueries } from '../../consumer/web/store-queries';
import type { StoreFilter } from '../../consumer/web/store-backend';
import { NEW_PROCESS_EVENT_FIELDS, NEW_PROCESS_FIELDS } from '../helpers/event-defaults';
import type { AuditEvent, Host, Process } from '../../schemas/types';

const HOST: Host = { id: 'machine-1', name: 'web-1', boot_id: 'boot-1' };
const T0 = BigInt(Date.UTC(2026, 10, 24, 10)) * 1_000_000n;
const proc = (pid: number, ppid: number, comm: string): Process => ({
  pid,
  tid: pid,
  ppid,
  uid: 0,
  gid: 0,
  euid: 0,
  egid: 0,
  comm,
  exe: `/usr/bin/${comm}`,
  start_time_ns: BigInt(pid) * 1000n,
  cgroup_id: 1n,
  container_id: '',
  exe_from_memfd: false,
  exe_deleted: false,
  ...NEW_PROCESS_FIELDS,
});
const bash = proc(200, 1, 'bash');
const cat = proc(201, 200, 'cat');
const exec = (t: bigint, p: Process): AuditEvent => ({
  kind: 'process',
  event: {
    time_ns: t,
    ktime_ns: t,
    host: HOST,
    process: p,
    kind: 'exec',
    filename: p.exe,
    args: [p.comm],
    cwd: '/',
    exit_code: 0,
    signal: 0,
    truncated: false,
    cred_change: null,
    ...NEW_PROCESS_EVENT_FIELDS,
  },
});
const open = (t: bigint, p: Process, file: string): AuditEvent => ({
  kind: 'file',
  event: { time_ns: t, ktime_ns: t, host: HOST, process: p, op: 'openat', path: file, dirfd: -100, flags: 0, mode: 0, result: 3, truncated: false, target: '' },
});

/** 2 execs and 250 opens, 50 of them at the very same nanosecond (ties across a page boundary). */
function makeStore(): { dir: string; events: AuditEvent[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-web-store-'));
  openMetaStore(dir).close();
  const events: AuditEvent[] = [exec(T0, bash), exec(T0 + 1n, cat)];
  for (let i = 0; i < 250; i++) events.push(open(T0 + 1000n + BigInt(i < 100 ? i : i < 150 ? 100 : i), cat, `/data/f${i}`));
  const w = openDayWriter(dir, dayOf(T0));
  for (const ev of events) w.add(ev);
  w.addAlert({ time_ns: T0 + 5000n, rule_id: 'cred-file-read', severity: 'high', description: 'd', message: 'm', tags: ['T1003'], host: HOST, count: 1, events: [events[10]] });
  w.seal('t', 0, 1n);
  w.commit();
  w.close();
  return { dir, events };
}

const ALL: StoreFilter = { kinds: ['file', 'net', 'process'], hosts: [], sinceNs: T0 - 1_000_000_000n, untilNs: T0 + 60_000_000_000n };

test('pages by cursor: every event once, in time order, ties at one nanosecond across pages included', () => {
  const { dir, events } = makeStore();
  const q = openStoreQueries(dir);
  try {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = q.search({ ...ALL, where: 'proc.name = cat' }, 30, cursor, {});
      seen.push(...p.rows.map((r) => `${r.type}:${r.detail}:${r.time}`));
      cursor = p.next;
      pages++;
    } while (cursor && pages < 100);
    const want = events
      .filter((e) => e.event.process.comm === 'cat')
      .map((e) => `${e.kind === 'file' ? 'openat' : 'exec'}:${e.kind === 'file' ? e.event.path : '/usr/bin/cat'}:${e.event.time_ns}`);
    assert.equal(seen.length, want.length);
    assert.deepEqual([...seen].sort(), [...want].sort());
    assert.equal(new Set(seen).size, seen.length, 'no row twice');
    assert.equal(pages, Math.ceil(want.length / 30));
    assert.throws(() => q.search(ALL, 10, 'bm90IGEgY3Vyc29y', {}), /cursor/);
    assert.throws(
      () => q.search({ ...ALL, where: 'proc.name = cat and' }, 10, undefined, {}),
      (e: Error & { col?: number }) => e.col !== undefined,
    );
  } finally {
    q.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('histogram, top-N, stored alerts with the exact event, the process story, the export, the last events', () => {
  const { dir, events } = makeStore();
  const q = openStoreQueries(dir);
  try {
    const h = q.histogram(ALL, 60, {});
    assert.equal(h.total, events.length);
    assert.equal(h.bucketMs, 2000); // 61 s in at most 60 bars
    assert.equal(
      h.buckets.reduce((s, b) => s + b.n, 0),
      events.length,
    );
    assert.deepEqual(q.top(ALL, 'proc.name', 5, {}).rows, [
      { value: 'cat', events: 251 },
      { value: 'bash', events: 1 },
    ]);
    const a = q.alerts({ sinceNs: ALL.sinceNs, untilNs: ALL.untilNs, severities: ['high'], rules: [], hosts: ['web-1'], limit: 10 }, {});
    assert.equal(a.source, 'store');
    assert.deepEqual(a.byRule, [{ rule: 'cred-file-read', severity: 'high', n: 1 }]);
    assert.equal(a.alerts[0].event?.time, String(events[10].event.time_ns));
    assert.equal(a.alerts[0].event?.start, '201000');
    assert.equal(q.alerts({ sinceNs: ALL.sinceNs, untilNs: ALL.untilNs, severities: ['low'], rules: [], hosts: [], limit: 10 }, {}).alerts.length, 0);
    const story = q.story({ host: 'web-1', pid: 201 }, 1000)!;
    assert.deepEqual(
      story.lineage.map((p) => p.comm),
      ['bash'],
    );
    assert.equal(story.process.cmdline, 'cat');
    assert.ok(story.timeline.some((e) => e.what === 'alert'));
    const chunks = [...q.exportChunks(ALL, 'csv', 1000, {}, 100)];
    assert.match(chunks[0], /^time,time_ns,kind/);
    assert.equal(chunks.join('').trim().split('\n').length, events.length + 1);
    const jl = [...q.exportChunks(ALL, 'jsonl', 7, {}, 5)].join('').trim().split('\n');
    assert.equal(jl.length, 7);
    assert.deepEqual(q.lastEvents(), [{ hostId: 'machine-1', host: 'web-1', ns: T0 + 1249n }]);
  } finally {
    q.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the stored event JSON reads back with exact nanoseconds; bucket widths are round', () => {
  const ev = open(1_796_037_496_485_673_003n, { ...cat, start_time_ns: 9_007_199_254_740_993n }, '/x');
  const back = eventFromJson(formatJson(ev));
  assert.equal(back.event.time_ns, 1_796_037_496_485_673_003n);
  assert.equal(back.event.process.start_time_ns, 9_007_199_254_740_993n);
  assert.equal(bucketFor(0n, 3_600_000_000_000n, 60), 60_000_000_000n);
  assert.equal(bucketFor(0n, 7n * 86_400_000_000_000n, 60), 10_800_000_000_000n);
});

test('a query that overruns its deadline gets 503, and the next query a fresh worker', async () => {
  const { dir } = makeStore();
  const hang = path.join(dir, 'hang-worker.js');
  // A worker that never answers: stands for a SQLite call that does not return.
  fs.writeFileSync(hang, "require('node:worker_threads').parentPort.on('message', () => { for (;;) {} });");
  const logger = createLogger({ name: 'test', level: 'silent' });
  const stuck = createStoreClient({ dir, logger, timeoutMs: 100, graceMs: 100, workerFile: hang });
  await assert.rejects(stuck.histogram(ALL, 10), (e: Error & { statusCode?: number }) => e.statusCode === 503 && /ran out of time/.test(e.message));
  await assert.rejects(stuck.top(ALL, 'proc.name', 3), (e: Error & { statusCode?: number }) => e.statusCode === 503);
  await stuck.close();
  const real = createStoreClient({ dir, logger, timeoutMs: 5000 });
  try {
    assert.equal(real.available(), true);
    assert.equal((await real.top(ALL, 'proc.name', 1)).rows[0].value, 'cat');
    const parts: string[] = [];
    const done = await real.export(ALL, 'jsonl', 100, async (c) => void parts.push(c));
    assert.deepEqual(done, { rows: 100, more: true });
    assert.equal(parts.join('').trim().split('\n').length, 100);
  } finally {
    await real.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
