/**
 * The Confluent framing against the real schema registry (deploy/schema-registry/local.sh) and the
 * real broker: tail reads it and the single-object encoding mixed in one topic; schema evolution
 * under BACKWARD compatibility both ways; an incompatible schema refused at the producer's start;
 * detect's alerts in the Confluent framing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { alertsTopic, topicFor } from '../../common/topics';
import { createSubscriber } from '../../consumer/core/input/subscriber';
import { alertFromAvro } from '../../consumer/detect/alert-format';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { encodeConfluent } from '../../schemas/confluent-wire';
import { createSchemaRegistry, parseSchema, SCHEMA_DIR, type SchemaRegistry } from '../../schemas/registry';
import { registerWriters } from '../../schemas/register-writers';
import type { FileEvent } from '../../schemas/types';
import { BROKERS, CONSUMER_CLI, needsBroker, producerArgs, uniquePrefix } from '../helpers/env';
import { quietLogger, readTopic, testKafka } from '../helpers/kafka';
import { needsRegistry, REGISTRY_URL, registryClient } from '../helpers/schema-registry';
import { fileEvent } from '../helpers/samples';

/** Publish values to a prefix's file topic, one key (one partition, so tail prints them in order). */
async function publish(prefix: string, values: Buffer[]): Promise<void> {
  const kafka = testKafka('registry-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 1000, maxQueued: 10000, compression: 'None' });
  await p.connect();
  for (const value of values) p.offer(topicFor(prefix, 'file'), { key: 'h', value });
  await p.flush(30000);
  await p.disconnect();
}

/** A writer registered for the file topic of `prefix` (what the producer does at start). */
async function registeredWriter(prefix: string, registry = createSchemaRegistry()): Promise<SchemaRegistry> {
  const ok = await registerWriters({ client: registryClient(), registry, topics: { file: topicFor(prefix, 'file') }, strategy: 'topic', logger: quietLogger });
  assert.equal(ok, true);
  return registry;
}

/** tail --from-beginning --until-end over the file topic: exit code, Path values printed, stderr. */
function tailPaths(prefix: string, extra: string[]): { status: number | null; paths: string[]; stderr: string } {
  const r = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--kind', 'file', '--from-beginning', '--until-end', ...extra], {
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, paths: [...r.stdout.matchAll(/Path: "([^"]*)"/g)].map((m) => m[1]), stderr: r.stderr };
}

const scratch: string[] = [];
after(() => scratch.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A copy of schemas/ whose FileEvent is changed by `edit`: another version of the software. */
function schemaVersion(edit: (fields: unknown[]) => unknown[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-schemas-'));
  scratch.push(dir);
  for (const f of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.avsc'))) fs.copyFileSync(path.join(SCHEMA_DIR, f), path.join(dir, f));
  const file = path.join(dir, 'file_event.avsc');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { fields: unknown[] };
  fs.writeFileSync(file, JSON.stringify({ ...schema, fields: edit(schema.fields) }));
  return dir;
}

const ev = (p: string, extra: Record<string, unknown> = {}): FileEvent & Record<string, unknown> => ({ ...fileEvent, path: p, ...extra });

test('registry framing and single-object in one topic: tail reads both; an unknown id is malformed; no --schema-registry names it', { timeout: 120000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsRegistry(t))) return;
  const prefix = uniquePrefix('sr-mixed');
  const framed = await registeredWriter(prefix);
  const single = createSchemaRegistry();
  const id = framed.writerId('file')!;
  assert.ok(Number.isInteger(id));
  const unknown = encodeConfluent(2147483000, single.encode('file', ev('/mixed/x')).subarray(10));
  await publish(prefix, [
    single.encode('file', ev('/mixed/0')),
    framed.encode('file', ev('/mixed/1')),
    single.encode('file', ev('/mixed/2')),
    unknown,
    framed.encode('file', ev('/mixed/3')),
  ]);
  assert.deepEqual([...framed.encode('file', ev('/x')).subarray(0, 5)], [0, ...Buffer.from([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255])]);

  const withRegistry = tailPaths(prefix, ['--schema-registry', REGISTRY_URL]);
  assert.equal(withRegistry.status, 0, withRegistry.stderr);
  assert.deepEqual(withRegistry.paths, ['/mixed/0', '/mixed/1', '/mixed/2', '/mixed/3']);
  assert.match(withRegistry.stderr, /"offset":"3".*schema registry id 2147483000: .*HTTP 404.*malformed message skipped/);

  const without = tailPaths(prefix, []);
  assert.equal(without.status, 0, without.stderr);
  assert.deepEqual(without.paths, ['/mixed/0', '/mixed/2']);
  assert.match(without.stderr, new RegExp(`framed for a schema registry \\(schema id ${id}\\), and no --schema-registry was given`));
});

test('evolution under BACKWARD: a newer writer and an older reader, an older writer and a newer reader', { timeout: 120000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsRegistry(t))) return;
  const prefix = uniquePrefix('sr-evolve');
  const subject = `${topicFor(prefix, 'file')}-value`;
  const client = registryClient();
  const v1 = await registeredWriter(prefix);
  await client.setCompatibility('BACKWARD', subject);
  assert.equal(await client.compatibility(subject), 'BACKWARD');
  // Version 2 adds a field with a default: BACKWARD-compatible, so the registry takes it.
  const v2dir = schemaVersion((fields) => [...fields, { name: 'label', type: 'string', default: 'none', doc: 'added in v2' }]);
  const v2 = await registeredWriter(prefix, createSchemaRegistry({ dir: v2dir }));
  assert.notEqual(v2.writerId('file'), v1.writerId('file'));
  await publish(prefix, [v1.encode('file', ev('/evolve/v1')), v2.encode('file', ev('/evolve/v2', { label: 'from-v2' }))]);

  // The older reader (this build's tail) reads both; v2's extra field is dropped.
  const old = tailPaths(prefix, ['--schema-registry', REGISTRY_URL]);
  assert.equal(old.status, 0, old.stderr);
  assert.deepEqual(old.paths, ['/evolve/v1', '/evolve/v2']);

  // The newer reader (v2's schemas) reads both; v1's message gets the default.
  const got: Record<string, unknown>[] = [];
  const ctl = new AbortController();
  const sub = createSubscriber({
    kafka: testKafka('sr-new-reader'),
    logger: quietLogger,
    registry: createSchemaRegistry({ dir: v2dir }),
    registryClient: client,
    topicPrefix: prefix,
    kinds: ['file'],
    fromBeginning: true,
    onEvent: (rec) => void got.push(rec.event as unknown as Record<string, unknown>),
    onEnd: () => ctl.abort(),
  });
  await sub.start(ctl.signal);
  await new Promise<void>((resolve) => (ctl.signal.aborted ? resolve() : ctl.signal.addEventListener('abort', () => resolve())));
  await sub.stop();
  assert.deepEqual(
    got.map((e) => [e.path, e.label]),
    [
      ['/evolve/v1', 'none'],
      ['/evolve/v2', 'from-v2'],
    ],
  );
  assert.equal(sub.stats().malformed, 0);

  // A field without a default is not BACKWARD-compatible: refused, with the registry's answer.
  const v3 = createSchemaRegistry({ dir: schemaVersion((fields) => [...fields, { name: 'required', type: 'string' }]) });
  await assert.rejects(
    registeredWriter(prefix, v3),
    (err: Error) => err.name === 'ConfigError' && err.message.includes(`subject "${subject}"`) && /HTTP 409: Incompatible/.test(err.message),
  );
});

