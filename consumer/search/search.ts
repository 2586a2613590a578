/**
 * Search over a store directory, for the CLI and for servers (the web console): opens the day files
 * read-only, and runs event listings, counts, top-N and histograms with a row limit and a time
 * budget. Work is split by day and by kind's table; the budget is checked between rows and between
 * those pieces, so a query stops soon after its deadline (SQLite itself cannot be interrupted here:
 * better-sqlite3 is built without the progress handler).
 */
import type { AuditEvent, EventKind, Host } from '../../schemas/types';
import { listDays } from '../store/meta';
import { openDayReader, type DayReader } from './day-reader';
import { groupKey } from './sql-fields';
import { tableQuery, type Filter } from './where';

export interface Budget {
  /** Stop at this time (Date.now() ms). */
  deadlineMs?: number;
}

export class QueryTimeoutError extends Error {}

export interface StoredEvent {
  day: string;
  id: number;
  ev: AuditEvent;
}

export interface TopRow {
  value: string;
  /** Events with this value. */
  events: number;
  /** With a second field: its distinct values among those events. */
  distinct?: number;
}

export interface StoredAlert {
  day: string;
  time_ns: bigint;
  rule_id: string;
  severity: string;
  description: string;
  message: string;
  tags: string[];
  host: Host;
  count: number;
  /** The triggering event as `tail --output json` prints it. */
  event: string;
}

export interface Search {
  /** Days the store holds, oldest first. */
  days(): string[];
  /** The day files a filter's time window touches, oldest first. */
  readers(f: Filter): DayReader[];
  events(f: Filter, limit: number, b?: Budget): { events: StoredEvent[]; more: boolean };
  count(f: Filter, b?: Budget): number;
  histogram(f: Filter, bucketNs: bigint, b?: Budget): { startNs: bigint; events: number }[];
  /** Alerts stored in the filter's time window and hosts (its condition and kinds do not apply), oldest first. */
  alerts(f: Filter, limit: number, b?: Budget): { alerts: StoredAlert[]; more: boolean };
  top(f: Filter, fields: string[], n: number, b?: Budget): TopRow[];
  close(): void;
}

/** Pairs of values `--top A,B` may hold in memory while counting distinct B per A. */
const MAX_PAIRS = 2_000_000;

function check(b: Budget | undefined): void {
  if (b?.deadlineMs !== undefined && Date.now() > b.deadlineMs) throw new QueryTimeoutError('the query ran out of time; narrow the time range or the condition');
}

