/**
 * detect reads the process topic ahead of the file topic in event time (kind-order.ts): a lagging
 * detect gets file and process batches in one fetch, file first. Preloaded here: many file events
 * published first, then the exec events of their processes (each a few ms earlier) and their
 * exits (1 ms later), so every file batch is fetched before the execs it needs, and the process
 * topic, once read ahead, holds each exit before the file event. Every alert must know its
 * process's command line and parent; before the ordering, the file batch ran first and printed <NA>.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { topicFor } from '../../common/topics';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { createSchemaRegistry } from '../../schemas/registry';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { execEvent, fileEvent, proc } from '../helpers/samples';

/** Enough that the execs (about 300 bytes each) take several fetches (1 MiB per partition each). */
const N = 12000;
const T0 = 1_764_012_345_000n * 1_000_000n;
const timeOf = (i: number): bigint => T0 + BigInt(i) * 1_000_000n; // one event per ms

async function preload(prefix: string): Promise<void> {
  const kafka = testKafka('detect-order-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const registry = createSchemaRegistry();
  const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 5000, maxQueued: 100000, compression: 'None' });
  await p.connect();
  const procOf = (i: number) => ({ ...proc, pid: 20000 + i, ppid: 7, comm: 'cat', start_time_ns: timeOf(i) - 5_000_000n });
  const ts = (t: bigint): string => String(t / 1_000_000n);
  for (let i = 0; i < N; i++) {
    const t = timeOf(i);
    p.offer(topicFor(prefix, 'file'), {
      key: 'host-1',
      timestamp: ts(t),
      value: registry.encode('file', { ...fileEvent, time_ns: t, path: `/srv/order/${i}`, process: procOf(i) }),
    });
  }
  await p.flush(30000);
  for (let i = 0; i < N; i++) {
    const t = timeOf(i) - 3_000_000n; // the exec, 3 ms before its file event
    const ev = { ...execEvent, time_ns: t, process: procOf(i), args: ['cat', `/srv/order/${i}`], ancestors: [{ pid: 7, comm: 'bash', exe: '/usr/bin/bash' }] };
    p.offer(topicFor(prefix, 'process'), { key: 'host-1', timestamp: ts(t), value: registry.encode('process', ev) });
    // Its exit, 1 ms after the file event: read ahead of it, it must not hide the process from it.
    const exit = { ...ev, kind: 'exit' as const, time_ns: timeOf(i) + 1_000_000n, args: [], ancestors: [] };
    p.offer(topicFor(prefix, 'process'), { key: 'host-1', timestamp: ts(exit.time_ns), value: registry.encode('process', exit) });
  }
  await p.flush(30000);
  await p.disconnect();
}

test('detect hands on no file event before the exec of its process: every alert knows proc.cmdline and proc.pname', { timeout: 240000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('detect-order');
  await preload(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-order-'));
  const rules = path.join(dir, 'rules.yaml');
  fs.writeFileSync(rules, '- rule: order\n  severity: low\n  output: "cmd=%proc.cmdline parent=%proc.pname file=%file.path"\n  condition: file.path startswith /srv/order/\n');
  const run = (orderWait: string) => {
    const r = spawnSync(
      process.execPath,
      [
        CONSUMER_CLI,
        'detect',
        rules,
        '--no-default-rules',
        '--brokers',
        BROKERS,
        '--topic-prefix',
        prefix,
        '--from-beginning',
        '--until-end',
        '--no-publish',
        '--output',
        'json',
        '--order-wait',
        orderWait,
        '--group',
        `${prefix}-${orderWait}`,
        '--log-level',
        'info',
      ],
      { encoding: 'utf8', timeout: 200000, maxBuffer: 64 << 20 },
    );
    assert.equal(r.status, 0, r.stderr);
    const alerts = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string });
    assert.ok(alerts.length >= N, `${alerts.length} alerts`); // at least once: a retried preload may repeat some
    const wrong = alerts.filter((a) => {
      const i = /file=\/srv\/order\/(\d+)$/.exec(a.message)?.[1];
      return a.message !== `cmd=cat /srv/order/${i} parent=bash file=/srv/order/${i}`;
    });
    return { alerts, wrong, final: JSON.parse(r.stderr.split('\n').find((l) => l.includes('"detect stopped"'))!) };
  };
  // A wait bound far above what the machine needs, so any message that waits it out is a defect.
  const ordered = run('20000');
  assert.deepEqual(ordered.wrong.slice(0, 3), [], `${ordered.wrong.length} of ${ordered.alerts.length} alerts without their process`);
  assert.equal(ordered.final.order.unordered, 0);
  // A file batch ran ahead of the execs fetched so far and ended early, read again by the next fetch.
  assert.ok(ordered.final.order.deferred > 0, JSON.stringify(ordered.final.order));
  // The control: without the ordering (kafkajs hands on the file batch first), the same topics
  // give alerts that miss their process, so the preload above does exercise the ordering.
  const unordered = run('0');
  assert.ok(unordered.wrong.length > 0, 'the file events are fetched before the execs');
  assert.match(unordered.wrong[0].message, /^cmd=<NA> parent=<NA> file=/);
});
