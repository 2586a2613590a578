/**
 * A CPU quota for one benchmarked process, as the shipped systemd unit sets it (CPUQuota=): a cpu
 * cgroup of its own with that much CPU time per period, on cgroup v2 (cpu.max) or on the v1 cpu
 * controller (cpu.cfs_quota_us), whichever this machine mounts. The process joins the group before
 * it execs, so all its threads (V8's GC helpers, libuv's pool) count against the quota from the
 * first instruction. Needs root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const PERIOD_US = 100_000;

/** CPUQuota= of a unit file, in per cent of one CPU (undefined: the unit sets none). */
export function unitCpuQuota(unitFile: string): number | undefined {
  const m = /^CPUQuota=(\d+)%\s*$/m.exec(fs.readFileSync(unitFile, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

export interface CpuQuotaGroup {
  /** argv that runs `argv` inside the group (through sh, which execs it: the pid stays the same). */
  wrap(argv: string[]): string[];
  /** Periods so far in which the group used up its quota and waited (cpu.stat nr_throttled). */
  throttledPeriods(): number;
  /** Remove the group (its processes must have exited). Idempotent. */
  remove(): void;
}

/** The cgroup directory and the files to write for `percent`, on this machine's hierarchy. */
function layout(name: string, percent: number): { dir: string; writes: [string, string][] } {
  const quota = String(Math.round((PERIOD_US * percent) / 100));
  const v2 = '/sys/fs/cgroup';
  if (fs.existsSync(path.join(v2, 'cgroup.controllers'))) {
    const controllers = fs.readFileSync(path.join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!controllers.includes('cpu')) throw new Error('cgroup v2 without the cpu controller: cannot apply a CPU quota');
    // Child groups of the root get the cpu controller only once the root hands it down.
    fs.writeFileSync(path.join(v2, 'cgroup.subtree_control'), '+cpu');
    return { dir: path.join(v2, name), writes: [['cpu.max', `${quota} ${PERIOD_US}`]] };
  }
  const v1 = '/sys/fs/cgroup/cpu';
  if (!fs.existsSync(path.join(v1, 'cpu.cfs_quota_us'))) throw new Error('no cpu cgroup controller mounted (neither v2 nor v1): cannot apply a CPU quota');
  return {
    dir: path.join(v1, name),
    writes: [
      ['cpu.cfs_period_us', String(PERIOD_US)],
      ['cpu.cfs_quota_us', quota],
    ],
  };
}

export function createCpuQuotaGroup(opts: { name: string; percent: number }): CpuQuotaGroup {
  const { dir, writes } = layout(opts.name, opts.percent);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, value] of writes) fs.writeFileSync(path.join(dir, file), value);
  const procs = path.join(dir, 'cgroup.procs');
  return {
    wrap: (argv) => ['/bin/sh', '-c', `echo $$ > ${procs} && exec "$0" "$@"`, ...argv],
    throttledPeriods() {
      const m = /^nr_throttled (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'cpu.stat'), 'utf8'));
      return m ? Number(m[1]) : 0;
    },
    remove() {
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    },
  };
}
