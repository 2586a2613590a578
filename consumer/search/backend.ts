/**
 * What `search` needs from a store, whichever holds the events: the SQLite day files (one host) or
 * OpenSearch (a fleet). Both take the same filter (where.ts: the condition in normal form, the
 * time window, hosts, kinds) and answer with the same shapes, so run-search prints the same output
 * for both; store/opensearch/os-backend.ts is the other implementation.
 */
import type { AuditEvent } from '../../schemas/types';
import type { CompileEnv } from '../rules/compile';
import type { Alert } from '../rules/engine';
import type { Rule } from '../rules/loader';
import { processStory, type ProcessRef, type Story } from './process-story';
import { retroHunt } from './retro-hunt';
import { openSearch, type Budget, type StoredAlert, type TopRow } from './search';
import type { Filter } from './where';

export interface SearchBackend {
  events(f: Filter, limit: number, b?: Budget): Promise<{ events: { ev: AuditEvent }[]; more: boolean }>;
  count(f: Filter, b?: Budget): Promise<number>;
  histogram(f: Filter, bucketNs: bigint, b?: Budget): Promise<{ startNs: bigint; events: number }[]>;
  top(f: Filter, fields: string[], n: number, b?: Budget): Promise<TopRow[]>;
  /** Alerts stored in the filter's time window and hosts (its condition and kinds do not apply), oldest first. */
  alerts(f: Filter, limit: number, b?: Budget): Promise<{ alerts: StoredAlert[]; more: boolean }>;
  story(ref: ProcessRef, opts: { limit: number }): Promise<Story | undefined>;
  /** What stateless rules would have raised over the stored history (retro-hunt). */
  hunt(rules: Rule[], env: CompileEnv, base: Filter, limit: number, b?: Budget): Promise<{ alerts: Alert[]; more: boolean }>;
  close(): Promise<void>;
}

/** The SQLite store as a backend (its calls are synchronous). */
export function sqliteBackend(dir: string): SearchBackend {
  const search = openSearch({ dir });
  return {
    events: async (f, limit, b) => search.events(f, limit, b),
    count: async (f, b) => search.count(f, b),
    histogram: async (f, bucketNs, b) => search.histogram(f, bucketNs, b),
    top: async (f, fields, n, b) => search.top(f, fields, n, b),
    alerts: async (f, limit, b) => search.alerts(f, limit, b),
    story: async (ref, opts) => processStory(search, ref, opts),
    hunt: async (rules, env, base, limit, b) => retroHunt(search, rules, env, base, limit, b),
    close: async () => search.close(),
  };
}
