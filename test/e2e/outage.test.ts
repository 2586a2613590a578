/**
 * Delivery through broker outages, on the real kernel and the real local broker: the broker is
 * stopped for more than 20 s during a steady stream, and every event still reaches Kafka; a
 * producer killed with SIGKILL during an outage leaves a spool that the next one delivers.
 * Events are counted by run-specific file names (failed opens of paths that do not exist).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createSubscriber } from '../../consumer/core/input/subscriber';
import { createSchemaRegistry } from '../../schemas/registry';
import { needsBroker, needsRoot, PRODUCER_CLI, BROKERS, ROOT_DIR, uniquePrefix } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';
import { start } from '../helpers/proc';

const LOCAL = path.join(ROOT_DIR, 'deploy/kafka/local.sh');
const broker = (cmd: 'start' | 'stop'): void => void execFileSync(LOCAL, [cmd], { stdio: 'ignore', timeout: 180000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function needsLocalBroker(t: TestContext): boolean {
  if (BROKERS === '127.0.0.1:9092') return false;
  if (process.env.CI === 'true') throw new Error('CI=true: the outage tests need the local broker (deploy/kafka/local.sh)');
  t.skip(`EBPF_AUDIT_BROKERS=${BROKERS}: the outage tests stop and start the local broker only`);
  return true;
}

/** Distinct marker paths under `dir` that reached Kafka, waiting until `want` or the timeout. */
async function markersInKafka(prefix: string, dir: string, want: number, timeoutMs: number): Promise<number> {
  const seen = new Set<string>();
  const ctl = new AbortController();
  const sub = createSubscriber({
    kafka: testKafka('outage-count'), logger: quietLogger, registry: createSchemaRegistry(), topicPrefix: prefix, kinds: ['file'], fromBeginning: true,
    onEvent: (ev) => {
      if (ev.kind === 'file' && ev.event.path.startsWith(dir)) seen.add(ev.event.path);
    },
  });
  await sub.start(ctl.signal);
  const deadline = Date.now() + timeoutMs;
  while (seen.size < want && Date.now() < deadline) await sleep(500);
  await sub.stop();
  return seen.size;
}

function startProducer(prefix: string, spool: string, dir: string) {
  return start(process.execPath, [PRODUCER_CLI, '--brokers', BROKERS, '--topic-prefix', prefix, '--spool-dir', spool, '--include-path', `${dir}/`, '--stats-interval', '2']);
}

test('a 20 s broker outage during a steady stream loses nothing', { timeout: 300000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t)) || needsLocalBroker(t)) return;
  t.after(() => broker('start')); // whatever happens, leave the broker running
  const prefix = uniquePrefix('outage');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-outage-'));
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-spool-'));
  const producer = startProducer(prefix, spool, dir);
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');

  // About 40 s of steady opens, 1 every 20 ms, each of its own path.
  const N = 1500;
  const loop = spawn('bash', ['-c', `for i in $(seq 1 ${N}); do cat ${dir}/m-$i 2>/dev/null; sleep 0.02; done`], { stdio: 'ignore' });
  const loopDone = new Promise<void>((r) => loop.on('exit', () => r()));
  await sleep(3000);
  broker('stop');
  const stoppedAt = Date.now();
  await sleep(22000);
  await producer.waitForLine(/spooling to disk/, 60000, 'stderr');
  broker('start');
  const outage = (Date.now() - stoppedAt) / 1000;
  assert.ok(outage >= 20, `outage lasted ${outage} s`);
  await loopDone;

  assert.equal(await markersInKafka(prefix, dir, N, 120000), N, 'some events never reached Kafka');
  assert.equal(await producer.stop('SIGINT'), 0);
  const stats = JSON.parse(producer.stderr().split('\n').find((l) => l.includes('"final stats"'))!).stats;
  assert.equal(stats.lost, 0);
  assert.ok(stats.publisher.spooled > 0, 'nothing went through the spool');
  assert.match(producer.stderr(), /spool drained: back to sending from memory/);
});

test('SIGKILL during an outage: the next producer delivers the spool', { timeout: 300000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t)) || needsLocalBroker(t)) return;
  t.after(() => broker('start'));
  const prefix = uniquePrefix('kill9');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-kill9-'));
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-spool-'));
  const first = startProducer(prefix, spool, dir);
  t.after(() => first.stop('SIGKILL'));
  await first.waitForLine(/"msg":"capturing"/, 60000, 'stderr');

  broker('stop');
  const N = 500;
  execFileSync('bash', ['-c', `for i in $(seq 1 ${N}); do cat ${dir}/k-$i 2>/dev/null; done; true`]);
  await first.waitForLine(/spooling to disk/, 90000, 'stderr');
  await sleep(1500); // past the spool's 50 ms write-behind
  first.child.kill('SIGKILL');
  await first.exited();
  assert.ok(fs.readdirSync(spool).some((f) => f.endsWith('.seg') && fs.statSync(path.join(spool, f)).size > 0), 'nothing was spooled');

  const second = startProducer(prefix, spool, dir); // broker still down
  t.after(() => second.stop('SIGKILL'));
  await second.waitForLine(/spool holds undelivered messages/, 60000, 'stderr');
  broker('start');
  assert.equal(await markersInKafka(prefix, dir, N, 120000), N, 'spooled events were not delivered after the restart');
  assert.equal(await second.stop('SIGINT'), 0);
});
