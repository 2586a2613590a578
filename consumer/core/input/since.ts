/** --since: an ISO 8601 time, or a duration back from now (90s, 10m, 2h, 1d). */
export function parseSince(value: string, now: number = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/.test(value.trim())) {
    const t = Date.parse(value.trim());
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`"${value}" is neither an ISO 8601 time (2026-11-24T10:00:00Z) nor a duration (30s, 10m, 2h, 1d)`);
}
