/**
 * `store --backend opensearch` against the real broker and the real local OpenSearch node: exactly
 * one document per event across kill -9 during a steady stream (the offsets live in the consumer
 * group and are committed only after OpenSearch acknowledged), a hostile path that comes back byte
 * for byte through `search --backend opensearch`, and two stores in one group sharing the work.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { formatLine } from '../../consumer/core/output/line-format';
import type { Alert } from '../../consumer/rules/engine';
import type { AuditEvent } from '../../schemas/types';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { OPENSEARCH_URL, deleteIndices, needsOpenSearch, testOpenSearch } from '../helpers/opensearch';
import { openSearchBackend } from '../../consumer/store/opensearch/os-backend';
import { start } from '../helpers/proc';
import { createTopicSet, messagesIn, preload } from '../helpers/store-preload';
import { makeEvents } from '../bench/workload';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function storeArgs(prefix: string, extra: string[] = []): string[] {
  return [CONSUMER_CLI, 'store', '--backend', 'opensearch', '--opensearch-url', OPENSEARCH_URL, '--brokers', BROKERS, '--topic-prefix', prefix, '--stats-interval', '1', ...extra];
}

function searchArgs(prefix: string, extra: string[]): string[] {
  return [CONSUMER_CLI, 'search', '--backend', 'opensearch', '--opensearch-url', OPENSEARCH_URL, '--index-prefix', prefix, ...extra];
}

/** Documents per index kind, after a refresh. */
async function docs(prefix: string): Promise<Record<string, number>> {
  const client = testOpenSearch();
  await client.indices.refresh({ index: `${prefix}-*` });
  const out: Record<string, number> = {};
  for (const k of ['file', 'net', 'process', 'alerts']) out[k] = (await client.count({ index: `${prefix}-${k}-*`, allow_no_indices: true } as never)).body.count;
  return out;
}

/** Events with distinct times from fromMs, in order. */
function timed(n: number, fromMs: number): AuditEvent[] {
  const events = makeEvents(n);
  const base = BigInt(fromMs) * 1_000_000n;
  events.forEach((ev, i) => (ev.event.time_ns = base + BigInt(i) * 1000n));
  return events;
}

const byKind = (events: AuditEvent[]): Record<string, number> => {
  const n: Record<string, number> = { file: 0, net: 0, process: 0 };
  for (const ev of events) n[ev.kind]++;
  return n;
};

test('store --backend opensearch: one document per event across kill -9 during a steady stream', { timeout: 300000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsOpenSearch(t))) return;
  const prefix = uniquePrefix('os-once');
  t.after(() => deleteIndices(testOpenSearch(), prefix));
  await createTopicSet(prefix);
  const events = timed(40_000, Date.now() - 600_000);
  const alert = (ev: AuditEvent, i: number): Alert => ({
    time_ns: ev.event.time_ns + 1n,
    rule_id: `r-${i}`,
    severity: 'high',
    description: 'd',
    message: `m ${i}`,
    tags: ['T1'],
    host: ev.event.host,
    count: 1,
    events: [ev],
  });

  // A steady stream until the kills are done: 1,000 events every 150 ms, an alert with each
  // batch, a malformed message now and then.
  let sent = 0;
  let alerts = 0;
  let garbage = 0;
  let killing = true;
  const stream = (async () => {
    for (let i = 0; i < events.length && (killing || i < 20_000); i += 1000) {
      await preload(prefix, events.slice(i, i + 1000), { alerts: [alert(events[i], i)], raw: i % 10_000 === 0 ? [Buffer.from(`garbage ${i}`)] : [] });
      if (i % 10_000 === 0) garbage++;
      sent = i + 1000;
      alerts++;
      await sleep(150);
    }
  })();

  // Killed twice while writing, restarted each time in the same group: it resumes from the
  // offsets committed after acknowledged bulk requests (the wait for the dead member's session
  // is part of a real restart).
  const group = `${prefix}-store`;
  const logs: string[] = [];
  for (let k = 0; k < 2; k++) {
    const store = start(process.execPath, storeArgs(prefix, ['--group', group]));
    t.after(() => store.stop('SIGKILL'));
    await store.waitForLine(/"indexed":[1-9].*"msg":"store stats"/, 90000, 'stderr');
    await sleep(300 + k * 900);
    assert.equal(await store.stop('SIGKILL'), 'SIGKILL');
    logs.push(store.stderr());
  }
  killing = false;
  await stream;
  const last = spawnSync(process.execPath, storeArgs(prefix, ['--group', group, '--until-end']), { encoding: 'utf8', timeout: 150000 });
  assert.equal(last.status, 0, last.stderr.slice(-3000));
  const stopped = JSON.parse(last.stderr.split('\n').find((l) => l.includes('"msg":"store stopped"'))!);
  assert.ok(stopped.events.received > 0, 'the restart read on from the committed offsets');
  assert.ok(stopped.events.received < sent, `the restart re-read everything (${stopped.events.received} of ${sent}): offsets were not committed`);
  // Every malformed message was counted and logged with its place by one of the runs (which one
  // depends on where the kills fell; a message re-read after a kill is logged again).
  const skipped = new Set(
    [...logs, last.stderr]
      .join('\n')
      .split('\n')
      .filter((l) => l.includes('malformed message skipped'))
      .map((l) => {
        const m = JSON.parse(l) as { topic: string; partition: number; offset: string };
        return `${m.topic}/${m.partition}/${m.offset}`;
      }),
  );
  assert.equal(skipped.size, garbage, 'each malformed message logged with topic/partition/offset');

  // Exactly one document per event and alert: the ids are the events' identity, and a redelivered
  // batch overwrote itself.
  const want = byKind(events.slice(0, sent));
  assert.deepEqual(await docs(prefix), { ...want, alerts });
  const count = spawnSync(process.execPath, searchArgs(prefix, ['--count']), { encoding: 'utf8' });
  assert.equal(count.status, 0, count.stderr);
  assert.equal(Number(count.stdout.trim()), sent);
});

