/**
 * What detect knows about processes beyond each event: their command lines, working directories
 * and ancestry, learned from the events it reads (per host, by pid and start time). This is the
 * thread table Falco's proc.cmdline, proc.pname and proc.aname[N] read.
 *
 * The first event of a process teaches its name, executable and parent (later ones its new parent
 * when reparented); exec events also teach argv and the working directory. Kinds travel in separate topics, so a file event may be read before the
 * exec event of its process: its command line is then unknown (no value). Exits do not delete
 * entries, so a late event of an exited process still finds them; the table is bounded, oldest
 * entries dropped first, and a reused pid is told apart by its start time.
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

const MAX_DEPTH = 64;

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
    if (head > 1024 && head * 2 > fifoRecs.length) {
      fifoHosts = fifoHosts.slice(head);
      fifoRecs = fifoRecs.slice(head);
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
      const p = ev.event.process;
      const table = tableOf(ev.event.host.id);
      const known = table.get(p.pid);
      if (ev.kind === 'process' && ev.event.kind === 'exec') {
        add(table, { pid: p.pid, ppid: p.ppid, start: p.start_time_ns, comm: p.comm, exepath: p.exe, argv: ev.event.args, cwd: ev.event.cwd });
      } else if (!known || known.start !== p.start_time_ns) {
        add(table, { pid: p.pid, ppid: p.ppid, start: p.start_time_ns, comm: p.comm, exepath: p.exe });
      } else {
        // Reparented when its parent exits. (A rename by prctl is not followed: the event's own
        // proc.name has it; storing each event's fresh string in a long-lived record costs the GC.)
        if (known.ppid !== p.ppid) known.ppid = p.ppid;
      }
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
