/**
 * pid -> executable path, kept from exec and exit records and seeded from /proc at start.
 * Entries carry the process start time, so a reused pid never inherits another process's exe:
 * a lookup whose start time differs from the entry's falls back to /proc (checked the same way).
 */
import * as fs from 'node:fs';
import type { Logger } from '../../common/logger';

/** /proc/PID/stat reports start time in clock ticks of USER_HZ, which Linux fixes at 100. */
const NS_PER_TICK = 10_000_000n;

interface Entry {
  /** Start time in ticks (what /proc gives); kernel ns are compared after the same rounding. */
  startTicks: bigint;
  exe: string;
  /** The exact kernel start time last matched: the hot path compares it without dividing. */
  startNs?: bigint;
}

export interface ProcessTable {
  /** Read every /proc/PID: processes that started before the producer. Returns how many. */
  seed(): number;
  exec(pid: number, startNs: bigint, exe: string): void;
  exit(pid: number, startNs: bigint): void;
  exeOf(pid: number, startNs: bigint): string;
  readonly size: number;
  stats(): { hits: number; procLookups: number; misses: number };
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
    let exe = '';
    try {
      exe = fs.readlinkSync(`${proc}/${pid}/exe`);
    } catch {
      // kernel threads have no exe; a process may exit between the two reads
    }
    return { startTicks, exe };
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
    exec(pid, startNs, exe) {
      table.set(pid, { startTicks: ticks(startNs), exe, startNs });
    },
    exit(pid, startNs) {
      const e = table.get(pid);
      if (e && e.startTicks === ticks(startNs)) table.delete(pid);
    },
    exeOf(pid, startNs) {
      const e = table.get(pid);
      if (e && e.startNs === startNs) {
        hits++;
        return e.exe;
      }
      const want = ticks(startNs);
      if (e && e.startTicks === want) {
        hits++;
        e.startNs = startNs;
        return e.exe;
      }
      // Unknown or reused pid: ask /proc once, and remember the answer (even an empty one).
      procLookups++;
      const p = fromProc(pid);
      const exe = p && p.startTicks === want ? p.exe : '';
      if (!exe) misses++;
      table.set(pid, { startTicks: want, exe, startNs });
      return exe;
    },
    get size() {
      return table.size;
    },
    stats: () => ({ hits, procLookups, misses }),
  };
}
