/**
 * Search over the OpenSearch store: event listings (time order, paged with search_after past the
 * 10,000-hit window), counts, top-N (exact: a composite aggregation paged to the end, as SQLite's
 * GROUP BY is exact; a terms aggregation would be approximate across shards) and histograms
 * (date_histogram). The same requests and answers as search/search.ts over SQLite.
 */
import type { Client } from '@opensearch-project/opensearch';
import { ConfigError } from '../../../common/errors';
import { stringify, isoNs } from '../../core/output/json';
import type { AuditEvent, EventKind } from '../../../schemas/types';
import { forKind } from '../../search/normalize';
import { QueryTimeoutError, type Budget, type StoredAlert, type TopRow } from '../../search/search';
import type { Filter } from '../../search/where';
import { fromDocument, type Doc } from './document';
import { alertFromDocument } from './alert-document';
import { formatJson } from '../../core/output/json';
import { dayOfNs } from './indices';
import { createLookups } from './lookup';
import { and, MATCH_ALL, or, toDsl } from './query-dsl';
import { osField, type Query } from './search-fields';

/** The search's filter (search/where.ts Filter). */
export type SearchFilter = Filter;

export interface OsSearch {
  events(f: SearchFilter, limit: number, b?: Budget): Promise<{ events: { ev: AuditEvent }[]; more: boolean }>;
  count(f: SearchFilter, b?: Budget): Promise<number>;
  histogram(f: SearchFilter, bucketNs: bigint, b?: Budget): Promise<{ startNs: bigint; events: number }[]>;
  top(f: SearchFilter, fields: string[], n: number, b?: Budget): Promise<TopRow[]>;
  alerts(f: SearchFilter, limit: number, b?: Budget): Promise<{ alerts: StoredAlert[]; more: boolean }>;
  /** The query a filter becomes, for tests. */
  query(f: SearchFilter): Promise<{ index: string; query: Query }>;
  /** A POST of a JSON body (bigints exact) to the cluster; missing indices are no error. */
  post<T>(path: string, body: unknown, b?: Budget): Promise<T>;
  close(): Promise<void>;
}

const MAX_NS = 2n ** 63n - 1n;
const NS_PER_DAY = 86_400_000_000_000n;
const PAGE = 5000;
const MAX_PAIRS = 2_000_000;
const MAX_DAY_NAMES = 62;

/** OpenSearch answers JSON; bodies go out through our stringify (bigints exact). */
async function post<T>(client: Client, path: string, body: unknown, b?: Budget): Promise<T> {
  const timeout = b?.deadlineMs === undefined ? undefined : Math.max(1, b.deadlineMs - Date.now());
  if (timeout !== undefined && timeout <= 1) throw new QueryTimeoutError('the query ran out of time; narrow the time range or the condition');
  const res = await client.transport.request(
    { method: 'POST', path, body: stringify(body), querystring: { ignore_unavailable: 'true', allow_no_indices: 'true' } },
    timeout ? { requestTimeout: timeout } : {},
  );
  return res.body as T;
}

