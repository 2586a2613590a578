/**
 * Writes one day file. Rows are buffered per Kafka batch and committed in one transaction together
 * with the partition's watermark (the next offset), so after a kill the file holds either the whole
 * batch and its watermark or neither. Strings and addresses are interned through bounded caches in
 * front of the dictionary tables; the process table gets a row at a process's first event of the
 * day and is updated by its exec and exit.
 */
import type { Statement } from 'better-sqlite3';
import type { Alert } from '../rules/engine';
import { formatJson } from '../core/output/json';
import type { AuditEvent, EventKind, Host } from '../../schemas/types';
import { openDay, type Db } from './day-db';
import { addrBytes, toRow, type Interner, type Row } from './rows';
import { COMMON_COLUMNS, KIND_COLUMNS, TABLES } from './schema';

const CACHE_MAX = 200_000;
const KINDS: EventKind[] = ['file', 'net', 'process'];

export interface DayWriter {
  readonly day: string;
  /** The next offset of a partition already in this file (messages below it are here); -1: none. */
  watermark(topic: string, partition: number): number;
  add(ev: AuditEvent): void;
  addAlert(a: Alert): void;
  /**
   * The rows added since the last seal complete a Kafka batch: they may be committed, with this
   * watermark. Rows added after the last seal belong to a batch still being read and wait.
   */
  seal(topic: string, partition: number, next: bigint): void;
  /** Sealed rows waiting for commit. */
  readonly pending: number;
  /** Write the sealed rows and their watermarks in one transaction; returns the events and alerts written. */
  commit(): { events: number; alerts: number };
  /** Refresh the planner's statistics (sampled: milliseconds), so search picks the right index. */
  analyze(): void;
  close(): void;
}

function boundedMap<V>(): Map<string, V> {
  return new Map<string, V>();
}

