/**
 * The local OpenSearch node for tests (deploy/opensearch/local.sh, started by test/run.sh). A test
 * that needs it skips without it on a developer's machine and fails under CI=true.
 */
import type { TestContext } from 'node:test';
import type { Client } from '@opensearch-project/opensearch';
import { createOpenSearchClient } from '../../consumer/store/opensearch/connection';

export const OPENSEARCH_URL = process.env.EBPF_AUDIT_OPENSEARCH_URL ?? 'http://127.0.0.1:9200';

export async function openSearchReachable(url = OPENSEARCH_URL): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_cluster/health`, { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** True when the test must stop (skipped); throws under CI. */
export async function needsOpenSearch(t: TestContext): Promise<boolean> {
  if (await openSearchReachable()) return false;
  const what = `no OpenSearch node at ${OPENSEARCH_URL} (start one: deploy/opensearch/local.sh start)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${what}: this test must run in CI`);
  t.skip(what);
  return true;
}

export function testOpenSearch(): Client {
  return createOpenSearchClient({ nodes: [OPENSEARCH_URL] });
}

/** Delete a test's indices (by name: the node refuses wildcard deletes). */
export async function deleteIndices(client: Client, prefix: string): Promise<void> {
  const res = await client.cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index' } as never);
  const names = (res.body as unknown as { index: string }[]).map((r) => r.index);
  if (names.length) await client.indices.delete({ index: names.join(',') });
  await client.indices.deleteIndexTemplate({ name: `${prefix}-ebpf-audit` }).catch(() => undefined);
}