export function openOpenSearchSearch(opts: { client: Client; indexPrefix: string }): OsSearch {
  const { client, indexPrefix } = opts;

  /** Index names for the kinds and window: one per day when the window is bounded and short. */
  function indices(f: SearchFilter): string {
    const names: string[] = [];
    const bounded = f.sinceNs > 0n && f.untilNs < MAX_NS && (f.untilNs - f.sinceNs) / NS_PER_DAY < BigInt(MAX_DAY_NAMES);
    for (const k of f.kinds) {
      if (!bounded) names.push(`${indexPrefix}-${k}-*`);
      else for (let d = (f.sinceNs / NS_PER_DAY) * NS_PER_DAY; d <= f.untilNs; d += NS_PER_DAY) names.push(`${indexPrefix}-${k}-${dayOfNs(d)}`);
    }
    return names.join(',');
  }

  async function build(f: SearchFilter, b?: Budget): Promise<{ index: string; query: Query }> {
    const lookups = createLookups({ indexPrefix, filter: f, post: (p, body) => post(client, p, body, b) });
    const perKind: Query[] = [];
    for (const kind of f.kinds) {
      const c = forKind(f.cond, kind);
      if (c.op === 'const' && !c.value) continue;
      await lookups.prepare(c, kind);
      perKind.push(and([{ term: { 'event.dataset': `ebpf-audit.${kind}` } }, toDsl(c, kind, lookups.resolve)]));
    }
    const filters: Query[] = [or(perKind)];
    if (f.sinceNs > 0n || f.untilNs < MAX_NS)
      filters.push({ range: { '@timestamp': { gte: isoNs(f.sinceNs), lte: isoNs(f.untilNs), format: 'strict_date_optional_time_nanos' } } });
    if (f.hosts.length) filters.push(or([{ terms: { 'host.id': f.hosts } }, { terms: { 'host.name': f.hosts } }]));
    return { index: indices(f), query: and(filters) };
  }

  async function events(f: SearchFilter, limit: number, b?: Budget): Promise<{ events: { ev: AuditEvent }[]; more: boolean }> {
    if (!f.kinds.length) return { events: [], more: false };
    const { index, query } = await build(f, b);
    const out: { ev: AuditEvent }[] = [];
    let after: unknown[] | undefined;
    while (out.length <= limit) {
      const size = Math.min(PAGE, limit + 1 - out.length);
      const body = {
        size,
        query,
        track_total_hits: false,
        // Time order; at one instant, file before net before process (as SQLite merges its tables).
        sort: [{ '@timestamp': 'asc' }, { 'event.dataset': 'asc' }, { 'ebpf_audit.ktime_ns': 'asc' }, { 'process.thread.id': 'asc' }],
        ...(after ? { search_after: after } : {}),
      };
      const res = await post<{ hits: { hits: { _source: Doc; sort: unknown[] }[] } }>(client, `/${index}/_search`, body, b);
      const hits = res.hits.hits;
      for (const h of hits) out.push({ ev: fromDocument(h._source) });
      if (hits.length < size) break;
      after = hits[hits.length - 1].sort;
    }
    const more = out.length > limit;
    if (more) out.length = limit;
    return { events: out, more };
  }

  async function count(f: SearchFilter, b?: Budget): Promise<number> {
    if (!f.kinds.length) return 0;
    const { index, query } = await build(f, b);
    return (await post<{ count: number }>(client, `/${index}/_count`, { query }, b)).count;
  }

  async function histogram(f: SearchFilter, bucketNs: bigint, b?: Budget): Promise<{ startNs: bigint; events: number }[]> {
    if (!f.kinds.length) return [];
    const { index, query } = await build(f, b);
    const interval = bucketNs % 1_000_000_000n === 0n ? `${bucketNs / 1_000_000_000n}s` : `${bucketNs / 1_000_000n}ms`;
    const body = { size: 0, query, aggs: { h: { date_histogram: { field: '@timestamp', fixed_interval: interval, min_doc_count: 1 } } } };
    const res = await post<{ aggregations?: { h: { buckets: { key: number; doc_count: number }[] } } }>(client, `/${index}/_search`, body, b);
    return (res.aggregations?.h.buckets ?? []).map((x) => ({ startNs: BigInt(x.key) * 1_000_000n, events: x.doc_count }));
  }

  /** Group keys of one field for one kind: per case, a guard and a composite source (or a constant). */
  function groupSources(name: string, kind: EventKind): { when: Query; source?: Record<string, unknown>; constant?: string; missing?: string }[] | undefined {
    const cases = osField(name, kind, false);
    if (!cases) return undefined;
    return cases.map((c) => {
      const guard = and([...(c.when ? [c.when] : []), ...(c.unless ? [{ bool: { must_not: [c.unless] } }] : [])].filter(Boolean) as Query[]);
      const when = c.when || c.unless ? guard : MATCH_ALL;
      const v = c.value;
      if ('const' in v) return { when, constant: typeof v.const === 'boolean' ? (v.const ? '1' : '0') : String(v.const) };
      if ('path' in v)
        return {
          when,
          source: { terms: { field: v.path, missing_bucket: v.missing !== undefined } },
          missing: v.missing === undefined ? undefined : keyText(v.missing, undefined),
        };
      if ('time' in v)
        return {
          when,
          source: {
            terms: {
              script: {
                lang: 'painless',
                source:
                  "def z = doc['@timestamp'].value.toInstant(); String n = Long.toString(z.getNano()); return Long.toString(z.getEpochSecond()) + '.' + '000000000'.substring(n.length()) + n;",
              },
            },
          },
        };
      throw new ConfigError(`--top ${name}: not supported by the OpenSearch store (it is looked up per event; use --where on it, or the SQLite store)`);
    });
  }

  const keyText = (k: unknown, missing: string | undefined): string | undefined => (k === null || k === undefined ? missing : typeof k === 'boolean' ? (k ? '1' : '0') : String(k));

  async function top(f: SearchFilter, fields: string[], n: number, b?: Budget): Promise<TopRow[]> {
    const counts = new Map<string, { events: number; values?: Set<string> }>();
    let pairs = 0;
    const add = (a: string, second: string | undefined, docs: number): void => {
      let c = counts.get(a);
      if (!c) counts.set(a, (c = { events: 0, values: fields.length > 1 ? new Set() : undefined }));
      c.events += docs;
      if (c.values && second !== undefined) {
        const size = c.values.size;
        c.values.add(second);
        if (c.values.size > size && ++pairs > MAX_PAIRS)
          throw new QueryTimeoutError(`more than ${MAX_PAIRS} distinct pairs of ${fields.join(', ')}; narrow the time range or the condition`);
      }
    };
    for (const kind of f.kinds) {
      const kf: SearchFilter = { ...f, kinds: [kind] };
      if (forKind(f.cond, kind).op === 'const' && !(forKind(f.cond, kind) as { value: boolean }).value) continue;
      const g1 = groupSources(fields[0], kind);
      const g2 = fields[1] === undefined ? [{ when: MATCH_ALL, constant: '' }] : groupSources(fields[1], kind);
      if (!g1 || !g2) continue;
      const { index, query } = await build(kf, b);
      for (const a of g1) {
        for (const s of g2) {
          const q = and([query, ...(a.when === MATCH_ALL ? [] : [a.when]), ...(s.when === MATCH_ALL ? [] : [s.when])]);
          const sources = [...(a.source ? [{ a: a.source }] : []), ...(fields[1] !== undefined && s.source ? [{ s: s.source }] : [])];
          if (!sources.length) {
            const docs = (await post<{ count: number }>(client, `/${index}/_count`, { query: q }, b)).count;
            if (docs) add(a.constant!, fields[1] === undefined ? undefined : s.constant, docs);
            continue;
          }
          let after: unknown;
          for (;;) {
            const body = { size: 0, query: q, aggs: { g: { composite: { size: 10_000, sources, ...(after ? { after } : {}) } } } };
            const res = await post<{ aggregations?: { g: { buckets: { key: Record<string, unknown>; doc_count: number }[]; after_key?: unknown } } }>(
              client,
              `/${index}/_search`,
              body,
              b,
            );
            const g = res.aggregations?.g;
            if (!g) break;
            for (const bk of g.buckets) {
              const av = a.source ? keyText(bk.key.a, a.missing) : a.constant;
              const sv = fields[1] === undefined ? undefined : s.source ? keyText(bk.key.s, s.missing) : s.constant;
              if (av === undefined || (fields[1] !== undefined && sv === undefined)) continue; // no value: not counted
              add(av, sv, bk.doc_count);
            }
            if (!g.after_key || g.buckets.length === 0) break;
            after = g.after_key;
          }
        }
      }
    }
    const rows: TopRow[] = [...counts].map(([value, c]) => ({ value, events: c.events, distinct: c.values?.size }));
    rows.sort((x, y) => (y.distinct ?? y.events) - (x.distinct ?? x.events) || y.events - x.events || (x.value < y.value ? -1 : 1));
    return rows.slice(0, n);
  }

  /** Stored alerts in the window and hosts, oldest first (the condition and kinds do not apply). */
  async function alerts(f: SearchFilter, limit: number, b?: Budget): Promise<{ alerts: StoredAlert[]; more: boolean }> {
    const filters: Query[] = [];
    if (f.sinceNs > 0n || f.untilNs < MAX_NS)
      filters.push({ range: { '@timestamp': { gte: isoNs(f.sinceNs), lte: isoNs(f.untilNs), format: 'strict_date_optional_time_nanos' } } });
    if (f.hosts.length) filters.push(or([{ terms: { 'host.id': f.hosts } }, { terms: { 'host.name': f.hosts } }]));
    const out: StoredAlert[] = [];
    let after: unknown[] | undefined;
    while (out.length <= limit) {
      const size = Math.min(PAGE, limit + 1 - out.length);
      const body = {
        size,
        query: filters.length ? and(filters) : MATCH_ALL,
        track_total_hits: false,
        sort: [{ '@timestamp': 'asc' }, { 'rule.id': 'asc' }],
        ...(after ? { search_after: after } : {}),
      };
      const res = await post<{ hits: { hits: { _index: string; _source: Doc; sort: unknown[] }[] } }>(client, `/${indexPrefix}-alerts-*/_search`, body, b);
      for (const h of res.hits.hits) {
        const a = alertFromDocument(h._source);
        const last = a.events[a.events.length - 1];
        out.push({
          day: h._index.slice(h._index.lastIndexOf('-') + 1).replace(/\./g, '-'),
          time_ns: a.time_ns,
          rule_id: a.rule_id,
          severity: a.severity,
          description: a.description,
          message: a.message,
          tags: a.tags,
          host: a.host,
          count: a.count,
          event: last ? formatJson(last) : '',
        });
      }
      if (res.hits.hits.length < size) break;
      after = res.hits.hits[res.hits.hits.length - 1].sort;
    }
    const more = out.length > limit;
    if (more) out.length = limit;
    return { alerts: out, more };
  }

  return {
    events,
    count,
    alerts,
    histogram,
    top,
    query: (f) => build(f),
    post: (path, body, b) => post(client, path, body, b),
    close: async () => undefined,
  };
}
