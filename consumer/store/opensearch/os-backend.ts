/** The OpenSearch store as a search backend (search/backend.ts): the same requests and answers as SQLite's. */
import type { Client } from '@opensearch-project/opensearch';
import type { SearchBackend } from '../../search/backend';
import { osProcessStory } from './os-process-story';
import { osRetroHunt } from './os-retro-hunt';
import { openOpenSearchSearch } from './os-search';

export function openSearchBackend(opts: { client: Client; indexPrefix: string }): SearchBackend {
  const search = openOpenSearchSearch(opts);
  const post = async <T>(path: string, body: unknown): Promise<T> => search.post<T>(path, body);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const msearch = async (ndjson: string): Promise<{ responses: { hits?: { hits: { _source: Record<string, any> }[] } }[] }> => {
    const res = await opts.client.transport.request({ method: 'POST', path: '/_msearch', bulkBody: ndjson });
    return res.body as never;
  };
  return {
    events: (f, limit, b) => search.events(f, limit, b),
    count: (f, b) => search.count(f, b),
    histogram: (f, bucketNs, b) => search.histogram(f, bucketNs, b),
    top: (f, fields, n, b) => search.top(f, fields, n, b),
    alerts: (f, limit, b) => search.alerts(f, limit, b),
    story: (ref, o) => osProcessStory(post, opts.indexPrefix, ref, o),
    hunt: (rules, env, base, limit, b) => osRetroHunt(search, msearch, opts.indexPrefix, rules, env, base, limit, b),
    close: async () => opts.client.close(),
  };
}
