/** What the benchmarks read about a process from /proc, and BPF program run times from bpftool. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

const TICK_NS = 1e9 / 100;

/** User + system CPU time of a whole process (all threads), in ns. */
export function cpuNs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_NS;
}

/** Peak resident set size (VmHWM) in MiB. */
export function peakRssMiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** Current resident set size (VmRSS) in MiB. */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** Pid of the first process whose comm is `comm` (a kernel thread such as kauditd), or undefined. */
export function pidOfComm(comm: string): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** The ids of the BPF programs a process holds (from its fds' fdinfo). */
export function bpfProgIds(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return [...ids];
}

export interface ProgRun {
  id: number;
  name: string;
  runTimeNs: number;
  runCnt: number;
}

/** Cumulative run time and count of every loaded program (counted while BPF statistics are on). */
export function bpfRunTimes(): Map<number, ProgRun> {
  const progs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Array<{
    id: number;
    name?: string;
    run_time_ns?: number;
    run_cnt?: number;
  }>;
  return new Map(progs.map((p) => [p.id, { id: p.id, name: p.name ?? '', runTimeNs: p.run_time_ns ?? 0, runCnt: p.run_cnt ?? 0 }]));
}

/** The current syscall number of a process's main thread (-1 when running), from /proc/PID/syscall. */
export function currentSyscall(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').trim();
  return s === 'running' ? -1 : Number(s.split(' ')[0]);
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolve when `cond` holds (polled every `everyMs`), or reject with `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
