/**
 * What a search on the newer fields (kept in the day file's `ext` JSON) costs against one on a
 * column, in SQLite:
 *
 *   node dist/test/bench/ext-search.js [events=1000000]
 *
 * Writes N fleet-shaped events (the consumer benchmark's workload; one process in ten on a terminal
 * with a login uid, root's processes with every capability, each connect with its own local port)
 * into one day file, then counts matches in process (the search API), fastest of 3: integer
 * columns, ext fields (tested on the dictionary's JSON strings, rows matched by id), and for scale
 * the same ext test written as a JSON parse per row.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { openSearch } from '../../consumer/search/search';
import { makeFilter } from '../../consumer/search/where';
import { dayFileName, dayOf } from '../../consumer/store/day-db';
import { openDayWriter } from '../../consumer/store/day-writer';
import { makeEvents } from './workload';

function best(f: () => number): { ms: number; n: number } {
  let ms = Infinity;
  let n = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    n = f();
    ms = Math.min(ms, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms, n };
}

function main(n: number): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-bench-ext-'));
  try {
    const start = BigInt(Date.UTC(2026, 10, 30, 1)) * 1_000_000n;
    const events = makeEvents(n, start);
    for (const ev of events) {
      const p = (ev.event.process = { ...ev.event.process });
      if (p.pid % 10 === 0) Object.assign(p, { tty: 34816, loginuid: 1000, login_user_name: 'alice' });
      if (p.uid === 0) p.cap_effective = 0x1ffffffffffn;
    }
    const day = dayOf(events[0].event.time_ns);
    const t0 = Date.now();
    const w = openDayWriter(dir, day);
    for (const ev of events) w.add(ev);
    w.seal('bench', 0, 1n);
    w.commit();
    w.close();
    const db = new Database(path.join(dir, dayFileName(day)), { readonly: true });
    const distinct = db.prepare("SELECT count(*) FROM strings WHERE s >= '{' AND s < '|'").pluck().get() as number;
    console.log(`${n} events in one day file in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${distinct} distinct ext values`);
    const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const search = openSearch({ dir });
    const rows: [string, () => number][] = [
      ['column: proc.uid = 0', () => search.count(makeFilter({ where: 'proc.uid = 0' }, env))],
      ['column: net.dst_port = 6379', () => search.count(makeFilter({ where: 'net.dst_port = 6379' }, env))],
      ['ext: proc.tty != 0', () => search.count(makeFilter({ where: 'proc.tty != 0' }, env))],
      ['ext: proc.loginuid = 1000', () => search.count(makeFilter({ where: 'proc.loginuid = 1000' }, env))],
      ['ext: proc.cap_effective contains CAP_SYS_ADMIN', () => search.count(makeFilter({ where: 'proc.cap_effective contains CAP_SYS_ADMIN' }, env))],
      ['ext: fd.lport >= 55000 (many values)', () => search.count(makeFilter({ where: 'fd.lport >= 55000' }, env))],
      [
        'for scale: proc.tty != 0 as a JSON parse per row',
        () =>
          ['file_events', 'net_events', 'proc_events'].reduce(
            (s, t) =>
              s + (db.prepare(`SELECT count(*) FROM ${t} e WHERE coalesce(json_extract((SELECT s FROM strings WHERE id = e.ext), '$.tty'), 0) <> 0`).pluck().get() as number),
            0,
          ),
      ],
    ];
    console.log(`${'query'.padEnd(52)} ${'ms'.padStart(8)} ${'matches'.padStart(9)}`);
    for (const [name, f] of rows) {
      const r = best(f);
      console.log(`${name.padEnd(52)} ${r.ms.toFixed(0).padStart(8)} ${String(r.n).padStart(9)}`);
    }
    search.close();
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main(Number(process.argv[2] ?? 1_000_000));
