/**
 * A schema registry that goes away mid-stream, on a registry of the test's own serving https with
 * a CA made here (so --schema-registry-ca is exercised too): tail keeps printing what it has ids
 * for, waits at a message whose id it must fetch (holding the messages behind it, skipping
 * nothing), and resumes when the registry is back.
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
import { createSchemaRegistry, SCHEMA_DIR } from '../../schemas/registry';
import { registerWriters } from '../../schemas/register-writers';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { start } from '../helpers/proc';
import { registryClient, startOwnRegistry } from '../helpers/schema-registry';
import { fileEvent } from '../helpers/samples';

test('registry stopped mid-stream: known ids still decode, an unknown id waits (nothing skipped) and resumes', { timeout: 300000 }, async (t) => {
  if (await needsBroker(t)) return;
  const reg = await startOwnRegistry({ tls: true });
  t.after(() => reg.remove());
  const client = registryClient(reg.url, fs.readFileSync(reg.ca!, 'utf8'));
  const prefix = uniquePrefix('sr-outage');
  const topics = { file: topicFor(prefix, 'file') };
  const v1 = createSchemaRegistry();
  assert.equal(await registerWriters({ client, registry: v1, topics, strategy: 'topic', logger: quietLogger }), true);
  // A second writer version, registered while the registry is up; tail has not met its id yet.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-schemas-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.avsc'))) fs.copyFileSync(path.join(SCHEMA_DIR, f), path.join(dir, f));
  const fe = JSON.parse(fs.readFileSync(path.join(dir, 'file_event.avsc'), 'utf8')) as { fields: unknown[] };
  fs.writeFileSync(path.join(dir, 'file_event.avsc'), JSON.stringify({ ...fe, fields: [...fe.fields, { name: 'label', type: 'string', default: '' }] }));
  const v2 = createSchemaRegistry({ dir });
  assert.equal(await registerWriters({ client, registry: v2, topics, strategy: 'topic', logger: quietLogger }), true);

  const kafka = testKafka('sr-outage');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const pub = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 100, maxQueued: 1000, compression: 'None' });
  await pub.connect();
  t.after(() => pub.disconnect());
  const send = async (value: Buffer): Promise<void> => {
    pub.offer(topics.file, { key: 'h', value }); // one key: one partition, so order is defined
    await pub.flush(30000);
  };

  // Without the CA the https registry is refused at start: a configuration error, exit 2.
  const noCa = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--schema-registry', reg.url], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(noCa.status, 2, noCa.stderr);
  assert.match(noCa.stderr, /--schema-registry: GET .*\/config: .*(certificate|CERT)/i);

  await send(v1.encode('file', { ...fileEvent, path: '/outage/1' }));
  const tail = start(process.execPath, [
    CONSUMER_CLI,
    'tail',
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--kind',
    'file',
    '--from-beginning',
    '--log-level',
    'info',
    '--schema-registry',
    reg.url,
    '--schema-registry-ca',
    reg.ca!,
  ]);
  t.after(() => tail.stop('SIGKILL'));
  await tail.waitForLine(/Path: "\/outage\/1"$/, 60000);

  await reg.stop();
  await send(v1.encode('file', { ...fileEvent, path: '/outage/2' })); // id known to tail: printed
  await send(v2.encode('file', { ...fileEvent, path: '/outage/3', label: 'v2' })); // id unknown: waits
  await send(v1.encode('file', { ...fileEvent, path: '/outage/4' })); // behind it in the partition
  await tail.waitForLine(/Path: "\/outage\/2"$/, 60000);
  await tail.waitForLine(/schema registry unreachable; waiting/, 60000, 'stderr');
  assert.doesNotMatch(tail.stdout(), /outage\/[34]/);
  assert.doesNotMatch(tail.stderr(), /malformed/);

  await reg.start();
  await tail.waitForLine(/Path: "\/outage\/4"$/, 120000);
  const paths = [...tail.stdout().matchAll(/Path: "([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(paths, ['/outage/1', '/outage/2', '/outage/3', '/outage/4']);
  assert.match(tail.stderr(), /schema registry answers again/);
  assert.doesNotMatch(tail.stderr(), /malformed/);
  assert.equal(await tail.stop('SIGINT'), 0);
});
