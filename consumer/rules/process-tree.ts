/**
 * What detect knows about processes beyond each event: their command lines, working directories
 * and ancestry, learned from the exec events it reads (per host and pid; a process's own record
 * must have its start time). This is the thread table Falco's proc.cmdline, proc.pname and
 * proc.aname[N] read. An exit forgets the process. Kinds travel in separate topics, so a file
 * event may be read before the exec of its process: its command line is then unknown (no value).
 * The search backends (SQLite, OpenSearch) compute the same from the stored events: the last exec
 * at or before the event, unless an exit came after it. Bounded: the oldest records go first.
 */
import type { AuditEvent } from '../../schemas/types';

export interface ProcRecord {
  pid: number;
  ppid: number;
  start: bigint;
  /** Command name (comm). */
  comm: string;
  /** Executable path. */
  exepath: string;
  /** argv of the exec seen; undefined when not seen. */
  argv?: string[];
  cwd?: string;
}

/** fd.sip.name and friends: which addresses a domain name resolves to (see dns.ts). */
export interface NameLookup {
  /** Whether `ip` is among the addresses `name` resolved to. */
  matches(name: string, ip: string): boolean;
  /** The names that resolved to `ip`, for outputs. */
  namesOf(ip: string): string[];
}

export const NO_NAMES: NameLookup = { matches: () => false, namesOf: () => [] };

/** What a field may read besides the event. */
export interface EvalContext {
  /** ev's process as known here (for an exec, the event itself); undefined when never seen. */
  self(ev: AuditEvent): ProcRecord | undefined;
  /** The nth ancestor of ev's process: 1 the parent, 2 the grandparent ... */
  ancestor(ev: AuditEvent, n: number): ProcRecord | undefined;
  /** Events observed so far, this one included: Falco's evt.num. */
  readonly seq: number;
  readonly names: NameLookup;
}

export interface ProcessTree extends EvalContext {
  /** Learn from an event; call once per event, before the rules read it. */
  observe(ev: AuditEvent): void;
  size(): number;
}

export const MAX_DEPTH = 64;

export function createProcessTree(opts: { maxProcesses: number; names?: NameLookup }): ProcessTree {
  const hosts = new Map<string, Map<number, ProcRecord>>();
  // Insertion order across hosts, for the bound; an entry replaced since is skipped.
  let fifoHosts: Map<number, ProcRecord>[] = [];
  let fifoRecs: ProcRecord[] = [];
  let head = 0;
  let size = 0;
  let seq = 0;

  function add(table: Map<number, ProcRecord>, rec: ProcRecord): void {
    if (table.get(rec.pid) === undefined) size++;
    table.set(rec.pid, rec);
    fifoHosts.push(table);
    fifoRecs.push(rec);
    while (size > opts.maxProcesses) {
      const t = fifoHosts[head];
      const r = fifoRecs[head++];
      if (t.get(r.pid) === r) {
        t.delete(r.pid);
        size--;
      }
    }
    // Exits and re-execs leave stale entries behind: drop them when they outnumber the live ones.
    if (fifoRecs.length - head > 2 * size + 1024) {
      const hs: Map<number, ProcRecord>[] = [];
      const rs: ProcRecord[] = [];
      for (let i = head; i < fifoRecs.length; i++) {
        if (fifoHosts[i].get(fifoRecs[i].pid) === fifoRecs[i]) {
          hs.push(fifoHosts[i]);
          rs.push(fifoRecs[i]);
        }
      }
      fifoHosts = hs;
      fifoRecs = rs;
      head = 0;
    }
  }

  // The last host's table: a partition's consecutive events often come from one host, and a
  // string comparison is cheaper than a Map lookup of each event's freshly decoded host id.
  let lastId = '';
  let lastTable: Map<number, ProcRecord> | undefined;
  function tableOf(id: string): Map<number, ProcRecord> {
    if (id === lastId && lastTable) return lastTable;
    let table = hosts.get(id);
    if (!table) hosts.set(id, (table = new Map()));
    lastId = id;
    lastTable = table;
    return table;
  }

  function lookup(ev: AuditEvent, pid: number): ProcRecord | undefined {
    return tableOf(ev.event.host.id).get(pid);
  }

  return {
    get seq() {
      return seq;
    },
    names: opts.names ?? NO_NAMES,
    observe(ev) {
      seq++;
      if (ev.kind !== 'process') return;
      const e = ev.event;
      const p = e.process;
      if (e.kind === 'exit') {
        const table = tableOf(e.host.id);
        const known = table.get(p.pid);
        if (known && known.start === p.start_time_ns) {
          table.delete(p.pid);
          size--;
        }
        return;
      }
      if (e.kind === 'exec') add(tableOf(e.host.id), { pid: p.pid, ppid: p.ppid, start: p.start_time_ns, comm: p.comm, exepath: p.exe, argv: e.args, cwd: e.cwd });
    },
    self(ev) {
      const r = lookup(ev, ev.event.process.pid);
      return r && r.start === ev.event.process.start_time_ns ? r : undefined;
    },
    ancestor(ev, n) {
      let pid = ev.event.process.ppid;
      for (let i = 1; i <= Math.min(n, MAX_DEPTH); i++) {
        if (pid <= 0) return undefined;
        const r = lookup(ev, pid);
        if (!r || i === n) return r;
        if (r.ppid === pid) return undefined; // a loop: pid 0's parent is itself
        pid = r.ppid;
      }
      return undefined;
    },
    size: () => size,
  };
}

/** What a store knows of processes at an event's time: their last exec. */
export interface StoredProcesses {
  /** The process's last exec at or before the event, when no exit came after it and its start is the event's. */
  self(ev: AuditEvent): ProcRecord | undefined;
  /** pid's last exec at or before the event (on its host and boot), when no exit came after it. */
  byPid(ev: AuditEvent, pid: number): ProcRecord | undefined;
}

/** An evaluation context over a store's records (search's retro-hunt): ancestors walked up through the ppids, as in the live tree. */
export function storedContext(s: StoredProcesses): EvalContext {
  return {
    self: (ev) => s.self(ev),
    ancestor(ev, n) {
      let pid = ev.event.process.ppid;
      for (let i = 1; i <= Math.min(n, MAX_DEPTH); i++) {
        if (pid <= 0) return undefined;
        const r = s.byPid(ev, pid);
        if (!r || i === n) return r;
        if (r.ppid === pid) return undefined;
        pid = r.ppid;
      }
      return undefined;
    },
    seq: 1,
    names: NO_NAMES,
  };
}