test('store --backend opensearch: a hostile path comes back byte for byte; alerts are stored', { timeout: 120000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsOpenSearch(t))) return;
  const prefix = uniquePrefix('os-hostile');
  t.after(() => deleteIndices(testOpenSearch(), prefix));
  await createTopicSet(prefix);
  const hostile = `/tmp/evil\u001b[31m"\n\\\u0001\u009b\u202e\u2028 é 😀 ${'x'.repeat(200)}\ufffd`;
  const [base] = timed(1, Date.now() - 60_000);
  const ev: AuditEvent = { kind: 'file', event: { ...(base.event as Extract<AuditEvent, { kind: 'file' }>['event']), path: hostile, op: 'openat' } };
  const a: Alert = {
    time_ns: ev.event.time_ns,
    rule_id: 'cred-file-read',
    severity: 'high',
    description: 'd',
    message: `read ${hostile}`,
    tags: ['T1003.008'],
    host: ev.event.host,
    count: 1,
    events: [ev],
  };
  await preload(prefix, [ev], { alerts: [a] });
  const run = spawnSync(process.execPath, storeArgs(prefix, ['--until-end']), { encoding: 'utf8', timeout: 90000 });
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  await docs(prefix);

  const json = spawnSync(process.execPath, searchArgs(prefix, ['--where', `file.path = "${hostile.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`, '--output', 'json']), {
    encoding: 'utf8',
  });
  assert.equal(json.status, 0, json.stderr);
  const lines = json.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, json.stdout);
  assert.equal(JSON.parse(lines[0]).path, hostile); // byte for byte
  const text = spawnSync(process.execPath, searchArgs(prefix, ['--where', 'file.name contains evil']), { encoding: 'utf8' });
  assert.equal(text.stdout, `${formatLine(ev)}\n`); // the documented line, escaped as tail escapes it
  assert.doesNotMatch(text.stdout, /[\u001b\u009b\u202e\u2028]/);
  const hunt = spawnSync(process.execPath, searchArgs(prefix, ['--rule', 'cred-file-read', '--output', 'json']), { encoding: 'utf8' });
  assert.equal(hunt.status, 0, hunt.stderr);
  assert.equal((await docs(prefix)).alerts, 1);
  // The stored alert through the search API (as the web console reads it).
  const backend = openSearchBackend({ client: testOpenSearch(), indexPrefix: prefix });
  const { alerts, more } = await backend.alerts({ cond: { op: 'const', value: true }, kinds: [], sinceNs: 0n, untilNs: 2n ** 63n - 1n, hosts: [ev.event.host.name] }, 10);
  await backend.close();
  assert.equal(more, false);
  assert.deepEqual(
    alerts.map((x) => [x.rule_id, x.message, x.time_ns, JSON.parse(x.event).path]),
    [['cred-file-read', a.message, a.time_ns, hostile]],
  );
});

