/**
 * --since against the real broker: tail and detect read each event at or after the time exactly
 * once, and nothing older. The topics hold old and recent events in three partitions; the first
 * fetch (before the seek lands) returns recent events too, which used to be handed on twice.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { topicFor } from '../../common/topics';
import { createSchemaRegistry } from '../../schemas/registry';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { exactProducer, quietLogger, testKafka } from '../helpers/kafka';
import { fileEvent } from '../helpers/samples';

const OLD = 600; // 20 minutes ago
const RECENT = 900; // within the last 5 minutes

/** Old and recent file events over six host keys (so all three partitions); message time = event time. */
async function preload(prefix: string): Promise<void> {
  const kafka = testKafka('since-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const registry = createSchemaRegistry();
  const now = Date.now();
  const messages = [];
  for (let i = 0; i < OLD + RECENT; i++) {
    const recent = i >= OLD;
    const ms = recent ? now - 300_000 + i : now - 1_200_000 + i;
    const ev = { ...fileEvent, time_ns: BigInt(ms) * 1_000_000n, path: recent ? `/recent/${i}` : `/old/${i}` };
    messages.push({ key: `host-${i % 6}`, value: registry.encode('file', ev), timestamp: String(ms) });
  }
  const producer = exactProducer(kafka);
  await producer.connect();
  await producer.send({ topic: topicFor(prefix, 'file'), messages, acks: -1, compression: CompressionTypes.None });
  await producer.disconnect();
}

/** Paths printed, counted: each must appear exactly once, and all of them recent. */
function assertEachRecentOnce(paths: string[]): void {
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(p, (counts.get(p) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], `${twice.length} events handed on more than once`);
  assert.equal(paths.filter((p) => p.startsWith('/old/')).length, 0, 'events older than --since');
  assert.equal(counts.size, RECENT);
}

test('tail --since --until-end prints each event at or after the time once', { timeout: 120000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('since');
  await preload(prefix);
  for (const since of ['10m', new Date(Date.now() - 600_000).toISOString()]) {
    const r = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--since', since, '--until-end', '--output', 'json'], {
      encoding: 'utf8',
      timeout: 90000,
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assertEachRecentOnce(lines.map((l) => JSON.parse(l).path as string));
    assert.equal(lines.length, RECENT);
  }
});

test('detect --since --until-end raises one alert per event at or after the time', { timeout: 120000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('since-detect');
  await preload(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-since-'));
  const rules = path.join(dir, 'rules.yaml');
  fs.writeFileSync(rules, '- rule: every-file\n  description: every file event\n  severity: info\n  condition: evt.kind = file\n  output: "%file.path"\n');
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
      '--since',
      '10m',
      '--until-end',
      '--no-publish',
      '--output',
      'json',
      '--group',
      `${prefix}-g`,
    ],
    {
      encoding: 'utf8',
      timeout: 90000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assertEachRecentOnce(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).message as string),
  );
  fs.rmSync(dir, { recursive: true });
});
