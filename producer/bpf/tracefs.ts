/**
 * libbpf attaches tracepoints through tracefs (it reads events/<category>/<name>/id). Some hosts
 * boot without it mounted; we are root, so mount it where libbpf looks first.
 */
import * as fs from 'node:fs';
import { BpfError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { lib } from './native';

const MOUNT_POINTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

export function ensureTracefs(logger: Logger): string {
  const found = MOUNT_POINTS.find((m) => fs.existsSync(`${m}/events/syscalls`));
  if (found) return found;
  const target = MOUNT_POINTS[0];
  const r = lib().mount(['tracefs', target, 'tracefs', 0, 0]);
  if (r.value !== 0 || !fs.existsSync(`${target}/events/syscalls`)) {
    throw new BpfError(`tracefs is not mounted and mounting it on ${target} failed: ${r.errnoMessage} (kernel needs CONFIG_FTRACE_SYSCALLS)`);
  }
  logger.info({ mountPoint: target }, 'mounted tracefs');
  return target;
}
