/**
 * The OpenSearch node away for 20 s during a stream: the store waits (its bulk requests fail and
 * are retried, consumption stops, memory stays bounded), and once the node is back every event is
 * stored, once. The node is this test's own (deploy/opensearch/local.sh on another port and home),
 * so the shared node the other tests use is never stopped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { createOpenSearchClient } from '../../consumer/store/opensearch/connection';
import type { AuditEvent } from '../../schemas/types';
import { BROKERS, CONSUMER_CLI, ROOT_DIR, needsBroker, uniquePrefix } from '../helpers/env';
import { needsOpenSearch } from '../helpers/opensearch';
import { start } from '../helpers/proc';
import { createTopicSet, preload } from '../helpers/store-preload';
import { makeEvents } from '../bench/workload';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PORT = 9210;
const URL = `http://127.0.0.1:${PORT}`;
const LOCAL = path.join(ROOT_DIR, 'deploy/opensearch/local.sh');
const env = {
  ...process.env,
  EBPF_AUDIT_OPENSEARCH_HOME: '/var/lib/ebpf-audit/opensearch-outage-test',
  EBPF_AUDIT_OPENSEARCH_PORT: String(PORT),
  EBPF_AUDIT_OPENSEARCH_TRANSPORT_PORT: String(PORT + 100),
  EBPF_AUDIT_OPENSEARCH_HEAP: '512m',
};
const node = (cmd: 'start' | 'stop' | 'reset'): void => {
  execFileSync(LOCAL, [cmd], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 240000 });
};

async function count(prefix: string): Promise<number> {
  const client = createOpenSearchClient({ nodes: [URL] });
  try {
    await client.indices.refresh({ index: `${prefix}-*` });
    return (await client.count({ index: `${prefix}-*` })).body.count;
  } finally {
    await client.close();
  }
}

test('store --backend opensearch: the node stopped for 20 s mid-stream, then started: the store waited, nothing lost or doubled', { timeout: 420000 }, async (t) => {
  // The shared node proves the machine can run one (needsOpenSearch fails under CI without it).
  if ((await needsBroker(t)) || (await needsOpenSearch(t))) return;
  node('reset');
  node('start');
  t.after(() => node('reset'));
  const prefix = uniquePrefix('os-outage');
  await createTopicSet(prefix);
  const events: AuditEvent[] = makeEvents(24_000);
  const base = BigInt(Date.now() - 600_000) * 1_000_000n;
  events.forEach((ev, i) => (ev.event.time_ns = base + BigInt(i) * 1000n));
  const bulkMb = 1;
  const store = start(process.execPath, [
    CONSUMER_CLI,
    'store',
    '--backend',
    'opensearch',
    '--opensearch-url',
    URL,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--stats-interval',
    '1',
    '--bulk-mb',
    String(bulkMb),
  ]);
  t.after(() => store.stop('SIGKILL'));
  await store.waitForLine(/"msg":"subscribed"/, 90000, 'stderr');

  // A stream of 400 events every 250 ms (about 15 s), through the outage.
  let sent = 0;
  const stream = (async () => {
    for (let i = 0; i < events.length; i += 400) {
      await preload(prefix, events.slice(i, i + 400));
      sent = i + 400;
      await sleep(250);
    }
  })();
  await store.waitForLine(/"indexed":[1-9].*"msg":"store stats"/, 90000, 'stderr');
  node('stop');
  const stoppedAt = store.stderr().length;
  await sleep(20_000);
  const during = store.stderr().slice(stoppedAt);
  node('start');
  await stream;

  for (let until = Date.now() + 120000; Date.now() < until; await sleep(1000)) if ((await count(prefix)) >= sent) break;
  assert.equal(await count(prefix), events.length);
  assert.equal(store.child.exitCode, null, 'the store kept running through the outage');
  // It waited: bulk requests failed and were retried while the node was away ...
  assert.match(during, /"msg":"bulk request failed; retrying"/);
  // ... holding a bounded amount: at most the requests in flight and the one gathering, each about --bulk-mb.
  const pending = during
    .split('\n')
    .filter((l) => l.includes('"msg":"store stats"'))
    .map((l) => JSON.parse(l).bulk.pendingBytes as number);
  assert.ok(pending.length > 5, 'stats were logged during the outage');
  assert.ok(Math.max(...pending) < 4 * bulkMb * 1024 * 1024, `pending bytes ${Math.max(...pending)}`);
  assert.equal(await store.stop('SIGINT'), 0);
});
