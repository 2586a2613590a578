/**
 * A process's story from the store: which process (host, pid, start time: pid reuse is told
 * apart), its ancestors up to init from the process tables of the days, then what it did in time
 * order: its files, connections, execs and exit, the children it started, and the alerts it
 * raised. Every lookup goes through an index ((block, host, pid) of the event tables, the process
 * table's key and its parent index); every list is bounded.
 */
import type { AuditEvent, EventKind, Host } from '../../schemas/types';
import type { DayReader } from './day-reader';
import type { Search } from './search';
import { BLOCK, BLOCK_INDEXED } from '../store/schema';

export interface ProcessRef {
  /** Host id or name. */
  host: string;
  pid: number;
  /** Process start time, ns since boot; without it, the most recent process with that pid. */
  startNs?: bigint;
}

export interface ProcInfo {
  host: Host;
  pid: number;
  startNs: bigint;
  ppid: number;
  uid: number;
  comm: string;
  exe: string;
  cmdline?: string;
  firstNs: bigint;
  execNs?: bigint;
  exitNs?: bigint;
  exitCode?: number;
  signal?: number;
}

export type StoryEntry =
  | { t: bigint; what: 'event'; ev: AuditEvent }
  | { t: bigint; what: 'child'; child: ProcInfo }
  | { t: bigint; what: 'alert'; alert: { rule_id: string; severity: string; message: string; count: number } };

export interface Story {
  process: ProcInfo;
  /** Other processes that had this pid on that host (without @START). */
  others: ProcInfo[];
  /** Parent first. */
  lineage: ProcInfo[];
  /** Where the lineage ends: at init (or the kernel), or at a parent the store has no record of. */
  end: { at: 'init' } | { at: 'unknown'; pid: number };
  timeline: StoryEntry[];
  more: boolean;
}

type Row = Record<string, unknown>;
const KINDS: [EventKind, string][] = [
  ['file', 'file_events'],
  ['net', 'net_events'],
  ['process', 'proc_events'],
];

function infoOf(r: DayReader, row: Row): ProcInfo {
  const n = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
  const b = (v: unknown): bigint | undefined => (v === null || v === undefined ? undefined : BigInt(v as bigint));
  return {
    host: r.resolver.host(Number(row.host)),
    pid: Number(row.pid),
    startNs: BigInt(row.start_ns as bigint),
    ppid: Number(row.ppid),
    uid: Number(row.uid),
    comm: r.resolver.str(Number(row.comm)),
    exe: r.resolver.str(Number(row.exe)),
    cmdline: (row.cmdline as string | null) ?? undefined,
    firstNs: BigInt(row.first_ns as bigint),
    execNs: b(row.exec_ns),
    exitNs: b(row.exit_ns),
    exitCode: n(row.exit_code),
    signal: n(row.signal),
  };
}

/** One process's rows of several days as one record: first sighting, last exec, the exit. */
function merge(a: ProcInfo | undefined, b: ProcInfo): ProcInfo {
  if (!a) return b;
  const first = a.firstNs <= b.firstNs ? a : b;
  const later = first === a ? b : a;
  return {
    ...first,
    ...(later.execNs !== undefined ? { execNs: later.execNs, cmdline: later.cmdline, comm: later.comm, exe: later.exe, ppid: later.ppid } : {}),
    exitNs: later.exitNs ?? first.exitNs,
    exitCode: later.exitCode ?? first.exitCode,
    signal: later.signal ?? first.signal,
  };
}

const hostKey = (h: Host): string => `${h.id}\u0000${h.boot_id}`;

