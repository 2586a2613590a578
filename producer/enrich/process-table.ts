/**
 * pid -> executable path, kept from exec and exit records and seeded from /proc at start.
 * Entries carry the process start time, so a reused pid never inherits another process's exe:
 * a lookup whose start time differs from the entry's falls back to /proc (checked the same way).
 * The path is the one the process was started from, without " (deleted)": whether the file is
 * still on disk is the kernel's per-event answer (ea_task.flags), not the table's.
 */
import * as fs from 'node:fs';
import type { Logger } from '../../common/logger';
import { withGetters } from '../../common/with-getters';

/** /proc/PID/stat reports start time in clock ticks of USER_HZ, which Linux fixes at 100. */
const NS_PER_TICK = 10_000_000n;

/** What the table knows of a process's executable. */
export interface ExeInfo {
  /** Absolute path at exec ("/memfd:NAME" for a memfd); "" when unknown. */
  exe: string;
  /** Executed from a memfd_create(2) file: fileless. */
  memfd: boolean;
  /** Executed from an overlayfs upper layer. */
  upper: boolean;
}

/** A process as the table knows it: its executable, name and parent, for the ancestry of an exec. */
export interface ProcInfo extends ExeInfo {
  comm: string;
  ppid: number;
}

export interface Ancestor {
  pid: number;
  comm: string;
  exe: string;
}

const MAX_ANCESTORS = 8;

interface Entry extends ProcInfo {
  /** Start time in ticks (what /proc gives); kernel ns are compared after the same rounding. */
  startTicks: bigint;
  /** The exact kernel start time last matched: the hot path compares it without dividing. */
  startNs?: bigint;
}

export interface ProcessTable {
  /** Read every /proc/PID: processes that started before the producer. Returns how many. */
  seed(): number;
  exec(pid: number, startNs: bigint, info: ProcInfo): void;
  exit(pid: number, startNs: bigint): void;
  /**
   * The entry itself (no copy: read it at once). The event's comm and ppid, when given, refresh
   * the entry: a process renames itself (prctl) and is reparented when its parent exits.
   */
  exeOf(pid: number, startNs: bigint, comm?: string, ppid?: number): ProcInfo;
  /**
   * The parent, grandparent ... of a process whose parent is `ppid`, up to 8 levels or pid 1.
   * Parents are alive (they have a child), so a pid's entry is taken as it is; a pid the table
   * lacks (a fork that never exec'd) is read from /proc once.
   */
  ancestors(ppid: number): Ancestor[];
  readonly size: number;
  stats(): { hits: number; procLookups: number; misses: number };
}

const DELETED = ' (deleted)';

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/**
 * /proc/PID/exe's text as the table keeps it: " (deleted)" is dropped unless the file on disk
 * really has that name (it is then the very file the link leads to). "/memfd:NAME (deleted)" is
 * a memfd; no file on disk lives there once the suffix is gone.
 */
export function exeFromLink(linkPath: string, link: string): { exe: string; memfd: boolean } {
  if (!link.endsWith(DELETED) || sameFile(linkPath, link)) return { exe: link, memfd: false };
  const exe = link.slice(0, -DELETED.length);
  return { exe, memfd: exe.startsWith('/memfd:') };
}

export function createProcessTable(opts: { procRoot?: string; logger: Logger }): ProcessTable {
  const proc = opts.procRoot ?? '/proc';
  const log = opts.logger.child({ component: 'process-table' });
  const table = new Map<number, Entry>();
  let hits = 0;
  let procLookups = 0;
  let misses = 0;

  const ticks = (ns: bigint): bigint => ns / NS_PER_TICK;

  /** Start time and exe of a live process from /proc, or undefined if it is gone. */
  function fromProc(pid: number): Entry | undefined {
    let stat: string;
    try {
      stat = fs.readFileSync(`${proc}/${pid}/stat`, 'latin1');
    } catch {
      return undefined;
    }
    // comm (field 2) may hold spaces and parentheses: fields restart after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const ppid = Number(rest[1]); // field 4 overall
    const startTicks = BigInt(rest[19]); // field 22 overall
    let link = '';
    try {
      link = fs.readlinkSync(`${proc}/${pid}/exe`);
    } catch {
      // kernel threads have no exe; a process may exit between the two reads
    }
    return { startTicks, comm, ppid, upper: false, ...exeFromLink(`${proc}/${pid}/exe`, link) };
  }

  return withGetters<ProcessTable, 'size'>(
    {
      seed() {
        let n = 0;
        for (const name of fs.readdirSync(proc)) {
          if (!/^\d+$/.test(name)) continue;
          const e = fromProc(Number(name));
          if (e) {
            table.set(Number(name), e);
            n++;
          }
        }
        log.info({ processes: n }, 'process table seeded from /proc');
        return n;
      },
      exec(pid, startNs, info) {
        table.set(pid, { startTicks: ticks(startNs), exe: info.exe, memfd: info.memfd, upper: info.upper, comm: info.comm, ppid: info.ppid, startNs });
      },
      exit(pid, startNs) {
        const e = table.get(pid);
        if (e && e.startTicks === ticks(startNs)) table.delete(pid);
      },
      exeOf(pid, startNs, comm, ppid) {
        const e = table.get(pid);
        if (e && (e.startNs === startNs || e.startTicks === ticks(startNs))) {
          hits++;
          e.startNs = startNs;
          if (comm !== undefined) e.comm = comm;
          if (ppid !== undefined) e.ppid = ppid;
          return e;
        }
        const want = ticks(startNs);
        // Unknown or reused pid: ask /proc once, and remember the answer (even an empty one).
        procLookups++;
        const p = fromProc(pid);
        const found: Entry = p && p.startTicks === want ? { ...p, startNs } : { startTicks: want, exe: '', memfd: false, upper: false, comm: comm ?? '', ppid: ppid ?? 0, startNs };
        if (!found.exe) misses++;
        table.set(pid, found);
        return found;
      },
      ancestors(ppid) {
        const out: Ancestor[] = [];
        for (let pid = ppid; pid > 0 && out.length < MAX_ANCESTORS;) {
          let e = table.get(pid);
          if (!e) {
            e = fromProc(pid);
            if (!e) break;
            table.set(pid, e);
          }
          out.push({ pid, comm: e.comm, exe: e.exe });
          if (pid === 1 || e.ppid === pid) break;
          pid = e.ppid;
        }
        return out;
      },
      stats: () => ({ hits, procLookups, misses }),
    },
    { size: () => table.size },
  );
}
