/**
 * The store CLI against the real broker: exactly once across kill -9 during a steady stream, and
 * retention dropping the oldest day.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Alert } from '../../consumer/rules/engine';
import type { AuditEvent } from '../../schemas/types';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';
import { createTopicSet, messagesIn, preload } from '../helpers/store-preload';
import { makeEvents } from '../bench/workload';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rows in every day file: events and alerts, and how many distinct (kind, time) keys they have. */
function rowsIn(dir: string): { rows: number; distinct: number } {
  let rows = 0;
  let distinct = 0;
  for (const f of fs.readdirSync(dir).filter((x) => /^events-.*\.db$/.test(x))) {
    const db = new Database(path.join(dir, f), { readonly: true });
    for (const t of ['file_events', 'net_events', 'proc_events', 'alerts']) {
      rows += db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
      distinct += db.prepare(`SELECT count(DISTINCT time_ns) FROM ${t}`).pluck().get() as number;
    }
    db.close();
  }
  return { rows, distinct };
}

function storeArgs(prefix: string, dir: string, extra: string[] = []): string[] {
  return [CONSUMER_CLI, 'store', '--brokers', BROKERS, '--topic-prefix', prefix, '--db', dir, '--stats-interval', '1', ...extra];
}

/** Events with distinct times from now - ageMs, in order. */
function timed(n: number, fromMs: number, stepNs = 1000n): AuditEvent[] {
  const events = makeEvents(n);
  const base = BigInt(fromMs) * 1_000_000n;
  events.forEach((ev, i) => (ev.event.time_ns = base + BigInt(i) * stepNs));
  return events;
}

test('store: every message stored exactly once across kill -9 during a steady stream', { timeout: 240000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('store-once');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-store-once-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await createTopicSet(prefix);
  const events = timed(60_000, Date.now() - 600_000);
  const alert = (ev: AuditEvent, i: number): Alert => ({
    time_ns: ev.event.time_ns + 1n,
    rule_id: `r-${i}`,
    severity: 'high',
    description: 'd',
    message: `m ${i}`,
    tags: ['T1'],
    host: ev.event.host,
    count: 1,
    events: [ev],
  });

  // A steady stream until the kills are done: 1,000 events every 150 ms, an alert with each
  // batch, a malformed message now and then.
  let malformed = 0;
  let sent = 0;
  let killing = true;
  const stream = (async () => {
    for (let i = 0; i < events.length && (killing || i < 20_000); i += 1000) {
      const raw = i % 5000 === 0 ? [Buffer.from(`garbage ${i}`)] : [];
      malformed += raw.length;
      await preload(prefix, events.slice(i, i + 1000), { alerts: [alert(events[i], i)], raw });
      sent++;
      await sleep(150);
    }
  })();

  // Kill the store three times at moments when it is writing, restart it each time.
  for (let k = 0; k < 3; k++) {
    // A fresh group each time: the offsets are the store's, and a group would first wait out the
    // killed member's session (30 s) before handing its partitions on.
    const store = start(process.execPath, storeArgs(prefix, dir, ['--group', `${prefix}-${k}`]));
    t.after(() => store.stop('SIGKILL'));
    await store.waitForLine(/"stored":[1-9].*"msg":"store stats"/, 60000, 'stderr');
    await sleep(300 + k * 700);
    assert.equal(await store.stop('SIGKILL'), 'SIGKILL');
  }
  killing = false;
  await stream;
  // Then read to the end and stop.
  const last = spawnSync(process.execPath, storeArgs(prefix, dir, ['--until-end']), { encoding: 'utf8', timeout: 120000 });
  assert.equal(last.status, 0, last.stderr.slice(-3000));
  const stopped = JSON.parse(last.stderr.split('\n').find((l) => l.includes('"msg":"store stopped"'))!);

  const messages = await messagesIn(prefix);
  const { rows, distinct } = rowsIn(dir);
  assert.equal(rows, messages - malformed, `rows ${rows}, messages ${messages}, malformed ${malformed}`);
  assert.equal(distinct, rows, 'a message was stored twice');
  assert.ok(malformed >= 6);
  // The last run read what was left; malformed messages were counted and logged with their offsets.
  assert.ok(stopped.events.received > 0);
  const all = (last.stderr + '').split('\n').filter((l) => l.includes('malformed message skipped'));
  for (const l of all) assert.match(l, /"topic":"[^"]+\.file","partition":\d+,"offset":"\d+"/);
  const search = spawnSync(process.execPath, [CONSUMER_CLI, 'search', '--db', dir, '--count'], { encoding: 'utf8' });
  assert.equal(search.status, 0, search.stderr);
  assert.equal(Number(search.stdout.trim()), rows - sent); // one alert per batch sent
});

test('store: --retention drops the oldest day whole, logs it, and does not store its events again', { timeout: 120000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('store-ret');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-store-ret-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await createTopicSet(prefix);
  const day = 86400_000;
  const now = Date.now();
  const ages = [3 * day + 3600_000, 2 * day - 3600_000, 3600_000];
  await preload(
    prefix,
    ages.flatMap((age) => timed(100, now - age)),
  );
  const first = spawnSync(process.execPath, storeArgs(prefix, dir, ['--until-end']), { encoding: 'utf8', timeout: 60000 });
  assert.equal(first.status, 0, first.stderr);
  const days = (): string[] =>
    fs
      .readdirSync(dir)
      .filter((f) => /^events-.*\.db$/.test(f))
      .sort();
  const before = days();
  assert.equal(before.length, 3, before.join(' '));
  assert.equal(rowsIn(dir).rows, 300);

  // Restarted with a retention of 2 days: the oldest day goes, with a log line saying so; replaying
  // the topics from the beginning (a new directory's offsets are gone with the day) stores nothing of it.
  const second = spawnSync(process.execPath, storeArgs(prefix, dir, ['--until-end', '--retention', '2d']), { encoding: 'utf8', timeout: 60000 });
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual(days(), before.slice(1));
  const dropped = second.stderr.split('\n').find((l) => l.includes('"msg":"day dropped"'));
  assert.ok(dropped, second.stderr);
  assert.match(dropped, new RegExp(`"day":"${before[0].slice(7, 17)}","reason":"retention","bytes":[1-9]`));
  assert.equal(rowsIn(dir).rows, 200);
  const meta = new Database(path.join(dir, 'meta.db'), { readonly: true });
  assert.equal((meta.prepare('SELECT day, reason FROM dropped').all() as { day: string }[])[0].day, before[0].slice(7, 17));
  meta.close();
});
