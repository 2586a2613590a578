/**
 * The console's queries on the store (issue #8's search API), answered as the page's JSON shapes.
 * Runs inside the store worker; every call takes a deadline that the search API checks between
 * pieces of work. Paging uses a cursor (the last time shown and the rows at that very time already
 * shown), so a page costs the same however deep it is.
 */
import { ConfigError } from '../../common/errors';
import type { AuditEvent, EventKind } from '../../schemas/types';
import { RuleError } from '../rules/errors';
import { CSV_HEADER, formatCsv } from '../search/format';
import { processStory, type ProcInfo, type ProcessRef } from '../search/process-story';
import { openSearch, QueryTimeoutError, type Budget, type Search, type StoredEvent } from '../search/search';
import { makeFilter, type Filter } from '../search/where';
import { formatJson } from '../core/output/json';
import type { AlertQuery } from './alert-ring';
import type { AlertRow, AlertsResponse, HistogramResponse, ProcInfoRow, ProcessStoryResponse, SearchResponse, StoryRow, TopResponse } from './api-types';
import { rulesEnv } from './condition';
import { eventRow } from './event-row';
import { StoreError, type StoreFilter } from './store-backend';

export interface StoreQueries {
  search(f: StoreFilter, limit: number, cursor: string | undefined, b: Budget): SearchResponse;
  histogram(f: StoreFilter, buckets: number, b: Budget): HistogramResponse;
  top(f: StoreFilter, field: string, n: number, b: Budget): TopResponse;
  alerts(q: AlertQuery, b: Budget): AlertsResponse;
  story(ref: ProcessRef, limit: number): ProcessStoryResponse | undefined;
  /** CSV or JSON lines in chunks of at most `chunkRows` rows. */
  exportChunks(f: StoreFilter, format: 'csv' | 'jsonl', limit: number, b: Budget, chunkRows?: number): Generator<string, { rows: number; more: boolean }>;
  lastEvents(): { hostId: string; host: string; ns: bigint }[];
  close(): void;
}

/** Bucket widths a histogram may use (seconds): round numbers a reader can count in. */
const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export function bucketFor(sinceNs: bigint, untilNs: bigint, buckets: number): bigint {
  const spanS = Number(untilNs - sinceNs) / 1e9;
  const s = STEPS_S.find((x) => spanS / x <= buckets) ?? Math.ceil(spanS / buckets / 86400) * 86400;
  return BigInt(s) * 1_000_000_000n;
}

/** Rows of the store's process story as the page's rows. */
function procRow(p: ProcInfo): ProcInfoRow {
  return {
    host: p.host.name,
    hostId: p.host.id,
    pid: p.pid,
    ppid: p.ppid,
    uid: p.uid >>> 0,
    start: p.startNs.toString(),
    comm: p.comm,
    exe: p.exe,
    cmdline: p.cmdline,
    first: p.firstNs.toString(),
    exec: p.execNs?.toString(),
    exit: p.exitNs?.toString(),
    exitCode: p.exitCode,
    signal: p.signal,
  };
}

/** The triggering event the store keeps as JSON (tail --output json): nanosecond numbers read exactly. */
const BIG_FIELDS = /"(time_ns|ktime_ns|start_time_ns|cgroup_id|cap_effective|cap_permitted)":(-?\d+)/g;
export function eventFromJson(text: string): AuditEvent {
  const o = JSON.parse(text.replace(BIG_FIELDS, '"$1":"$2"')) as Record<string, unknown>;
  const big = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(big);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        out[k] = typeof x === 'string' && /^(time_ns|ktime_ns|start_time_ns|cgroup_id|cap_effective|cap_permitted)$/.test(k) ? BigInt(x) : big(x);
      return out;
    }
    return v;
  };
  const { kind, time: _time, ...event } = big(o) as Record<string, unknown>;
  return { kind, event } as unknown as AuditEvent;
}

interface Cursor {
  /** Time of the last row shown (ns). */
  t: string;
  /** Rows at exactly that time already shown: day:kind:id. */
  s: string[];
}

const keyOf = (e: StoredEvent): string => `${e.day}:${e.ev.kind}:${e.id}`;
const encode = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(s: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.t === 'string' && /^\d+$/.test(c.t) && Array.isArray(c.s) && c.s.length <= 10_000) return c;
  } catch {
    // fall through
  }
  throw new StoreError(400, 'cursor: not one this console gave');
}

