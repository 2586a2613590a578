/** The store command's flags to typed options; every bad value names its flag (exit 2). */
import { ConfigError } from '../../common/errors';
import { parseRetention, parseSize } from './retention';

export interface StoreFlags {
  db: string;
  retention?: string;
  maxSize?: string;
  group?: string;
  statsInterval: string;
  untilEnd: boolean;
}

export function storeChoices(o: StoreFlags): { dir: string; retentionMs?: number; maxBytes?: number; statsIntervalMs: number } {
  let retentionMs: number | undefined;
  if (o.retention !== undefined) {
    retentionMs = parseRetention(o.retention);
    if (!retentionMs) throw new ConfigError(`--retention: "${o.retention}" is not a duration such as 7d, 36h or 2w`);
  }
  let maxBytes: number | undefined;
  if (o.maxSize !== undefined) {
    maxBytes = parseSize(o.maxSize);
    if (!maxBytes) throw new ConfigError(`--max-size: "${o.maxSize}" is not a size such as 20GB or 500MB`);
  }
  if (!/^\d+$/.test(o.statsInterval) || Number(o.statsInterval) < 1) throw new ConfigError(`--stats-interval: "${o.statsInterval}" is not a whole number of seconds`);
  if (!o.db) throw new ConfigError('--db: give a directory');
  return { dir: o.db, retentionMs, maxBytes, statsIntervalMs: Number(o.statsInterval) * 1000 };
}
