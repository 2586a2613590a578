/**
 * Against the real broker: the topics command creates and checks the topics (compaction for the
 * schemas topic); an older consumer reads a newer producer's events through the schemas topic.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { schemasTopic, topicFor } from '../../common/topics';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { schemaMessage } from '../../schemas/publication';
import { createSchemaRegistry, entryFor, parseSchema } from '../../schemas/registry';
import { BROKERS, CONSUMER_CLI, DIST_DIR, needsBroker, uniquePrefix } from '../helpers/env';
import { withAdmin } from '../../common/admin';
import { quietLogger, testKafka } from '../helpers/kafka';
import { start } from '../helpers/proc';
import { fileEvent } from '../helpers/samples';

const TOPICS_CLI = path.join(DIST_DIR, 'producer/topics-cli.js');
const topics = (...args: string[]) => spawnSync(process.execPath, [TOPICS_CLI, ...args, '--brokers', BROKERS], { encoding: 'utf8', timeout: 60000 });

test('topics command: create, then check passes; a missing topic fails the check', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('topics');
  const check = topics('check', '--topic-prefix', prefix, '--partitions', '2');
  assert.equal(check.status, 1);
  assert.match(check.stdout, new RegExp(`${prefix}\\.schemas: missing`));
  const create = topics('create', '--topic-prefix', prefix, '--partitions', '2', '--retention-hours', '24');
  assert.equal(create.status, 0, create.stderr);
  assert.match(create.stdout, /ok: 6 topics as specified/);
  assert.equal(topics('check', '--topic-prefix', prefix, '--partitions', '2', '--retention-hours', '24').status, 0);
  // More replicas than brokers: exit 2, and the reason, not kafkajs's bare "Topic creation errors".
  const rf = topics('create', '--topic-prefix', `${prefix}-rf`, '--replication-factor', '9');
  assert.equal(rf.status, 2, rf.stderr);
  assert.match(rf.stderr, new RegExp(`cannot create topics: replication factor 9, but the cluster has 1 broker: ${prefix}-rf\\.alerts, `));
  const differs = topics('check', '--topic-prefix', prefix, '--partitions', '2', '--retention-hours', '48');
  assert.equal(differs.status, 1);
  assert.match(differs.stdout, new RegExp(`${prefix}\\.file: retention\\.ms=86400000, want 172800000`));
  const meta = await withAdmin(testKafka('topics-check'), (admin) => admin.fetchTopicMetadata({ topics: [topicFor(prefix, 'net'), schemasTopic(prefix)] }));
  const partitions = (topic: string) => meta.topics.find((x) => x.name === topic)!.partitions.length; // any order
  assert.equal(partitions(topicFor(prefix, 'net')), 2);
  assert.equal(partitions(schemasTopic(prefix)), 1);
  assert.equal(topics('create', '--partitions', 'many').status, 2);
});

test('an older consumer reads a newer producer (an added field) through the schemas topic', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('evolve');
  const kafka = testKafka('evolve');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  // The "newer producer": FileEvent plus a field with a default, published like the producer does.
  const registry = createSchemaRegistry();
  const schema = JSON.parse(JSON.stringify(registry.current('file').type.schema()));
  schema.fields.push({ name: 'inode', type: 'long', default: 0 });
  const newer = entryFor(parseSchema(schema));
  const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 100, maxQueued: 1000, compression: 'None' });
  await p.connect();
  const m = schemaMessage(newer);
  p.offer(schemasTopic(prefix), { key: m.key, value: m.value });
  const value = Buffer.concat([newer.header, newer.type.toBuffer({ ...fileEvent, path: '/from/the/future', inode: 42n })]);
  p.offer(topicFor(prefix, 'file'), { key: 'h', value });
  await p.flush(30000);
  await p.disconnect();

  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning']);
  t.after(() => tail.stop('SIGKILL'));
  await tail.waitForLine(/Path: "\/from\/the\/future"$/, 30000);
  assert.equal(await tail.stop('SIGINT'), 0);
  assert.doesNotMatch(tail.stderr(), /malformed/);
});
