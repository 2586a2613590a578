/**
 * libbpf attaches tracepoints through tracefs (it reads events/<category>/<name>/id). Some hosts
 * boot without it mounted; as root we mount it where libbpf looks first (a producer running with
 * only its capabilities cannot: its unit mounts it through systemd's sys-kernel-tracing.mount).
 */
import * as fs from 'node:fs';
import { BpfError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { lib } from './native';

const MOUNT_POINTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/**
 * stat, not fs.existsSync: existsSync is access(2), which checks with the real uid and, for a
 * non-root uid, no capabilities, so a producer running as its own user with CAP_DAC_READ_SEARCH
 * would see a mounted tracefs (mode 0700) as missing.
 */
function isDir(p: string): boolean {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES') throw err;
    throw new BpfError(`cannot read ${p} (EACCES): tracefs is mode 0700, so a producer that is not root needs CAP_DAC_READ_SEARCH`);
  }
}

export function ensureTracefs(logger: Logger): string {
  const found = MOUNT_POINTS.find((m) => isDir(`${m}/events/syscalls`));
  if (found) return found;
  const target = MOUNT_POINTS[0];
  const r = lib().mount(['tracefs', target, 'tracefs', 0, 0]);
  if (r.value !== 0 || !isDir(`${target}/events/syscalls`)) {
    throw new BpfError(`tracefs is not mounted and mounting it on ${target} failed: ${r.errnoMessage} (kernel needs CONFIG_FTRACE_SYSCALLS)`);
  }
  logger.info({ mountPoint: target }, 'mounted tracefs');
  return target;
}
