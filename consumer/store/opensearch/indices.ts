/**
 * Index names and their lifecycle: one index per kind per day (UTC), `<prefix>-<kind>-YYYY.MM.DD`,
 * the index template that maps them, and retention, which deletes whole days by name.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { Logger } from '../../../common/logger';
import { indexTemplate, MAPPINGS, type TemplateOptions } from './mapping';

export const INDEX_KINDS = ['file', 'net', 'process', 'alerts'] as const;
export type IndexKind = (typeof INDEX_KINDS)[number];

const NS_PER_DAY = 86_400_000_000_000n;

/** Index prefixes become index names: lowercase, no separators OpenSearch reserves. */
export function validateIndexPrefix(prefix: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,200}$/.test(prefix)) throw new Error(`index prefix "${prefix}" must be 1-201 characters of [a-z0-9._-], starting with a letter or digit`);
  return prefix;
}

/** "2026.11.30" for a time in ns (UTC). */
export function dayOfNs(ns: bigint): string {
  const d = new Date(Number((ns / NS_PER_DAY) * 86_400_000n));
  return d.toISOString().slice(0, 10).replace(/-/g, '.');
}

/** Memoized per day: one Date per event would cost more than the rest of the index choice. */
export function createIndexNamer(prefix: string): (kind: IndexKind, ns: bigint) => string {
  let lastDay = -1n;
  let lastDayName = '';
  return (kind, ns) => {
    const day = ns / NS_PER_DAY;
    if (day !== lastDay) {
      lastDay = day;
      lastDayName = dayOfNs(ns);
    }
    return `${prefix}-${kind}-${lastDayName}`;
  };
}

/** Patterns for the indices of some kinds (all days). */
export function indexPatterns(prefix: string, kinds: readonly IndexKind[] = INDEX_KINDS): string[] {
  return kinds.map((k) => `${prefix}-${k}-*`);
}

export async function installTemplate(client: Client, prefix: string, o: Omit<TemplateOptions, 'patterns'>, log: Logger): Promise<void> {
  const name = `${prefix}-ebpf-audit`;
  await client.indices.putIndexTemplate({ name, body: indexTemplate({ ...o, patterns: indexPatterns(prefix) }) as never });
  // Indices made under an older template: the fields added since (only additions; see mapping.ts),
  // so that today's index takes the new documents (its mapping is strict). Documents indexed before
  // keep their values in ebpf_audit.extra only: search reads them as defaults.
  await client.indices.putMapping({ index: indexPatterns(prefix).join(','), allow_no_indices: true, body: MAPPINGS } as never);
  log.info({ template: name, patterns: indexPatterns(prefix), shards: o.shards, replicas: o.replicas }, 'index template installed');
}

/** Whole days (by index name) older than the retention: their last nanosecond is before now - retention. */
export function expiredIndices(names: string[], prefix: string, retentionMs: number, nowMs: number): string[] {
  const re = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}-(?:${INDEX_KINDS.join('|')})-(\\d{4})\\.(\\d{2})\\.(\\d{2})$`);
  const out: string[] = [];
  for (const n of names) {
    const m = re.exec(n);
    if (!m) continue;
    const dayEnd = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1);
    if (dayEnd <= nowMs - retentionMs) out.push(n);
  }
  return out.sort();
}

/** The first day retention keeps, as a time in ns: older events are not written (they would recreate a deleted day). */
export function retentionFloorNs(retentionMs: number, nowMs: number): bigint {
  const day = BigInt(Math.floor((nowMs - retentionMs) / 86_400_000));
  return day * NS_PER_DAY;
}

/** Delete the days past retention. Returns the names deleted. */
export async function enforceRetention(client: Client, prefix: string, retentionMs: number, log: Logger, nowMs = Date.now()): Promise<string[]> {
  const res = await client.cat.indices({ index: indexPatterns(prefix), format: 'json', h: 'index,docs.count,store.size', expand_wildcards: 'open,closed' } as never);
  const rows = (res.body as unknown as { index: string; 'docs.count'?: string; 'store.size'?: string }[]) ?? [];
  const expired = expiredIndices(
    rows.map((r) => r.index),
    prefix,
    retentionMs,
    nowMs,
  );
  for (let i = 0; i < expired.length; i += 50) {
    const batch = expired.slice(i, i + 50);
    await client.indices.delete({ index: batch.join(',') });
    for (const name of batch) {
      const row = rows.find((r) => r.index === name);
      log.info({ index: name, docs: Number(row?.['docs.count'] ?? 0), size: row?.['store.size'] }, 'index past retention deleted');
    }
  }
  return expired;
}