test("the producer refuses to start with a schema the subject finds incompatible: exit 2 with the registry's answer", { timeout: 60000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsRegistry(t))) return;
  const prefix = uniquePrefix('sr-refused');
  const subject = `${topicFor(prefix, 'file')}-value`;
  // The subject's history: an older FileEvent without `truncated`, which this build's schema lacks a default for.
  await registeredWriter(prefix, createSchemaRegistry({ dir: schemaVersion((fields) => fields.filter((f) => (f as { name: string }).name !== 'truncated')) }));
  await registryClient().setCompatibility('BACKWARD', subject);
  const r = spawnSync(process.execPath, [...producerArgs(prefix), '--schema-registry', REGISTRY_URL], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `schema registry refused the file schema \\(io.ebpfaudit.FileEvent\\) under subject "${subject.replace(/\./g, '\\.')}": POST .*/subjects/.*/versions: HTTP 409: Incompatible`,
    ),
  );
});

test('detect --schema-registry reads framed events and publishes its alerts framed, under <prefix>.alerts-value', { timeout: 120000 }, async (t) => {
  if ((await needsBroker(t)) || (await needsRegistry(t))) return;
  const prefix = uniquePrefix('sr-detect');
  const framed = await registeredWriter(prefix);
  await publish(prefix, [framed.encode('file', ev('/srv/harmless')), framed.encode('file', { ...ev('/etc/shadow'), process: { ...fileEvent.process, pid: 4343 } })]);
  const r = spawnSync(
    process.execPath,
    [CONSUMER_CLI, 'detect', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'json', '--schema-registry', REGISTRY_URL],
    { encoding: 'utf8', timeout: 90000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const printed = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { rule_id: string; events: { path: string }[] });
  assert.deepEqual([...new Set(printed.map((a) => `${a.rule_id} ${a.events[0].path}`))], ['cred-file-read /etc/shadow']);

  const values = await readTopic(alertsTopic(prefix), (vs) => vs.length >= printed.length, 30000);
  const id = values[0].readUInt32BE(1);
  assert.ok(
    values.every((v) => v[0] === 0 && v.readUInt32BE(1) === id),
    'every alert framed 00 + one id',
  );
  const schema = await registryClient().schemaById(id);
  assert.match(schema, /"name":"io\.ebpfaudit\.Alert"/);
  // Registering the same schema under the subject answers the same id: it is registered there.
  assert.equal(await registryClient().register(`${alertsTopic(prefix)}-value`, schema), id);
  const reader = createSchemaRegistry();
  reader.addRegistered(id, parseSchema(schema));
  const alert = alertFromAvro(reader.decode('alert', values[0]) as Record<string, unknown>);
  assert.equal(alert.rule_id, 'cred-file-read');
  assert.match(alert.message, /^Credential file read \(file=\/etc\/shadow proc=cat /);
});