export function processStory(search: Search, ref: ProcessRef, opts: { limit: number }): Story | undefined {
  const days = search.readers({ cond: { op: 'const', value: true }, kinds: [], sinceNs: 0n, untilNs: 2n ** 63n - 1n, hosts: [] }).reverse();
  const HOSTS = 'SELECT id FROM hosts WHERE host_id = ? AND boot_id = ?';

  /** Processes by key over every day, merged. */
  function find(where: string, params: unknown[]): Map<string, { info: ProcInfo; days: DayReader[] }> {
    const found = new Map<string, { info: ProcInfo; days: DayReader[] }>();
    for (const r of days) {
      for (const row of r.db
        .prepare(`SELECT * FROM processes p WHERE ${where}`)
        .safeIntegers(true)
        .iterate(...params) as Iterable<Row>) {
        const info = infoOf(r, row);
        const k = `${hostKey(info.host)}\u0000${info.pid}\u0000${info.startNs}`;
        const f = found.get(k);
        found.set(k, { info: merge(f?.info, info), days: [...(f?.days ?? []), r] });
      }
    }
    return found;
  }

  const candidates = [...find('p.host IN (SELECT id FROM hosts WHERE host_id = ? OR name = ?) AND p.pid = ?', [ref.host, ref.host, ref.pid]).values()];
  const chosen = ref.startNs !== undefined ? candidates.find((c) => c.info.startNs === ref.startNs) : candidates.sort((a, b) => (a.info.firstNs > b.info.firstNs ? -1 : 1))[0];
  if (!chosen) return undefined;
  const me = chosen.info;
  const hk = [me.host.id, me.host.boot_id];

  // Ancestors: the latest process with the parent's pid that started no later than the child.
  const lineage: ProcInfo[] = [];
  let end: Story['end'] = { at: 'init' };
  for (let cur = me; cur.pid > 1 && cur.ppid > 0 && lineage.length < 64;) {
    const parents = [...find(`p.host IN (${HOSTS}) AND p.pid = ? AND p.start_ns <= ?`, [...hk, cur.ppid, cur.startNs]).values()];
    const parent = parents.sort((a, b) => (a.info.startNs > b.info.startNs ? -1 : 1))[0]?.info;
    if (!parent) {
      if (cur.ppid !== 1 && cur.ppid !== 2) end = { at: 'unknown', pid: cur.ppid };
      break;
    }
    lineage.push(parent);
    cur = parent;
  }

  // The same pid started again later (reuse): children after that start are the newer process's.
  const sameP = [...find(`p.host IN (${HOSTS}) AND p.pid = ?`, [...hk, me.pid]).values()].map((c) => c.info.startNs).filter((s) => s > me.startNs);
  const nextStart = sameP.length ? sameP.reduce((a, b) => (a < b ? a : b)) : undefined;

  const timeline: StoryEntry[] = [];
  let more = false;
  for (const r of chosen.days) {
    for (const [kind, table] of KINDS) {
      // File and net tables index (block, host, pid): one probe per block of the day.
      const blocks = BLOCK_INDEXED[kind].includes('e.host') ? r.blocks(kind) : undefined;
      if (blocks === '') continue;
      const where = `${blocks ? `${BLOCK} IN (${blocks}) AND ` : ''}e.host IN (${HOSTS}) AND e.pid = ? AND e.start_ns = ?`;
      const stmt = r.db.prepare(`SELECT e.* FROM ${table} e WHERE ${where} ORDER BY e.time_ns LIMIT ?`).safeIntegers(true);
      const rows = stmt.all(...hk, me.pid, me.startNs, opts.limit + 1) as Row[];
      if (rows.length > opts.limit) more = true;
      for (const row of rows.slice(0, opts.limit)) {
        const ev = r.event(kind, row);
        timeline.push({ t: ev.event.time_ns, what: 'event', ev });
      }
    }
    const alerts = r.db
      .prepare(
        `SELECT time_ns, rule_id, severity, message, count FROM alerts WHERE host IN (SELECT id FROM hosts WHERE host_id = ?) AND ev_pid = ? AND json_extract(event, '$.process.start_time_ns') = ? LIMIT ?`,
      )
      .safeIntegers(true)
      .all(me.host.id, me.pid, me.startNs, opts.limit) as Row[];
    for (const a of alerts)
      timeline.push({
        t: a.time_ns as bigint,
        what: 'alert',
        alert: { rule_id: a.rule_id as string, severity: a.severity as string, message: a.message as string, count: Number(a.count) },
      });
  }
  const children = find(`p.host IN (${HOSTS}) AND p.ppid = ? AND p.start_ns >= ?${nextStart === undefined ? '' : ' AND p.start_ns < ?'} LIMIT ${opts.limit}`, [
    ...hk,
    me.pid,
    me.startNs,
    ...(nextStart === undefined ? [] : [nextStart]),
  ]);
  for (const { info } of children.values()) timeline.push({ t: info.execNs ?? info.firstNs, what: 'child', child: info });
  timeline.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  if (timeline.length > opts.limit) {
    timeline.length = opts.limit;
    more = true;
  }
  return { process: me, others: candidates.map((c) => c.info).filter((c) => c !== me), lineage, end, timeline, more };
}
