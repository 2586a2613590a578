/**
 * The producer with --schema-registry, on the real kernel, broker and registry (one of the
 * test's own, since it is stopped): events are framed 00 + id, tail prints them, Confluent's own
 * Python client decodes them through the registry, and once the registry is stopped the producer
 * keeps delivering with the ids it cached (and tail keeps reading with its own).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { statsTopic, topicFor } from '../../common/topics';
import { BROKERS, CONSUMER_CLI, missing, needsBroker, needsRoot, producerArgs, ROOT_DIR, uniquePrefix } from '../helpers/env';
import { readTopic } from '../helpers/kafka';
import { start } from '../helpers/proc';
import { registryClient, startOwnRegistry } from '../helpers/schema-registry';

const VENV_PYTHON = path.join(process.env.EBPF_AUDIT_PY_VENV ?? '/var/lib/ebpf-audit/venv-confluent', 'bin/python');
const READER = path.join(ROOT_DIR, 'test/python/confluent_reader.py');

test("producer with --schema-registry: tail and Confluent's Python deserializer read it; a stopped registry does not stop delivery", { timeout: 300000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  if (spawnSync(VENV_PYTHON, ['-c', 'import confluent_kafka.schema_registry.avro'], { stdio: 'ignore' }).status !== 0) {
    missing(t, `no Confluent Python client in ${VENV_PYTHON} (run test/python/setup-venv.sh)`);
    return;
  }
  const reg = await startOwnRegistry();
  t.after(() => reg.remove());
  const prefix = uniquePrefix('sr-e2e');
  // Files made before the producer starts: the only file events captured are the cats below.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-sr-e2e-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = [1, 2, 3].map((i) => path.join(dir, `marker-${i}-${process.pid}.txt`));
  for (const f of files) fs.writeFileSync(f, 'x\n');

  const args = producerArgs(prefix, ['--include-path', `${dir}/`, '--stats-interval', '2', '--schema-registry', reg.url]);
  const producer = start(process.execPath, args);
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 90000, 'stderr');
  const registered = producer
    .stderr()
    .split('\n')
    .filter((l) => l.includes('writer schema registered'))
    .map((l) => JSON.parse(l) as { kind: string; subject: string; id: number });
  assert.deepEqual(
    registered.map((r) => [r.kind, r.subject]),
    [
      ['file', `${topicFor(prefix, 'file')}-value`],
      ['net', `${topicFor(prefix, 'net')}-value`],
      ['process', `${topicFor(prefix, 'process')}-value`],
      ['stats', `${statsTopic(prefix)}-value`],
    ],
  );
  const fileId = registered[0].id;

  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--kind', 'file', '--from-beginning', '--schema-registry', reg.url]);
  t.after(() => tail.stop('SIGKILL'));
  const cat1 = spawnSync('cat', [files[0]]);
  await tail.waitForLine(new RegExp(`PID:${cat1.pid} .*Comm:"cat" Path: "${files[0]}"$`), 60000);

  // An independent reader: Confluent's client fetches the writer schema by the message's id.
  const py = spawnSync(VENV_PYTHON, [READER, '--brokers', BROKERS, '--topic', topicFor(prefix, 'file'), '--registry', reg.url, '--count', '1', '--timeout', '60'], {
    encoding: 'utf8',
    timeout: 90000,
  });
  assert.equal(py.status, 0, py.stderr);
  const rec = JSON.parse(py.stdout.trim().split('\n')[0]) as { id: number; value: { path: string; op: string; process: { pid: number; comm: string } } };
  assert.equal(rec.id, fileId);
  assert.deepEqual([rec.value.path, rec.value.process.pid, rec.value.process.comm], [files[0], cat1.pid, 'cat']);
  // The registry holds the same schema under the id (the Python client read it from there).
  assert.match(await registryClient(reg.url).schemaById(fileId), /"name":"io\.ebpfaudit\.FileEvent"/);

  // Registry gone: the producer frames with its cached ids, tail decodes with its cached ones.
  await reg.stop();
  const cat2 = spawnSync('cat', [files[1]]);
  await tail.waitForLine(new RegExp(`PID:${cat2.pid} .*Comm:"cat" Path: "${files[1]}"$`), 60000);
  assert.equal(await producer.stop('SIGINT'), 0);
  assert.doesNotMatch(producer.stderr(), /"level":(50|60)/, 'no error logged by the producer');

  // A restart while the registry is still away: the ids kept beside the spool frame at once, and
  // the producer captures from its first second instead of waiting for the registry.
  const again = start(process.execPath, args);
  t.after(() => again.stop('SIGKILL'));
  await again.waitForLine(/"msg":"capturing"/, 90000, 'stderr');
  assert.match(again.stderr(), /schema ids from the last run/);
  const cat3 = spawnSync('cat', [files[2]]);
  await tail.waitForLine(new RegExp(`PID:${cat3.pid} .*Comm:"cat" Path: "${files[2]}"$`), 60000);
  assert.equal(await again.stop('SIGINT'), 0);
  // Its stats are in the Confluent framing too.
  const stats = await readTopic(statsTopic(prefix), (vs) => vs.length >= 2, 30000);
  assert.ok(
    stats.every((v) => v[0] === 0 && v.readUInt32BE(1) === registered[3].id),
    'stats messages framed 00 + the stats id',
  );
  assert.equal(await tail.stop('SIGINT'), 0);
  assert.doesNotMatch(tail.stderr(), /malformed/);
});