export function openDayWriter(dir: string, day: string): DayWriter {
  const db: Db = openDay(dir, day, { readonly: false });
  const insert = {} as Record<EventKind, Statement>;
  for (const k of KINDS) {
    const cols = [...COMMON_COLUMNS, ...KIND_COLUMNS[k]];
    insert[k] = db.prepare(`INSERT INTO ${TABLES[k]} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  }
  const q = {
    strGet: db.prepare('SELECT id FROM strings WHERE s = ?').pluck(),
    strPut: db.prepare('INSERT INTO strings (s) VALUES (?)'),
    addrGet: db.prepare('SELECT id FROM addrs WHERE ip = ?').pluck(),
    addrPut: db.prepare('INSERT INTO addrs (ip, bin) VALUES (?, ?)'),
    hostGet: db.prepare('SELECT id FROM hosts WHERE host_id = ? AND name = ? AND boot_id = ?').pluck(),
    hostPut: db.prepare('INSERT INTO hosts (host_id, name, boot_id) VALUES (?, ?, ?)'),
    block: db.prepare('INSERT INTO blocks VALUES (?, ?, ?, ?, ?)'),
    procNew: db.prepare('INSERT OR IGNORE INTO processes (host, pid, start_ns, ppid, uid, comm, exe, first_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    procExec: db.prepare('UPDATE processes SET exec_ns = ?, cmdline = ?, cwd = ?, comm = ?, exe = ?, ppid = ?, uid = ? WHERE host = ? AND pid = ? AND start_ns = ?'),
    procExit: db.prepare('UPDATE processes SET exit_ns = ?, exit_code = ?, signal = ? WHERE host = ? AND pid = ? AND start_ns = ?'),
    alert: db.prepare('INSERT INTO alerts (time_ns, host, rule_id, severity, description, message, tags, count, ev_kind, ev_time_ns, ev_pid, ev_tid, ev_ktime_ns, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    mark: db.prepare('INSERT INTO watermarks VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset'),
  };
  // As numbers: compared per message, and Kafka offsets stay far below 2^53.
  const marks = new Map<string, number>();
  for (const r of db.prepare('SELECT topic, partition, next_offset FROM watermarks').all() as { topic: string; partition: number; next_offset: number }[]) {
    marks.set(`${r.topic}\u0000${r.partition}`, r.next_offset);
  }

  let strs = boundedMap<number>();
  let addrs = boundedMap<number>();
  /** Host rows by host id: a host's name or boot id changes rarely, so one entry per id. */
  let hosts = new Map<string, { name: string; boot: string; id: number }>();
  /** Processes with a row today: the start time of the last one seen per host and pid. */
  let procs = new Map<number, bigint>();
  const interner: Interner = {
    str(s) {
      let id = strs.get(s);
      if (id === undefined) {
        id = (q.strGet.get(s) as number | undefined) ?? Number(q.strPut.run(s).lastInsertRowid);
        if (strs.size >= CACHE_MAX) strs = boundedMap();
        strs.set(s, id);
      }
      return id;
    },
    addr(ip) {
      let id = addrs.get(ip);
      if (id === undefined) {
        id = (q.addrGet.get(ip) as number | undefined) ?? Number(q.addrPut.run(ip, addrBytes(ip)).lastInsertRowid);
        if (addrs.size >= CACHE_MAX) addrs = boundedMap();
        addrs.set(ip, id);
      }
      return id;
    },
    host(h: Host) {
      const c = hosts.get(h.id);
      if (c && c.name === h.name && c.boot === h.boot_id) return c.id;
      const id = (q.hostGet.get(h.id, h.name, h.boot_id) as number | undefined) ?? Number(q.hostPut.run(h.id, h.name, h.boot_id).lastInsertRowid);
      hosts.set(h.id, { name: h.name, boot: h.boot_id, id });
      return id;
    },
  };

  /** Rows of the batch being read, then of sealed batches waiting for a commit. */
  let open: { events: AuditEvent[]; alerts: Alert[] } = { events: [], alerts: [] };
  let events: AuditEvent[] = [];
  let alerts: Alert[] = [];
  const sealedMarks = new Map<string, { topic: string; partition: number; next: bigint }>();

  function processRow(ev: AuditEvent, row: Row): void {
    const p = ev.event.process;
    const host = row[1] as number;
    const key = host * 4_194_304 + p.pid; // pids stay below 2^22
    if (procs.get(key) !== p.start_time_ns) {
      q.procNew.run(host, p.pid, p.start_time_ns, p.ppid, p.uid >>> 0, row[10], row[11], ev.event.time_ns);
      if (procs.size >= CACHE_MAX) procs = new Map();
      procs.set(key, p.start_time_ns);
    }
    if (ev.kind !== 'process') return;
    const e = ev.event;
    if (e.kind === 'exec') q.procExec.run(e.time_ns, e.args.join(' '), interner.str(e.cwd), row[10], row[11], p.ppid, p.uid >>> 0, host, p.pid, p.start_time_ns);
    else if (e.kind === 'exit') q.procExit.run(e.time_ns, e.exit_code, e.signal, host, p.pid, p.start_time_ns);
  }

  function writeEvents(): void {
    const byKind: Record<EventKind, { first: bigint | number; last: bigint | number; min: bigint; max: bigint } | undefined> = { file: undefined, net: undefined, process: undefined };
    for (const ev of events) {
      const row = toRow(ev, interner);
      const id = insert[ev.kind].run(...row).lastInsertRowid;
      processRow(ev, row);
      const t = ev.event.time_ns;
      const b = byKind[ev.kind];
      if (!b) byKind[ev.kind] = { first: id, last: id, min: t, max: t };
      else {
        // Ids grow within a commit; a block is the id range and the time range of one commit.
        b.last = id;
        if (t < b.min) b.min = t;
        if (t > b.max) b.max = t;
      }
    }
    for (const k of KINDS) {
      const b = byKind[k];
      if (b) q.block.run(TABLES[k], b.first, b.last, b.min, b.max);
    }
  }

  function writeAlerts(): void {
    for (const a of alerts) {
      const ev = a.events[a.events.length - 1];
      const p = ev.event.process;
      q.alert.run(
        a.time_ns, interner.host(a.host), a.rule_id, a.severity, a.description, a.message, JSON.stringify(a.tags), a.count,
        ev.kind, ev.event.time_ns, p.pid, p.tid, ev.event.ktime_ns, formatJson(ev),
      );
    }
  }

  const tx = db.transaction((m: { topic: string; partition: number; next: bigint }[]) => {
    writeEvents();
    writeAlerts();
    for (const w of m) q.mark.run(w.topic, w.partition, w.next);
  });

  return {
    day,
    watermark: (topic, partition) => marks.get(`${topic}\u0000${partition}`) ?? -1,
    add(ev) {
      open.events.push(ev);
    },
    addAlert(a) {
      open.alerts.push(a);
    },
    seal(topic, partition, next) {
      for (const ev of open.events) events.push(ev);
      for (const a of open.alerts) alerts.push(a);
      open = { events: [], alerts: [] };
      sealedMarks.set(`${topic}\u0000${partition}`, { topic, partition, next });
    },
    get pending() {
      return events.length + alerts.length;
    },
    commit() {
      const m = [...sealedMarks.values()];
      if (m.length === 0) return { events: 0, alerts: 0 };
      const n = { events: events.length, alerts: alerts.length };
      try {
        tx(m);
      } catch (err) {
        // The dictionaries' new ids were rolled back with the rows: forget them.
        strs = boundedMap();
        addrs = boundedMap();
        hosts = new Map();
        procs = new Map();
        throw err;
      }
      for (const w of m) marks.set(`${w.topic}\u0000${w.partition}`, Number(w.next));
      sealedMarks.clear();
      events = [];
      alerts = [];
      return n;
    },
    analyze() {
      db.pragma('analysis_limit = 1000');
      db.exec('ANALYZE');
    },
    close() {
      try {
        db.pragma('analysis_limit = 1000');
        db.exec('ANALYZE');
      } finally {
        db.close();
      }
    },
  };
}