test('store --backend opensearch: two stores in one consumer group share the partitions', { timeout: 180000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsOpenSearch(t))) return;
  const prefix = uniquePrefix('os-group');
  t.after(() => deleteIndices(testOpenSearch(), prefix));
  await ensureTopics(testKafka('os-group'), topicSpecs(prefix, { ...BROKER_DEFAULTS, partitions: 4 }), quietLogger);
  await createTopicSet(prefix);
  const events = timed(20_000, Date.now() - 600_000);
  const group = `${prefix}-store`;
  const stores = [0, 1].map(() => start(process.execPath, storeArgs(prefix, ['--group', group])));
  for (const s of stores) t.after(() => s.stop('SIGKILL'));
  await Promise.all(stores.map((s) => s.waitForLine(/"msg":"subscribed"/, 90000, 'stderr')));
  await preload(prefix, events);
  const want = { ...byKind(events), alerts: 0 };
  for (let until = Date.now() + 120000; Date.now() < until; await sleep(1000)) if (JSON.stringify(await docs(prefix)) === JSON.stringify(want)) break;
  assert.deepEqual(await docs(prefix), want);
  for (const s of stores) assert.equal(await s.stop('SIGINT'), 0);
  const received = stores.map(
    (s) =>
      JSON.parse(
        s
          .stderr()
          .split('\n')
          .find((l) => l.includes('"msg":"store stopped"'))!,
      ).events.received as number,
  );
  assert.ok(
    received.every((n) => n > 0),
    `each store took a share: ${received}`,
  );
  assert.equal(received[0] + received[1], events.length, `each event was read by one store: ${received}`);
});

test('store --backend opensearch --retention: daily indices past it are deleted (and logged), older events not written again', { timeout: 120000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsOpenSearch(t))) return;
  const prefix = uniquePrefix('os-ret');
  t.after(() => deleteIndices(testOpenSearch(), prefix));
  await createTopicSet(prefix);
  const day = 86400_000;
  const now = Date.now();
  await preload(
    prefix,
    [3 * day + 3600_000, 2 * day - 3600_000, 3600_000].flatMap((age) => timed(50, now - age)),
  );
  const names = async (): Promise<string[]> => {
    const res = await testOpenSearch().cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index' } as never);
    return (res.body as unknown as { index: string }[]).map((r) => r.index).sort();
  };
  const first = spawnSync(process.execPath, storeArgs(prefix, ['--until-end']), { encoding: 'utf8', timeout: 90000 });
  assert.equal(first.status, 0, first.stderr.slice(-3000));
  const days = [...new Set((await names()).map((n) => n.slice(-10)))].sort();
  assert.equal(days.length, 3, days.join(' '));

  // A second store with --retention 2d and a fresh group (it reads everything again): the oldest
  // day goes, with a log line, and its events are not written back.
  const second = spawnSync(process.execPath, storeArgs(prefix, ['--until-end', '--retention', '2d', '--group', `${prefix}-again`]), { encoding: 'utf8', timeout: 90000 });
  assert.equal(second.status, 0, second.stderr.slice(-3000));
  assert.deepEqual([...new Set((await names()).map((n) => n.slice(-10)))].sort(), days.slice(1));
  assert.match(second.stderr, new RegExp(`"index":"${prefix}-[a-z]+-${days[0].replace(/\./g, '\\.')}","docs":\\d+.*"msg":"index past retention deleted"`));
  const stopped = JSON.parse(second.stderr.split('\n').find((l) => l.includes('"msg":"store stopped"'))!);
  // 50 events on the dropped day, more if a retried preload send wrote some twice: every message
  // the second store read was either expired or written.
  assert.ok(stopped.store.expired >= 50, `expired ${stopped.store.expired}`);
  assert.equal(stopped.store.expired + stopped.store.events, await messagesIn(prefix));
  assert.equal((await docs(prefix)).file + (await docs(prefix)).net + (await docs(prefix)).process, 100);
});
