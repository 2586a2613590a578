/**
 * proc.cmdline and proc.pname in OpenSearch. Both come from the stored process events, as in the
 * SQLite search (search/sql-fields.ts) and the rule engine: an event's command line is that of the
 * last exec or exit of its (host, pid) at or before it, the same day, when that is an exec of the
 * same process (start time); its parent's name is the command name of the last exec or exit of
 * (host, ppid), when that is an exec, else that of the parent the producer listed at the process's
 * exec, while it is still the parent. A command line is Falco's: the exec's name, then its
 * arguments after argv[0]. Without such an exec the field has no value: every test is false.
 *
 * Query DSL has no join, so the lookup runs first: the execs whose command line (or name) passes
 * the test are found (names by a query; command lines, which no field holds in Falco's form, by
 * reading the window's execs), each becomes an interval of time (from it to the next exec or exit
 * of its pid, within its day), and the events in those intervals are selected by a script over a
 * map of intervals (prefiltered by pid). The number of execs is bounded.
 */
import type { EventKind } from '../../../schemas/types';
import { type NCond, type NTest, unsupported } from '../../search/normalize';
import { parseIsoNs } from './document';
import { and, evalTest, MATCH_ALL, MATCH_NONE, not, or, testOnKeyword } from './query-dsl';
import type { Query } from './search-fields';

export const MAX_LOOKUP_EXECS = 20_000;
const NS_PER_DAY = 86_400_000_000_000n;
const MAX_NS = 2n ** 63n - 1n;

interface Window {
  kinds: EventKind[];
  sinceNs: bigint;
  untilNs: bigint;
  hosts: string[];
}

export interface LookupOptions {
  indexPrefix: string;
  filter: Window;
  post<T>(path: string, body: unknown): Promise<T>;
}

export interface Lookups {
  /** Resolve every proc.cmdline / proc.pname test of a condition (queries the store). */
  prepare(c: NCond, kind: EventKind): Promise<void>;
  resolve(t: NTest, kind: EventKind): Query;
}

interface ExecRow {
  id: string;
  key: string;
  pid: number;
  start: string;
  t: bigint;
  exec: boolean;
  /** Falco's command line: the name, then the arguments after argv[0]. */
  cmdline: string;
  comm: string;
  /** The parent the producer listed at the exec. */
  listed?: { pid: number; comm: string };
}

/** Falco's proc.cmdline of an exec: its name, then its arguments after argv[0]. */
const falcoCmdline = (comm: string, args: string[]): string => (args.length > 1 ? `${comm} ${args.slice(1).join(' ')}` : comm);

const hostKey = (s: Record<string, any>): string => `${s.host.id}\u0000${s.host.name}\u0000${s.host.boot.id}`; // eslint-disable-line @typescript-eslint/no-explicit-any
const EXEC: Query = { term: { 'event.action': 'exec' } };

/** Per-doc: is (host, the values of params.fields, time) inside one of params.w's intervals? */
const IN_INTERVALS = `
String sep = params.sep;
String k = doc['host.id'].value + sep + doc['host.name'].value + sep + doc['host.boot.id'].value;
for (def f : params.fields) { if (doc[f].size() == 0) return false; k = k + sep + doc[f].value; }
def r = params.w.get(k);
if (r == null) return false;
def z = doc['@timestamp'].value.toInstant();
long t = z.getEpochSecond() * 1000000000L + z.getNano();
for (int i = 0; i < r.size(); i += 2) { if (t >= ((Number) r.get(i)).longValue() && t < ((Number) r.get(i + 1)).longValue()) return true; }
return false;`;

