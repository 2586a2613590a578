/**
 * pid -> executable path, kept from exec and exit records and seeded from /proc at start.
 * Entries carry the process start time, so a reused pid never inherits another process's exe:
 * a lookup whose start time differs from the entry's falls back to /proc (checked the same way).
 * The path is the one the process was started from, without " (deleted)": whether the file is
 * still on disk is the kernel's per-event answer (ea_task.flags), not the table's.
 */
import * as fs from 'node:fs';
import type { Logger } from '../../common/logger';

/** /proc/PID/stat reports start time in clock ticks of USER_HZ, which Linux fixes at 100. */
const NS_PER_TICK = 10_000_000n;

/** What the table knows of a process's executable. */
export interface ExeInfo {
  /** Absolute path at exec ("/memfd:NAME" for a memfd); "" when unknown. */
  exe: string;
  /** Executed from a memfd_create(2) file: fileless. */
  memfd: boolean;
}

interface Entry extends ExeInfo {
  /** Start time in ticks (what /proc gives); kernel ns are compared after the same rounding. */
  startTicks: bigint;
  /** The exact kernel start time last matched: the hot path compares it without dividing. */
  startNs?: bigint;
}

export interface ProcessTable {
  /** Read every /proc/PID: processes that started before the producer. Returns how many. */
  seed(): number;
  exec(pid: number, startNs: bigint, exe: string, memfd?: boolean): void;
  exit(pid: number, startNs: bigint): void;
  /** The entry itself (no copy: read it at once). */
  exeOf(pid: number, startNs: bigint): ExeInfo;
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
export function exeFromLink(linkPath: string, link: string): ExeInfo {
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
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = BigInt(rest[19]); // field 22 overall
    let link = '';
    try {
      link = fs.readlinkSync(`${proc}/${pid}/exe`);
    } catch {
      // kernel threads have no exe; a process may exit between the two reads
    }
    return { startTicks, ...exeFromLink(`${proc}/${pid}/exe`, link) };
  }

  return {
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
    exec(pid, startNs, exe, memfd = false) {
      table.set(pid, { startTicks: ticks(startNs), exe, memfd, startNs });
    },
    exit(pid, startNs) {
      const e = table.get(pid);
      if (e && e.startTicks === ticks(startNs)) table.delete(pid);
    },
    exeOf(pid, startNs) {
      const e = table.get(pid);
      if (e && e.startNs === startNs) {
        hits++;
        return e;
      }
      const want = ticks(startNs);
      if (e && e.startTicks === want) {
        hits++;
        e.startNs = startNs;
        return e;
      }
      // Unknown or reused pid: ask /proc once, and remember the answer (even an empty one).
      procLookups++;
      const p = fromProc(pid);
      const found: Entry = p && p.startTicks === want ? { ...p, startNs } : { startTicks: want, exe: '', memfd: false, startNs };
      if (!found.exe) misses++;
      table.set(pid, found);
      return found;
    },
    get size() {
      return table.size;
    },
    stats: () => ({ hits, procLookups, misses }),
  };
}
