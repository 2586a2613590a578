/**
 * Writes one day file. Rows go into the file as their events arrive, inside a transaction that
 * stays open across Kafka batches and commits together with each partition's watermark: the
 * offset after the last message of that partition written here. After a kill the file holds
 * every row up to its committed watermarks and nothing after them, so a message below a file's
 * watermark is in the file, and one at or above it is not: a replay skips the first and writes
 * the second. Nothing is held in JavaScript until the commit (the decoded events die young, which
 * keeps the collector cheap). Strings and addresses are interned through bounded caches in front
 * of the dictionary tables; the process table gets a row at a process's first event of the day
 * and is updated by its exec and exit.
 */
import type { Statement } from 'better-sqlite3';
import type { Alert } from '../rules/engine';
import { formatJson } from '../core/output/json';
import type { AuditEvent, EventKind, Host } from '../../schemas/types';
import { openDay, type Db } from './day-db';
import { ipv4Number } from '../../common/ipv4';
import { addrBytes, toRow, type Interner, type Row } from './rows';
import { COMMON_COLUMNS, KIND_COLUMNS, TABLES } from './schema';
import { withGetters } from '../../common/with-getters';

const CACHE_MAX = 200_000;
const KINDS: EventKind[] = ['file', 'net', 'process'];

/**
 * A partition's watermark in one day file: messages of the partition at offsets below `next` are
 * in the file (committed, or in the open transaction). The store raises `next` past each message
 * it writes; a message below it (read again after a failure) is skipped.
 */
export interface Mark {
  readonly topic: string;
  readonly partition: number;
  /** As a number: compared per message, and Kafka offsets stay far below 2^53. */
  next: number;
}

export interface DayWriter {
  readonly day: string;
  /** A partition's watermark (next: -1 when the file holds none of its messages). */
  mark(topic: string, partition: number): Mark;
  add(ev: AuditEvent): void;
  addAlert(a: Alert): void;
  /** Raise a partition's watermark to `next` (rows written without per-message marks: tools and tests). */
  seal(topic: string, partition: number, next: bigint): void;
  /** Rows waiting for the commit. */
  readonly pending: number;
  /** Commit the rows and the raised watermarks in one transaction; returns the events and alerts written. */
  commit(): { events: number; alerts: number };
  /** Refresh the planner's statistics (sampled: milliseconds), so search picks the right index. */
  analyze(): void;
  /** Close the file; uncommitted rows are rolled back. */
  close(): void;
}

function boundedMap<V>(): Map<string, V> {
  return new Map<string, V>();
}

/** The id range and time range of the rows a commit adds to one table (a row of `blocks`). */
interface Block {
  first: number | bigint;
  last: number | bigint;
  min: bigint;
  max: bigint;
}