export function createLookups(o: LookupOptions): Lookups {
  const f = o.filter;
  const resolved = new Map<NTest, Query>();
  const dayStart = (ns: bigint): bigint => (ns / NS_PER_DAY) * NS_PER_DAY;
  const processIndex = `${o.indexPrefix}-process-*`;
  const window = (): Query[] => {
    const q: Query[] = [];
    if (f.sinceNs > 0n || f.untilNs < MAX_NS) {
      // Lookups look back to the start of the day (a day is the unit the SQLite store looks in).
      q.push({
        range: { '@timestamp': { gte: new Date(Number(dayStart(f.sinceNs) / 1_000_000n)).toISOString(), lte: isoEndOfDay(f.untilNs), format: 'strict_date_optional_time_nanos' } },
      });
    }
    if (f.hosts.length) q.push(or([{ terms: { 'host.id': f.hosts } }, { terms: { 'host.name': f.hosts } }]));
    return q;
  };

  async function fetchRows(query: Query): Promise<ExecRow[]> {
    const rows: ExecRow[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const body = {
        size: 5000,
        query,
        track_total_hits: false,
        _source: ['host', 'process.pid', 'process.name', 'process.args', 'ebpf_audit.process.start_ns', '@timestamp', 'event.action', 'ebpf_audit.extra.ext.ancestors'],
        sort: [{ '@timestamp': 'asc' }, { 'ebpf_audit.ktime_ns': 'asc' }],
        ...(after ? { search_after: after } : {}),
      };
      const res = await o.post<{ hits: { hits: { _id: string; _source: Record<string, any>; sort: unknown[] }[] } }>(`/${processIndex}/_search`, body); // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const h of res.hits.hits) {
        const s = h._source;
        rows.push({
          id: h._id,
          key: hostKey(s),
          pid: s.process.pid,
          start: String(s.ebpf_audit.process.start_ns),
          t: parseIsoNs(s['@timestamp']),
          exec: s.event.action === 'exec',
          cmdline: falcoCmdline(s.process.name ?? '', s.process.args ?? []),
          comm: s.process.name ?? '',
          listed: s.ebpf_audit?.extra?.ext?.ancestors?.[0],
        });
      }
      if (rows.length > 4 * MAX_LOOKUP_EXECS) throw new Error('too many process events to look up; narrow the time range or the hosts');
      if (res.hits.hits.length < 5000) return rows;
      after = res.hits.hits[res.hits.hits.length - 1].sort;
    }
  }

  /**
   * Intervals of the execs passing `execTest` (and `keep`), up to their pid's next exec or exit:
   * keyed by host, pid, and what `suffix` adds (start time, listed parent); `ids`: those execs' documents.
   */
  async function intervals(
    execTest: Query,
    t: NTest,
    keep?: (r: ExecRow) => boolean,
    suffix: (r: ExecRow) => string[] = () => [],
  ): Promise<{ w: Record<string, string[]>; pids: number[]; ids: string[] }> {
    const execs = (await fetchRows(and([EXEC, execTest, ...window()]))).filter((r) => !keep || keep(r));
    if (execs.length > MAX_LOOKUP_EXECS) throw unsupported(t, `more than ${MAX_LOOKUP_EXECS} execs to look up; narrow the time range, the hosts or the condition`);
    const w: Record<string, string[]> = {};
    if (!execs.length) return { w, pids: [], ids: [] };
    const pids = [...new Set(execs.map((e) => e.pid))];
    const chosen = new Set(execs.map((e) => e.id));
    const all = await fetchRows(and([{ terms: { 'event.action': ['exec', 'exit'] } }, { terms: { 'process.pid': pids } }, ...window()]));
    const byPid = new Map<string, ExecRow[]>();
    for (const r of all) {
      const k = `${r.key}\u0000${r.pid}`;
      const list = byPid.get(k) ?? [];
      list.push(r);
      byPid.set(k, list);
    }
    for (const list of byPid.values()) {
      list.forEach((x, i) => {
        if (!chosen.has(x.id)) return;
        const dayEnd = dayStart(x.t) + NS_PER_DAY;
        const next = list[i + 1]?.t;
        const to = next !== undefined && next < dayEnd ? next : dayEnd;
        const k = [x.key, x.pid, ...suffix(x)].join('\u0000');
        (w[k] ??= []).push(String(x.t), String(to));
      });
    }
    return { w, pids, ids: execs.map((e) => e.id) };
  }

  /** Documents whose host and `fields` (the first a pid field) fall in one of the intervals. */
  function inIntervals(iv: { w: Record<string, string[]>; pids: number[] }, fields: string[]): Query {
    if (!iv.pids.length) return MATCH_NONE;
    // Raw numbers: the JSON body carries these strings as exact longs (see below).
    const w = Object.fromEntries(Object.entries(iv.w).map(([k, v]) => [k, v.map((x) => BigInt(x))]));
    return and([{ terms: { [fields[0]]: iv.pids } }, { script: { script: { lang: 'painless', source: IN_INTERVALS, params: { w, fields, sep: '\u0000' } } } }]);
  }

  async function resolveTest(t: NTest, kind: EventKind): Promise<Query> {
    const SELF = ['process.pid', 'ebpf_audit.process.start_ns'];
    if (t.field === 'proc.cmdline') {
      const iv = await intervals(
        MATCH_ALL,
        t,
        (r) => evalTest(t.test, r.cmdline),
        (r) => [r.start],
      );
      const others = inIntervals(iv, SELF);
      if (kind !== 'process') return others;
      // An exec's own command line, then the other process events after it.
      const execs = iv.ids.length ? { ids: { values: iv.ids } } : MATCH_NONE;
      return or([and([EXEC, execs]), { bool: { filter: [others], must_not: [EXEC] } }]);
    }
    // proc.pname: the parent's last exec (its name, maybe empty: toEcs leaves an empty one out) ...
    const parent = inIntervals(await intervals(testOnKeyword('process.name', t.test, ''), t), ['process.parent.pid']);
    // ... else, when the parent has no exec in force, the parent the producer listed at the
    // process's exec, while it is still the parent (process-tree.ts's ancestorOf).
    const listed = await intervals(
      MATCH_ALL,
      t,
      (r) => r.listed !== undefined && evalTest(t.test, r.listed.comm),
      (r) => [r.start, String(r.listed!.pid)],
    );
    if (!listed.pids.length) return parent;
    const listedPids = [...new Set(Object.keys(listed.w).map((k) => Number(k.split('\u0000').pop())))];
    const anyParentExec = inIntervals(await intervals({ terms: { 'process.pid': listedPids } }, t), ['process.parent.pid']);
    return or([parent, and([inIntervals(listed, [...SELF, 'process.parent.pid']), not(anyParentExec)])]);
  }

  return {
    async prepare(c, kind) {
      const walk = async (n: NCond): Promise<void> => {
        if (n.op === 'test') {
          if ((n.field === 'proc.cmdline' || n.field === 'proc.pname') && !resolved.has(n)) resolved.set(n, await resolveTest(n, kind));
        } else if (n.op === 'not') await walk(n.arg);
        else if (n.op === 'and' || n.op === 'or') for (const a of n.args) await walk(a);
      };
      resolved.clear();
      await walk(c);
    },
    resolve(t) {
      const q = resolved.get(t);
      if (!q) throw new Error(`lookup for ${t.field} not prepared`);
      return q;
    },
  };
}

function isoEndOfDay(ns: bigint): string {
  const end = (ns / NS_PER_DAY + 1n) * NS_PER_DAY - 1n;
  const capped = end > MAX_NS ? MAX_NS : end;
  const ms = Number(capped / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${(capped % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}
