/**
 * What detect knows about processes beyond each event: their command lines, working directories
 * and ancestry, learned from the exec events it reads (per host and pid; a process's own record
 * must have its start time). This is the thread table Falco's proc.cmdline, proc.pname and
 * proc.aname[N] read, with the ancestors the producer lists on each exec for what was never seen
 * here (see ancestorOf). An exit hides the process from events after it; events before it still
 * see it, since detect reads the process topic ahead of the file and net topics (kind-order.ts)
 * and so often reads a process's exit before its last file events. A file event read before the
 * exec of its process (the process topic lags beyond --order-wait) sees no command line.
 * The search backends (SQLite, OpenSearch) compute the same from the stored events: the last exec
 * at or before the event, unless an exit came after it. Bounded: the oldest records go first.
 */
import type { Ancestor, AuditEvent } from '../../schemas/types';
import { withGetters } from '../../common/with-getters';

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
  /** The parent, grandparent ... as the producer's process table knew them at the exec. */
  ancestors?: Ancestor[];
  /** The exit's time (ns since the epoch), once read. */
  exitNs?: bigint;
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

  /**
   * pid's record as of ev's time: an exit read before ev (the process topic is read ahead) does not
   * hide it from events before the exit. The exit itself and what comes at or after its time see
   * no record, as in the stores (their last exec or exit at or before the event is the exit).
   */
  function lookup(ev: AuditEvent, pid: number): ProcRecord | undefined {
    const r = tableOf(ev.event.host.id).get(pid);
    return r && (r.exitNs === undefined || ev.event.time_ns < r.exitNs) ? r : undefined;
  }

  function self(ev: AuditEvent): ProcRecord | undefined {
    const r = lookup(ev, ev.event.process.pid);
    return r && r.start === ev.event.process.start_time_ns ? r : undefined;
  }

  // The current event's ancestors, found one level at a time as the rules ask and kept until the
  // next event is observed: package_management alone asks proc.aname four times per event (each
  // walk looked the process and its parent up again), and several rules use it.
  let walkEv: AuditEvent | undefined;
  let walkSeq = -1;
  const found: ProcRecord[] = [];
  let walkPid = 0;
  let walkList: Ancestor[] | undefined;
  /** No ancestors beyond `found`. */
  let walkEnded = false;

  function ancestor(ev: AuditEvent, n: number): ProcRecord | undefined {
    if (ev !== walkEv || seq !== walkSeq) {
      walkEv = ev;
      walkSeq = seq;
      found.length = 0;
      walkEnded = false;
      walkPid = ev.event.process.ppid;
      walkList = ownList(ev, self(ev));
    }
    if (n < 1 || n > MAX_DEPTH) return undefined;
    while (found.length < n && !walkEnded) {
      const r = parentOf(ev, walkPid, walkList, lookup);
      if (!r) walkEnded = true;
      else {
        found.push(r);
        if (r.ppid === walkPid) walkEnded = true; // a loop: pid 0's parent is itself
        walkPid = r.ppid;
        walkList = r.ancestors;
      }
    }
    return found[n - 1];
  }

  return withGetters<ProcessTree, 'seq'>(
    {
      names: opts.names ?? NO_NAMES,
      observe(ev) {
        seq++;
        if (ev.kind !== 'process') return;
        const e = ev.event;
        const p = e.process;
        if (e.kind === 'exit') {
          // Whichever process had the pid, it is gone from now on (the stores read an exit the same
          // way); kept for events before the exit, until a new exec of the pid or the bound drops it.
          const r = tableOf(e.host.id).get(p.pid);
          if (r && r.exitNs === undefined) r.exitNs = e.time_ns;
          return;
        }
        if (e.kind === 'exec')
          add(tableOf(e.host.id), { pid: p.pid, ppid: p.ppid, start: p.start_time_ns, comm: p.comm, exepath: p.exe, argv: e.args, cwd: e.cwd, ancestors: e.ancestors });
      },
      self,
      ancestor,
      size: () => size,
    },
    { seq: () => seq },
  );
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
  return { self: (ev) => s.self(ev), ancestor: (ev, n) => ancestorOf(ev, n, s.self(ev), (e, pid) => s.byPid(e, pid)), seq: 1, names: NO_NAMES };
}

/**
 * The nth ancestor of ev's process. Each step up goes to the parent's record (its last exec, not
 * exited), else to the entry the producer listed for the parent at the child's exec, when that is
 * still the parent (a reparented process's new parent is not on the list). The list covers what
 * this consumer cannot see: processes that forked without an exec, or started before it.
 */
export function ancestorOf(ev: AuditEvent, n: number, own: ProcRecord | undefined, byPid: (ev: AuditEvent, pid: number) => ProcRecord | undefined): ProcRecord | undefined {
  let pid = ev.event.process.ppid;
  let list = ownList(ev, own);
  for (let i = 1; i <= Math.min(n, MAX_DEPTH); i++) {
    const r = parentOf(ev, pid, list, byPid);
    if (!r) return undefined;
    if (i === n) return r;
    if (r.ppid === pid) return undefined; // a loop: pid 0's parent is itself
    pid = r.ppid;
    list = r.ancestors;
  }
  return undefined;
}

/** The producer's list of ev's process's ancestors: the exec's own, else its record's. */
const ownList = (ev: AuditEvent, own: ProcRecord | undefined): Ancestor[] | undefined => (ev.kind === 'process' && ev.event.kind === 'exec' ? ev.event.ancestors : own?.ancestors);

/** One step up: pid's record, else the first entry of the producer's list when it is pid. */
function parentOf(ev: AuditEvent, pid: number, list: Ancestor[] | undefined, byPid: (ev: AuditEvent, pid: number) => ProcRecord | undefined): ProcRecord | undefined {
  if (pid <= 0) return undefined;
  const r = byPid(ev, pid);
  if (r) return r;
  const a = list?.[0];
  if (!a || a.pid !== pid) return undefined;
  const rest = list!.slice(1);
  return { pid, ppid: rest[0]?.pid ?? 0, start: -1n, comm: a.comm, exepath: a.exe, ancestors: rest };
}