export function openDayWriter(dir: string, day: string): DayWriter {
  const db: Db = openDay(dir, day, { readonly: false });
  const insert = {} as Record<EventKind, Statement>;
  /** One row array per kind, refilled for every event. */
  const rows = {} as Record<EventKind, Row>;
  for (const k of KINDS) {
    const cols = [...COMMON_COLUMNS, ...KIND_COLUMNS[k]];
    insert[k] = db.prepare(`INSERT INTO ${TABLES[k]} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    rows[k] = new Array<Row[number]>(cols.length).fill(null);
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
    alert: db.prepare(
      'INSERT INTO alerts (time_ns, host, rule_id, severity, description, message, tags, count, ev_kind, ev_time_ns, ev_pid, ev_tid, ev_ktime_ns, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    mark: db.prepare('INSERT INTO watermarks VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset'),
    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
  };
  /** Watermarks, and the value each had at the last commit (restored by a rollback). */
  const marks = new Map<string, Mark>();
  const committed = new Map<Mark, number>();
  for (const r of db.prepare('SELECT topic, partition, next_offset FROM watermarks').all() as { topic: string; partition: number; next_offset: number }[]) {
    const m: Mark = { topic: r.topic, partition: r.partition, next: r.next_offset };
    marks.set(`${r.topic}\u0000${r.partition}`, m);
    committed.set(m, m.next);
  }
  function mark(topic: string, partition: number): Mark {
    const k = `${topic}\u0000${partition}`;
    let m = marks.get(k);
    if (!m) {
      marks.set(k, (m = { topic, partition, next: -1 }));
      committed.set(m, -1);
    }
    return m;
  }

  let strs = boundedMap<number>();
  let addrs = boundedMap<number>();
  /** Host rows by host id: a host's name or boot id changes rarely, so one entry per id. */
  let hosts = new Map<string, { name: string; boot: string; id: number }>();
  /** Processes with a row today: the start time of the last one seen per host and pid. */
  let procs = new Map<number, bigint>();
  /** After a rollback the dictionaries' new ids are gone with the rows: forget every cached id. */
  function forgetCaches(): void {
    strs = boundedMap();
    addrs = boundedMap();
    hosts = new Map();
    procs = new Map();
  }
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
      const v4 = ipv4Number(ip);
      if (v4 >= 0) return v4;
      let id = addrs.get(ip);
      if (id === undefined) {
        id = (q.addrGet.get(ip) as number | undefined) ?? Number(q.addrPut.run(ip, addrBytes(ip)).lastInsertRowid);
        if (addrs.size >= CACHE_MAX) addrs = boundedMap();
        addrs.set(ip, id);
      }
      return -id;
    },
    host(h: Host) {
      const c = hosts.get(h.id);
      if (c && c.name === h.name && c.boot === h.boot_id) return c.id;
      const id = (q.hostGet.get(h.id, h.name, h.boot_id) as number | undefined) ?? Number(q.hostPut.run(h.id, h.name, h.boot_id).lastInsertRowid);
      hosts.set(h.id, { name: h.name, boot: h.boot_id, id });
      return id;
    },
  };

  /** A transaction is open: rows since the last commit. */
  let inTx = false;
  const counts = { events: 0, alerts: 0 };
  /** Per table, the id range and time range of the rows of the open transaction. */
  let blocks: Partial<Record<EventKind, Block>> = {};

  function startRow(): void {
    if (!inTx) {
      q.begin.run();
      inTx = true;
    }
  }

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

  function rollback(): void {
    if (db.inTransaction) q.rollback.run();
    inTx = false;
    blocks = {};
    counts.events = counts.alerts = 0;
    for (const [m, v] of committed) m.next = v;
    forgetCaches();
  }

  return withGetters<DayWriter, 'pending'>(
    {
      day,
      mark,
      add(ev) {
        startRow();
        const row = toRow(ev, interner, rows[ev.kind]);
        const id = insert[ev.kind].run(row).lastInsertRowid;
        processRow(ev, row);
        counts.events++;
        const t = ev.event.time_ns;
        const b = blocks[ev.kind];
        if (!b) blocks[ev.kind] = { first: id, last: id, min: t, max: t };
        else {
          // Ids grow within a transaction; a block is the id range and the time range of one commit.
          b.last = id;
          if (t < b.min) b.min = t;
          if (t > b.max) b.max = t;
        }
      },
      addAlert(a) {
        startRow();
        const ev = a.events[a.events.length - 1];
        const p = ev.event.process;
        q.alert.run(
          a.time_ns,
          interner.host(a.host),
          a.rule_id,
          a.severity,
          a.description,
          a.message,
          JSON.stringify(a.tags),
          a.count,
          ev.kind,
          ev.event.time_ns,
          p.pid,
          p.tid,
          ev.event.ktime_ns,
          formatJson(ev),
        );
        counts.alerts++;
      },
      seal(topic, partition, next) {
        const m = mark(topic, partition);
        if (Number(next) > m.next) m.next = Number(next);
      },
      commit() {
        const raised = [...committed].filter(([m, v]) => m.next > v).map(([m]) => m);
        if (!inTx && raised.length === 0) return { events: 0, alerts: 0 };
        const n = { ...counts };
        try {
          startRow();
          for (const k of KINDS) {
            const b = blocks[k];
            if (b) q.block.run(TABLES[k], b.first, b.last, b.min, b.max);
          }
          for (const m of raised) q.mark.run(m.topic, m.partition, m.next);
          q.commit.run();
        } catch (err) {
          rollback();
          throw err;
        }
        inTx = false;
        for (const m of raised) committed.set(m, m.next);
        blocks = {};
        counts.events = counts.alerts = 0;
        return n;
      },
      analyze() {
        if (inTx) return; // with the next commit's statistics
        db.pragma('analysis_limit = 1000');
        db.exec('ANALYZE');
      },
      close() {
        try {
          if (inTx) rollback();
          db.pragma('analysis_limit = 1000');
          db.exec('ANALYZE');
        } finally {
          db.close();
        }
      },
    },
    { pending: () => counts.events + counts.alerts },
  );
}
