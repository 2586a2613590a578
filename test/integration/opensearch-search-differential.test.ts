/**
 * The OpenSearch search and the rule engine must select exactly the same events: the generated
 * data set and conditions of the SQLite differential test (test/helpers/search-cases.ts), stored
 * in the real local node, each condition compiled to query DSL and run there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpression, DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { createProcessTree } from '../../consumer/rules/process-tree';
import { parseCondition } from '../../consumer/rules/syntax';
import { kindsOf, normalize } from '../../consumer/search/normalize';
import { createBulkWriter } from '../../consumer/store/opensearch/bulk-writer';
import { toDocument } from '../../consumer/store/opensearch/document';
import { eventId } from '../../consumer/store/opensearch/event-id';
import { createIndexNamer, installTemplate } from '../../consumer/store/opensearch/indices';
import { MAPPINGS } from '../../consumer/store/opensearch/mapping';
import { openOpenSearchSearch } from '../../consumer/store/opensearch/os-search';
import { openSearchBackend } from '../../consumer/store/opensearch/os-backend';
import { huntRules } from '../../consumer/search/retro-hunt';
import type { AuditEvent } from '../../schemas/types';
import { uniquePrefix } from '../helpers/env';
import { quietLogger } from '../helpers/kafka';
import { deleteIndices, needsOpenSearch, testOpenSearch } from '../helpers/opensearch';
import { ancestryCase, conditions, dataSet } from '../helpers/search-cases';

test('OpenSearch search and the rule engine select the same events for generated conditions', async (t) => {
  if (await needsOpenSearch(t)) return;
  const client = testOpenSearch();
  const prefix = uniquePrefix('osdiff');
  const events = dataSet(2000);
  try {
    await installTemplate(client, prefix, { shards: 1, replicas: 0 }, quietLogger);
    const writer = createBulkWriter({ client, logger: quietLogger, stop: new AbortController().signal });
    const name = createIndexNamer(prefix);
    for (const ev of events) await writer.add(name(ev.kind, ev.event.time_ns), eventId(ev), JSON.stringify(toDocument(ev)));
    await writer.flush();
    assert.equal(writer.stats().indexed, events.length);
    await client.indices.refresh({ index: `${prefix}-*` });

    const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const search = openOpenSearchSearch({ client, indexPrefix: prefix });
    const key = (ev: AuditEvent): string => `${ev.kind}:${ev.event.time_ns}`;
    let nonEmpty = 0;
    let notAll = 0;
    // The same conditions as the SQLite differential test; four queries at a time.
    const conds = conditions(300);
    let next = 0;
    const check = async (): Promise<void> => {
      while (next < conds.length) {
        const cond = conds[next++];
        const pred = compileExpression(cond, env).pred;
        const procs = createProcessTree({ maxProcesses: 65536 });
        const want: string[] = [];
        for (const ev of events) {
          procs.observe(ev);
          if (pred(ev, procs)) want.push(key(ev));
        }
        const nc = normalize(parseCondition(cond), env, (offset) => ({ file: '--where', line: 1, col: offset + 1 }));
        let got: string[];
        try {
          got = (await search.events({ cond: nc, kinds: kindsOf(nc), sinceNs: 0n, untilNs: 2n ** 63n - 1n, hosts: [] }, 1_000_000)).events.map((e) => key(e.ev));
        } catch (err) {
          throw new Error(`${cond}: ${(err as Error).message} ${JSON.stringify((err as { meta?: { body?: unknown } }).meta?.body ?? '').slice(0, 2000)}`);
        }
        assert.deepEqual(got.sort(), want.sort(), `condition: ${cond} (engine ${want.length}, OpenSearch ${got.length})`);
        if (want.length) nonEmpty++;
        if (want.length < events.length) notAll++;
      }
    };
    await Promise.all([check(), check(), check(), check()]);
    assert.ok(nonEmpty > conds.length / 3, `only ${nonEmpty} of ${conds.length} conditions matched anything`);
    assert.ok(notAll > conds.length / 2, `only ${notAll} conditions excluded anything`);
  } finally {
    await deleteIndices(client, prefix);
  }
});

test('OpenSearch retro-hunt: a test of ancestors (proc.aname) is decided over the stored execs, as the engine does', async (t) => {
  if (await needsOpenSearch(t)) return;
  const client = testOpenSearch();
  const prefix = uniquePrefix('oshunt');
  const { events, alerted } = ancestryCase({ id: 'h-hunt', name: 'hunt-1', boot_id: 'b1' }, BigInt(Date.UTC(2026, 10, 24, 12)) * 1_000_000n);
  try {
    await installTemplate(client, prefix, { shards: 1, replicas: 0 }, quietLogger);
    const writer = createBulkWriter({ client, logger: quietLogger, stop: new AbortController().signal });
    const name = createIndexNamer(prefix);
    for (const ev of events) await writer.add(name(ev.kind, ev.event.time_ns), eventId(ev), JSON.stringify(toDocument(ev)));
    await writer.flush();
    await client.indices.refresh({ index: `${prefix}-*` });
    const { env, rules } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const backend = openSearchBackend({ client: testOpenSearch(), indexPrefix: prefix });
    const hunt = await backend.hunt(
      huntRules(rules, ['write-below-binary-dir']),
      env,
      { cond: { op: 'const', value: true }, kinds: ['file'], sinceNs: 0n, untilNs: 2n ** 63n - 1n, hosts: [] },
      100,
    );
    await backend.close();
    assert.deepEqual(
      hunt.alerts.map((a) => (a.events[0].event as { path: string }).path),
      [alerted],
    );
    assert.match(hunt.alerts[0].message, /proc=cp .*parent=bash/);
  } finally {
    await deleteIndices(client, prefix);
  }
});

test('OpenSearch: an index made under mapping version 1 takes documents with the newer fields once the template is installed, and finds them', async (t) => {
  if (await needsOpenSearch(t)) return;
  const client = testOpenSearch();
  const prefix = uniquePrefix('osupg');
  const ev = dataSet(400).find((e) => e.kind === 'process' && e.event.process.tty === 34816 && e.event.process.loginuid === 1000)!;
  assert.ok(ev, 'the data set has a process event with a terminal and a login uid');
  // Version 1: the same mapping without the fields version 2 added.
  const v1 = structuredClone(MAPPINGS) as { _meta: Record<string, number>; properties: { ebpf_audit: { properties: Record<string, { properties: Record<string, unknown> }> } } };
  const x = v1.properties.ebpf_audit.properties;
  for (const f of ['tty', 'loginuid', 'user_name', 'effective_user_name', 'login_user_name', 'cap_names', 'exe_upper_layer']) delete x.process.properties[f];
  delete x.file.properties.target;
  for (const f of ['local_ip', 'local_port', 'socket_type', 'socket_protocol']) delete x.net.properties[f];
  delete x.ptrace;
  delete x.module;
  v1._meta.ebpf_audit_mapping = 1;
  const index = createIndexNamer(prefix)(ev.kind, ev.event.time_ns);
  try {
    await client.indices.create({ index, body: { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: v1 } } as never);
    const put = () => client.index({ index, id: eventId(ev), body: toDocument(ev), refresh: true } as never);
    await assert.rejects(put(), /strict_dynamic_mapping_exception/, 'the old mapping refuses the new fields');
    await installTemplate(client, prefix, { shards: 1, replicas: 0 }, quietLogger);
    await put();
    const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const nc = normalize(parseCondition('proc.tty = 34816 and user.loginuid = 1000'), env, (offset) => ({ file: '--where', line: 1, col: offset + 1 }));
    const search = openOpenSearchSearch({ client, indexPrefix: prefix });
    const got = await search.events({ cond: nc, kinds: kindsOf(nc), sinceNs: 0n, untilNs: 2n ** 63n - 1n, hosts: [] }, 10);
    assert.deepEqual(
      got.events.map((e) => e.ev.event.time_ns),
      [ev.event.time_ns],
    );
  } finally {
    await deleteIndices(client, prefix);
  }
});