/** A condition the store cannot run: 400 with the column, as the live filter reports it. */
function rejected(err: unknown): never {
  if (err instanceof RuleError) throw new StoreError(400, err.reason, err.pos.line === 1 ? err.pos.col : undefined);
  if (err instanceof ConfigError) throw new StoreError(400, err.message);
  throw err;
}

function timedOut<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof QueryTimeoutError) throw new StoreError(503, err.message);
    throw err;
  }
}

export function openStoreQueries(dir: string): StoreQueries {
  const search: Search = openSearch({ dir });
  const filter = (f: StoreFilter): Filter => {
    try {
      return makeFilter({ where: f.where, kinds: f.kinds, hosts: f.hosts, sinceNs: f.sinceNs, untilNs: f.untilNs }, rulesEnv());
    } catch (err) {
      return rejected(err);
    }
  };

  /** One page from a cursor: the rows after it, and the cursor after them. */
  function page(f: Filter, limit: number, cursor: Cursor | undefined, b: Budget): { rows: StoredEvent[]; next?: Cursor } {
    const seen = new Set(cursor?.s ?? []);
    const from = cursor ? { ...f, sinceNs: BigInt(cursor.t) } : f;
    const { events, more } = search.events(from, limit + seen.size, b);
    const rows = events.filter((e) => !seen.has(keyOf(e))).slice(0, limit);
    const left = more || events.length - seen.size > rows.length;
    if (!left || rows.length === 0) return { rows };
    const last = rows[rows.length - 1].ev.event.time_ns;
    const same = rows.filter((e) => e.ev.event.time_ns === last).map(keyOf);
    return { rows, next: { t: last.toString(), s: last.toString() === cursor?.t ? [...seen, ...same] : same } };
  }

  return {
    search(f, limit, cursor, b) {
      const t0 = Date.now();
      const { rows, next } = timedOut(() => page(filter(f), limit, cursor ? decode(cursor) : undefined, b));
      return { rows: rows.map((e) => eventRow(e.ev)), next: next && encode(next), tookMs: Date.now() - t0 };
    },
    histogram(f, buckets, b) {
      const t0 = Date.now();
      const flt = filter(f);
      const width = bucketFor(f.sinceNs, f.untilNs, buckets);
      const got = new Map(timedOut(() => search.histogram(flt, width, b)).map((x) => [x.startNs, x.events]));
      const out: HistogramResponse['buckets'] = [];
      let total = 0;
      for (let s = (f.sinceNs / width) * width; s <= f.untilNs; s += width) {
        const n = got.get(s) ?? 0;
        total += n;
        out.push({ t: Number(s / 1_000_000n), n });
      }
      return { bucketMs: Number(width / 1_000_000n), buckets: out, total, tookMs: Date.now() - t0 };
    },
    top(f, field, n, b) {
      const t0 = Date.now();
      const rows = timedOut(() => search.top(filter(f), [field], n, b));
      return { field, rows: rows.map((r) => ({ value: r.value, events: r.events })), tookMs: Date.now() - t0 };
    },
    alerts(q, b) {
      const all = { cond: { op: 'const', value: true }, kinds: [] as EventKind[], sinceNs: q.sinceNs, untilNs: q.untilNs, hosts: [] } as Filter;
      const where = ['a.time_ns BETWEEN ? AND ?'];
      const params: unknown[] = [q.sinceNs, q.untilNs];
      const within = (col: string, vals: string[]): void => {
        if (!vals.length) return;
        where.push(`${col} IN (${vals.map(() => '?').join(', ')})`);
        params.push(...vals);
      };
      within('a.severity', q.severities);
      within('a.rule_id', q.rules);
      if (q.hosts.length) {
        where.push(`(h.host_id IN (${q.hosts.map(() => '?').join(', ')}) OR h.name IN (${q.hosts.map(() => '?').join(', ')}))`);
        params.push(...q.hosts, ...q.hosts);
      }
      const sql = `FROM alerts a JOIN hosts h ON h.id = a.host WHERE ${where.join(' AND ')}`;
      const alerts: AlertRow[] = [];
      const byRule = new Map<string, { rule: string; severity: string; n: number }>();
      let more = false;
      // Newest day first: the list is newest first and stops at the limit.
      for (const r of search.readers(all).reverse()) {
        if (b.deadlineMs !== undefined && Date.now() > b.deadlineMs) throw new StoreError(503, 'the query ran out of time; narrow the time range');
        for (const c of r.db.prepare(`SELECT a.rule_id AS rule, a.severity AS severity, count(*) AS n ${sql} GROUP BY a.rule_id, a.severity`).all(...params) as {
          rule: string;
          severity: string;
          n: number;
        }[]) {
          const x = byRule.get(c.rule) ?? { rule: c.rule, severity: c.severity, n: 0 };
          x.n += c.n;
          byRule.set(c.rule, x);
        }
        if (alerts.length > q.limit) continue;
        const stmt = r.db
          .prepare(`SELECT a.time_ns, h.host_id, h.name, a.rule_id, a.severity, a.description, a.message, a.tags, a.count, a.event ${sql} ORDER BY a.time_ns DESC LIMIT ?`)
          .safeIntegers(true);
        for (const row of stmt.all(...params, q.limit + 1 - alerts.length) as Record<string, unknown>[]) {
          let event;
          try {
            event = eventRow(eventFromJson(row.event as string));
          } catch {
            event = undefined; // an unreadable event does not hide the alert
          }
          alerts.push({
            time: String(row.time_ns),
            rule: row.rule_id as string,
            severity: row.severity as string,
            description: row.description as string,
            message: row.message as string,
            tags: JSON.parse(row.tags as string) as string[],
            host: row.name as string,
            hostId: row.host_id as string,
            count: Number(row.count),
            event,
          });
        }
      }
      if (alerts.length > q.limit) {
        alerts.length = q.limit;
        more = true;
      }
      return { alerts, byRule: [...byRule.values()].sort((a, b2) => b2.n - a.n), more, source: 'store' };
    },
    story(ref, limit) {
      const s = processStory(search, ref, { limit });
      if (!s) return undefined;
      const timeline: StoryRow[] = s.timeline.map((e) =>
        e.what === 'event'
          ? { t: e.t.toString(), what: 'event', event: eventRow(e.ev) }
          : e.what === 'child'
            ? { t: e.t.toString(), what: 'child', child: procRow(e.child) }
            : { t: e.t.toString(), what: 'alert', alert: { rule: e.alert.rule_id, severity: e.alert.severity, message: e.alert.message, count: e.alert.count } },
      );
      return { process: procRow(s.process), others: s.others.map(procRow), lineage: s.lineage.map(procRow), end: s.end, timeline, more: s.more };
    },
    *exportChunks(f, format, limit, b, chunkRows = 2000) {
      const flt = filter(f);
      const line = format === 'csv' ? formatCsv : formatJson;
      let rows = 0;
      let cursor: Cursor | undefined;
      if (format === 'csv') yield `${CSV_HEADER}\n`;
      for (;;) {
        const p = timedOut(() => page(flt, Math.min(chunkRows, limit - rows), cursor, b));
        if (p.rows.length) yield `${p.rows.map((e) => line(e.ev)).join('\n')}\n`;
        rows += p.rows.length;
        cursor = p.next;
        if (!cursor) return { rows, more: false };
        if (rows >= limit) return { rows, more: true };
      }
    },
    lastEvents() {
      const days = search.days().slice(-2);
      const last = new Map<string, { hostId: string; host: string; ns: bigint }>();
      const all = { cond: { op: 'const', value: true }, kinds: [] as EventKind[], sinceNs: 0n, untilNs: 2n ** 63n - 1n, hosts: [] } as Filter;
      for (const r of search.readers(all).filter((x) => days.includes(x.day))) {
        // The newest rows of each table (ids follow arrival), and each process's latest sign of life:
        // bounded reads, however large the day.
        const parts = ['file_events', 'net_events', 'proc_events'].map(
          (t) => `SELECT host, max(time_ns) AS t FROM ${t} WHERE id > (SELECT coalesce(max(id), 0) - 100000 FROM ${t}) GROUP BY host`,
        );
        parts.push('SELECT host, max(coalesce(exit_ns, exec_ns, first_ns)) AS t FROM processes GROUP BY host');
        const sql = `SELECT h.host_id, h.name, max(x.t) AS t FROM (${parts.join(' UNION ALL ')}) x JOIN hosts h ON h.id = x.host GROUP BY h.host_id, h.name`;
        for (const row of r.db.prepare(sql).safeIntegers(true).all() as { host_id: string; name: string; t: bigint }[]) {
          const cur = last.get(row.host_id);
          if (!cur || row.t > cur.ns) last.set(row.host_id, { hostId: row.host_id, host: row.name, ns: row.t });
        }
      }
      return [...last.values()];
    },
    close: () => search.close(),
  };
}
