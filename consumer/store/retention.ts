/**
 * Which days to drop. Retention works on whole day files, so trimming is deleting a file: it
 * costs nothing however large the day, and ingest never waits for it. A day goes when all of it is
 * older than the retention, or, oldest first, while the store is over its size cap. The newest day
 * (the one being written) is never dropped for size: the cap is then exceeded, and that is logged.
 */
import { dayEndNs } from './day-db';

export interface DayInfo {
  day: string;
  bytes: number;
}

export interface RetentionPolicy {
  /** Keep events this long (ms); undefined: no time limit. */
  retentionMs?: number;
  /** Keep the store under this many bytes; undefined: no size limit. */
  maxBytes?: number;
}

export interface Drop {
  day: string;
  reason: 'retention' | 'max-size';
  bytes: number;
}

export interface RetentionPlan {
  drops: Drop[];
  /** Bytes kept after the drops. */
  keptBytes: number;
  /** The newest day alone is over --max-size. */
  overCap: boolean;
}

export function planRetention(days: DayInfo[], policy: RetentionPolicy, nowMs: number): RetentionPlan {
  const sorted = [...days].sort((a, b) => (a.day < b.day ? -1 : 1));
  const drops: Drop[] = [];
  let total = sorted.reduce((s, d) => s + d.bytes, 0);
  const cutoffNs = policy.retentionMs === undefined ? undefined : BigInt(nowMs - policy.retentionMs) * 1_000_000n;
  const kept: DayInfo[] = [];
  for (const d of sorted) {
    if (cutoffNs !== undefined && dayEndNs(d.day) <= cutoffNs) {
      drops.push({ day: d.day, reason: 'retention', bytes: d.bytes });
      total -= d.bytes;
    } else kept.push(d);
  }
  if (policy.maxBytes !== undefined) {
    while (total > policy.maxBytes && kept.length > 1) {
      const d = kept.shift()!;
      drops.push({ day: d.day, reason: 'max-size', bytes: d.bytes });
      total -= d.bytes;
    }
  }
  return { drops, keptBytes: total, overCap: policy.maxBytes !== undefined && total > policy.maxBytes };
}

/** "7d", "36h", "90m": ms; undefined when not a duration. */
export function parseRetention(s: string): number | undefined {
  const m = /^(\d+)(m|h|d|w)$/.exec(s.trim());
  return m ? Number(m[1]) * { m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2] as 'm' | 'h' | 'd' | 'w'] : undefined;
}

/** "20GB", "512MB", "1.5TB" (powers of 1024): bytes; undefined when not a size. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(s.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toUpperCase().replace('IB', 'B');
  const mult = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[unit as 'B'];
  return Math.floor(Number(m[1]) * mult);
}