export function openSearch(opts: { dir: string }): Search {
  const open = new Map<string, DayReader>();
  function reader(day: string): DayReader {
    let r = open.get(day);
    if (!r) {
      r = openDayReader(opts.dir, day);
      open.set(day, r);
    }
    return r;
  }
  const days = (): string[] => listDays(opts.dir);

  function readers(f: Filter): DayReader[] {
    const out: DayReader[] = [];
    const listed = days();
    for (const [d, r] of open) {
      if (listed.includes(d)) continue;
      r.close(); // dropped by retention: let its file go
      open.delete(d);
    }
    for (const d of listed) {
      let r: DayReader;
      try {
        r = reader(d);
      } catch {
        continue; // dropped by retention since it was listed
      }
      if (r.endNs > f.sinceNs && r.startNs <= f.untilNs) out.push(r);
    }
    return out;
  }

  /** Every (day, kind) piece with its query, in time order of the days. */
  function* pieces(f: Filter): Generator<{ r: DayReader; kind: EventKind; q: NonNullable<ReturnType<typeof tableQuery>> }> {
    for (const r of readers(f)) {
      for (const kind of f.kinds) {
        const q = tableQuery(r, f, kind);
        if (q) yield { r, kind, q };
      }
    }
  }

  return {
    days,
    readers,
    events(f, limit, b) {
      const out: StoredEvent[] = [];
      let more = false;
      for (const r of readers(f)) {
        const day: StoredEvent[] = [];
        for (const kind of f.kinds) {
          const q = tableQuery(r, f, kind);
          if (!q) continue;
          check(b);
          const left = limit - out.length;
          const stmt = r.db.prepare(`SELECT e.* FROM ${q.from} WHERE ${q.where} ORDER BY e.time_ns, e.id LIMIT ?`).safeIntegers(true);
          let n = 0;
          for (const row of stmt.iterate(...q.params, left + 1) as Iterable<Record<string, unknown>>) {
            if (++n > left) {
              more = true;
              break;
            }
            if ((n & 1023) === 0) check(b);
            day.push({ day: r.day, id: Number(row.id as bigint), ev: r.event(kind, row) });
          }
        }
        // The day's kinds merged by time; the day files follow each other in time.
        day.sort((x, y) => (x.ev.event.time_ns < y.ev.event.time_ns ? -1 : x.ev.event.time_ns > y.ev.event.time_ns ? 1 : 0));
        for (const e of day) {
          if (out.length >= limit) {
            more = true;
            break;
          }
          out.push(e);
        }
        if (out.length >= limit) break;
      }
      return { events: out, more };
    },
    count(f, b) {
      let n = 0;
      for (const { r, q } of pieces(f)) {
        check(b);
        n += Number(
          r.db
            .prepare(`SELECT count(*) FROM ${q.from} WHERE ${q.where}`)
            .pluck()
            .get(...q.params),
        );
      }
      return n;
    },
    histogram(f, bucketNs, b) {
      const buckets = new Map<bigint, number>();
      for (const { r, q } of pieces(f)) {
        check(b);
        const rows = r.db
          .prepare(`SELECT e.time_ns / ? AS b, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY b`)
          .raw()
          .safeIntegers(true)
          .all(bucketNs, ...q.params) as [bigint, bigint][];
        for (const [k, n] of rows) buckets.set(k, (buckets.get(k) ?? 0) + Number(n));
      }
      return [...buckets].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([k, n]) => ({ startNs: k * bucketNs, events: n }));
    },
    alerts(f, limit, b) {
      const out: StoredAlert[] = [];
      for (const r of readers(f)) {
        check(b);
        const hosts = f.hosts.length
          ? ` AND host IN (SELECT id FROM hosts WHERE host_id IN (${f.hosts.map(() => '?').join(', ')}) OR name IN (${f.hosts.map(() => '?').join(', ')}))`
          : '';
        const rows = r.db
          .prepare(`SELECT * FROM alerts WHERE time_ns BETWEEN ? AND ?${hosts} ORDER BY time_ns, id LIMIT ?`)
          .safeIntegers(true)
          .all(f.sinceNs, f.untilNs, ...f.hosts, ...f.hosts, limit - out.length + 1) as Record<string, unknown>[];
        for (const a of rows) {
          if (out.length >= limit) return { alerts: out, more: true };
          out.push({
            day: r.day,
            time_ns: a.time_ns as bigint,
            rule_id: a.rule_id as string,
            severity: a.severity as string,
            description: a.description as string,
            message: a.message as string,
            tags: JSON.parse(a.tags as string) as string[],
            host: r.resolver.host(Number(a.host)),
            count: Number(a.count),
            event: a.event as string,
          });
        }
      }
      return { alerts: out, more: false };
    },
    top(f, fields, n, b) {
      const counts = new Map<string, { events: number; values?: Set<string> }>();
      let pairs = 0;
      for (const { r, kind, q } of pieces(f)) {
        const keys = fields.map((name) => groupKey(name, kind));
        if (keys.some((k) => !k)) continue; // a field without a value on this kind
        check(b);
        const cols = keys.map((k, i) => `${k!.expr} AS g${i}`).join(', ');
        const groups = keys.map((_, i) => `g${i}`).join(', ');
        const stmt = r.db.prepare(`SELECT ${cols}, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY ${groups}`).raw();
        const label = (i: number, v: unknown): string => {
          switch (keys[i]!.label) {
            case 'str':
              return r.resolver.str(Number(v));
            case 'addr':
              return r.resolver.addr(Number(v));
            case 'host_name':
              return r.resolver.host(Number(v)).name;
            case 'host_id':
              return r.resolver.host(Number(v)).id;
            default:
              return String(v);
          }
        };
        for (const row of stmt.iterate(...q.params) as Iterable<unknown[]>) {
          if (row[0] === null || (keys.length > 1 && row[1] === null)) continue; // no value: not counted
          const a = label(0, row[0]);
          let c = counts.get(a);
          if (!c) counts.set(a, (c = { events: 0, values: fields.length > 1 ? new Set() : undefined }));
          c.events += Number(row[row.length - 1]);
          if (c.values) {
            const size = c.values.size;
            c.values.add(label(1, row[1]));
            if (c.values.size > size && ++pairs > MAX_PAIRS)
              throw new QueryTimeoutError(`more than ${MAX_PAIRS} distinct pairs of ${fields.join(', ')}; narrow the time range or the condition`);
          }
        }
      }
      const rows: TopRow[] = [...counts].map(([value, c]) => ({ value, events: c.events, distinct: c.values?.size }));
      rows.sort((x, y) => (y.distinct ?? y.events) - (x.distinct ?? x.events) || y.events - x.events || (x.value < y.value ? -1 : 1));
      return rows.slice(0, n);
    },
    close() {
      for (const r of open.values()) r.close();
      open.clear();
    },
  };
}
