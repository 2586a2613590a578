/**
 * cgroup id -> container id. On cgroup v2 the id the kernel reports is the inode number of the
 * cgroup's directory, so a scan of the hierarchy maps ids to paths, and container runtimes put
 * the container id in the path (docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
 * libpod-<id>.scope, .../docker/<id>, kubepods/.../<id>). Results are cached, so the hot path is
 * one Map lookup. An unknown id (a container that just started: its first exec is the event that
 * matters most) is first looked up through the event's own /proc/PID/cgroup, one small read that
 * names the path; only when that fails (the process is gone) does it rescan the hierarchy, at
 * most once per rescanIntervalMs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../common/logger';

const ID = /(?:^|[-/])([0-9a-f]{64})(?:\.scope)?$/;

/** The container id named by a cgroup path, or '' when the path is not a container's. */
export function containerIdOfPath(cgroupPath: string): string {
  for (const part of cgroupPath.split('/').reverse()) {
    const m = ID.exec(part);
    if (m) return m[1];
  }
  return '';
}

/** Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
export function findCgroup2Root(mounts = '/proc/mounts'): string | undefined {
  try {
    for (const line of fs.readFileSync(mounts, 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[2] === 'cgroup2') return f[1];
    }
  } catch {
    // no /proc/mounts: no container ids
  }
  return undefined;
}

export interface ContainerResolver {
  /** `pid`: a process in that cgroup, to look up a cgroup the cache does not know yet. */
  containerOf(cgroupId: bigint, pid?: number): string;
  stats(): { scans: number; known: number };
}

export function createContainerResolver(opts: {
  root: string | undefined;
  /** Where /proc is (tests). */
  procRoot?: string;
  logger: Logger;
  rescanIntervalMs?: number;
  maxDirs?: number;
  now?: () => number;
}): ContainerResolver {
  const log = opts.logger.child({ component: 'containers' });
  const interval = opts.rescanIntervalMs ?? 1000;
  const maxDirs = opts.maxDirs ?? 100_000;
  const now = opts.now ?? Date.now;
  const byId = new Map<bigint, string>();
  let lastScan = -Infinity;
  let scans = 0;

  function scan(): void {
    if (!opts.root) return;
    lastScan = now();
    scans++;
    const seen = new Map<bigint, string>();
    const stack = [opts.root];
    while (stack.length && seen.size < maxDirs) {
      const dir = stack.pop()!;
      let ino: bigint;
      try {
        ino = fs.statSync(dir, { bigint: true }).ino;
      } catch {
        continue; // removed while we walked
      }
      seen.set(ino, containerIdOfPath(path.relative(opts.root, dir)));
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) if (e.isDirectory()) stack.push(path.join(dir, e.name));
    }
    byId.clear();
    for (const [k, v] of seen) byId.set(k, v);
    log.debug({ cgroups: seen.size }, 'cgroup hierarchy scanned');
  }

  /** The cgroup v2 path of `pid` ("0::/system.slice/x.scope"), if it is still the cgroup with this id. */
  function fromProc(pid: number, cgroupId: bigint): string | undefined {
    if (!opts.root) return undefined;
    try {
      const line = fs
        .readFileSync(`${opts.procRoot ?? '/proc'}/${pid}/cgroup`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('0::'));
      if (!line) return undefined;
      const rel = line.slice(3).replace(/^\/+/, '');
      // The process may have moved since the event: trust the path only if it is that cgroup.
      if (fs.statSync(path.join(opts.root, rel), { bigint: true }).ino !== cgroupId) return undefined;
      const id = containerIdOfPath(rel);
      byId.set(cgroupId, id);
      return id;
    } catch {
      return undefined; // gone
    }
  }

  return {
    containerOf(cgroupId, pid) {
      const hit = byId.get(cgroupId);
      if (hit !== undefined) return hit;
      if (pid !== undefined) {
        const viaProc = fromProc(pid, cgroupId);
        if (viaProc !== undefined) return viaProc;
      }
      if (now() - lastScan >= interval) {
        scan();
        const again = byId.get(cgroupId);
        if (again !== undefined) return again;
      }
      return '';
    },
    stats: () => ({ scans, known: byId.size }),
  };
}
