import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Host } from '../../schemas/types';

function readTrimmed(file: string): string | undefined {
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    return v.length > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who this host is. The id is the Kafka key, so it must be stable across restarts:
 * the configured id, else /etc/machine-id, else the host name. The name is the configured one
 * (a pod's own host name is the pod's, not the node's), else the system's.
 */
export function detectHost(opts: { hostId?: string; hostName?: string; procRoot?: string; etcRoot?: string } = {}): Host {
  const proc = opts.procRoot ?? '/proc';
  const etc = opts.etcRoot ?? '/etc';
  const name = opts.hostName ?? os.hostname();
  return {
    id: opts.hostId ?? readTrimmed(`${etc}/machine-id`) ?? name,
    name,
    boot_id: readTrimmed(`${proc}/sys/kernel/random/boot_id`) ?? '',
  };
}
