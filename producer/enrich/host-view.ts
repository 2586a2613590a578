/**
 * What the producer reads of its host through /proc: the boot id, the process table (exe paths; seeded by the caller),
 * container ids (PID/cgroup) and user names. In a container the host's /proc is mounted elsewhere
 * (--proc-root /host/proc, with the host's PID namespace), so every such read goes through one
 * root. The cgroup hierarchy is found in the producer's own mount table (/proc/self/mounts is
 * where the producer stats paths), not in the host's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { Host } from '../../schemas/types';
import { createContainerResolver, findCgroup2Root, type ContainerResolver } from './containers';
import { detectHost } from './host';
import { createProcessTable, type ProcessTable } from './process-table';
import { createUserNames, type UserNames } from './users';

export interface HostView {
  host: Host;
  processes: ProcessTable;
  containers: ContainerResolver;
  users: UserNames;
}

/**
 * The kernel reports pids of the initial PID namespace, and the producer looks them up here: so
 * `procRoot` must be a procfs of the namespace the producer runs in, and that must be the host's.
 * `<procRoot>/self` names the reader's pid in that procfs's namespace.
 */
export function checkProcRoot(procRoot: string, ownPid: number): void {
  if (!path.isAbsolute(procRoot)) throw new ConfigError(`--proc-root must be an absolute path, got "${procRoot}"`);
  let self: string;
  try {
    self = fs.readlinkSync(path.join(procRoot, 'self'));
  } catch (err) {
    throw new ConfigError(`--proc-root ${procRoot} is not a proc file system: ${(err as Error).message}`);
  }
  if (self !== String(ownPid)) {
    throw new ConfigError(
      `--proc-root ${procRoot} belongs to another PID namespace (it names this process ${self}, not ${ownPid}): ` +
        "run the producer in the host's PID namespace (hostPID: true in Kubernetes)",
    );
  }
}

export function openHostView(opts: { procRoot: string; hostId?: string; hostName?: string; logger: Logger; mounts?: string }): HostView {
  const { procRoot, logger } = opts;
  return {
    // Frozen: every event carries it, and the file writer keeps its bytes while it cannot change.
    host: Object.freeze(detectHost({ hostId: opts.hostId, hostName: opts.hostName, procRoot })),
    processes: createProcessTable({ procRoot, logger }),
    containers: createContainerResolver({ root: findCgroup2Root(opts.mounts ?? '/proc/self/mounts'), procRoot, logger }),
    // The host's user names: its /etc/passwd, through pid 1's root when /proc is the host's mounted elsewhere.
    users: createUserNames({ passwdPath: procRoot === '/proc' ? '/etc/passwd' : path.join(procRoot, '1/root/etc/passwd'), logger }),
  };
}
