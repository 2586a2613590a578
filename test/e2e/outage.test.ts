/**
 * Delivery through broker outages, on the real kernel and a real broker that these tests stop and
 * start: the one EBPF_AUDIT_BROKERS points at, driven by deploy/kafka/local.sh (CI: the suite's
 * own broker on 9092; a developer: a broker of their own, see test/helpers/local-broker.ts).
 * Events are counted in Kafka by run-specific file names (failed opens of paths that do not exist).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { topicFor } from '../../common/topics';
import { needsBroker, needsRoot, PRODUCER_CLI, BROKERS, uniquePrefix } from '../helpers/env';
import { localBroker } from '../helpers/local-broker';
import { countMarkers } from '../helpers/markers';
import { start, type Running } from '../helpers/proc';

const broker = localBroker();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function needsLocalBroker(t: TestContext): boolean {
  const why = broker.unusable();
  if (!why) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true: the outage tests need a broker they can stop and start: ${why}`);
  t.skip(why);
  return true;
}

function startProducer(prefix: string, spool: string, dir: string): Running {
  return start(process.execPath, [PRODUCER_CLI, '--brokers', BROKERS, '--topic-prefix', prefix, '--spool-dir', spool, '--include-path', `${dir}/`, '--stats-interval', '2']);
}

/** Temporary directories of one test, removed after it. */
function tmpDir(t: TestContext, name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), name));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A failed open of `dir`/`name`: one marked event. */
function openMissing(dir: string, name: string): void {
  try {
    fs.closeSync(fs.openSync(path.join(dir, name), 'r'));
  } catch {
    // ENOENT is the point
  }
}

/** The producer's log records (JSON on a pipe), those from `sinceMs` on. */
const logLines = (p: Running, sinceMs = 0): { level: number; msg: string; time: string; component?: string; failedAttempts?: number }[] =>
  p
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((l) => Date.parse(l.time) >= sinceMs);

test('a 20 s broker outage during a steady stream loses nothing', { timeout: 300000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t)) || needsLocalBroker(t)) return;
  t.after(() => broker.start()); // whatever happens, leave the broker running
  const prefix = uniquePrefix('outage');
  const dir = tmpDir(t, 'ea-outage-');
  const spool = tmpDir(t, 'ea-spool-');
  const producer = startProducer(prefix, spool, dir);
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');

  // About 40 s of steady opens, 1 every 20 ms, each of its own path.
  const N = 1500;
  const loop = spawn('bash', ['-c', `for i in $(seq 1 ${N}); do cat ${dir}/m-$i 2>/dev/null; sleep 0.02; done`], { stdio: 'ignore' });
  const loopDone = new Promise<void>((r) => loop.on('exit', () => r()));
  await sleep(3000);
  broker.stop();
  const stoppedAt = Date.now();
  await sleep(22000);
  await producer.waitForLine(/spooling to disk/, 60000, 'stderr');
  broker.start();
  const outage = (Date.now() - stoppedAt) / 1000;
  assert.ok(outage >= 20, `outage lasted ${outage} s`);
  await loopDone;

  const seen = await countMarkers([topicFor(prefix, 'file')], new RegExp(`${dir}/m-\\d+`, 'g'), (c) => c.size >= N, 120000);
  assert.equal(seen.size, N, 'some events never reached Kafka');
  assert.equal(await producer.stop('SIGINT'), 0);
  const stats = JSON.parse(
    producer
      .stderr()
      .split('\n')
      .find((l) => l.includes('"final stats"'))!,
  ).stats;
  assert.equal(stats.lost, 0);
  assert.ok(stats.publisher.spooled > 0, 'nothing went through the spool');
  assert.match(producer.stderr(), /spool drained: back to sending from memory/);
  assert.deepEqual(
    logLines(producer).filter((l) => l.level >= 50),
    [],
    'an outage is not an error',
  );
});

interface Subject {
  name: string;
  prefix: string;
  dir: string;
  spool: string;
  producer: Running;
  /** Marked events this subject's producers saw (by file name). */
  marked: number;
}

test(
  'kill -9 in the first second of an outage, after 5 s, after 30 s and as the broker comes back: the restarted producer delivers every marked event',
  { timeout: 360000 },
  async (t) => {
    if (needsRoot(t) || (await needsBroker(t)) || needsLocalBroker(t)) return;
    t.after(() => broker.start());
    // One producer per moment, all through one broker stop/start; each marks events of its own directory.
    const subjects: Subject[] = ['first-second', 'after-5s', 'after-30s', 'broker-back'].map((name) => {
      const prefix = uniquePrefix(`kill9-${name}`);
      const dir = tmpDir(t, 'ea-kill9-');
      const spool = tmpDir(t, 'ea-spool-');
      return { name, prefix, dir, spool, producer: startProducer(prefix, spool, dir), marked: 0 };
    });
    const running: Running[] = subjects.map((s) => s.producer);
    t.after(() => Promise.all(running.map((p) => p.stop('SIGKILL'))));
    for (const s of subjects) await s.producer.waitForLine(/"msg":"capturing"/, 120000, 'stderr');
    // Healthy first: every producer has delivered an event, so each is sending from memory.
    for (const s of subjects) openMissing(s.dir, 'warm');
    const warm = await countMarkers(
      subjects.map((s) => topicFor(s.prefix, 'file')),
      /\/ea-kill9-\w+\/warm/g,
      (c) => c.size === subjects.length,
      60000,
    );
    assert.equal(warm.size, subjects.length, 'a producer never delivered its first event');

    const mark = (s: Subject, n: number): void => {
      for (let i = 0; i < n; i++) openMissing(s.dir, `k-${s.marked++}`);
    };
    /** SIGKILL, then a new producer on the same spool (while the broker is still away, but the last). */
    const killAndRestart = async (s: Subject): Promise<void> => {
      s.producer.child.kill('SIGKILL');
      await s.producer.exited();
      s.producer = startProducer(s.prefix, s.spool, s.dir);
      running.push(s.producer);
    };
    const [first, five, thirty, back] = subjects;

    const stopping = Date.now(); // the broker refuses requests while it shuts down
    broker.stop();
    const t0 = Date.now();
    for (const s of subjects) mark(s, 300);
    const at = async (seconds: number): Promise<void> => void (await sleep(Math.max(0, t0 + seconds * 1000 - Date.now())));

    await at(1);
    await killAndRestart(first);
    // The restarted producer captures from its first second, though Kafka is away.
    await first.producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
    mark(first, 100);
    await at(5);
    await killAndRestart(five);
    mark(back, 300); // more, while its producer is spooling
    await at(30);
    await killAndRestart(thirty);
    assert.deepEqual(
      logLines(back.producer).filter((l) => l.level >= 50),
      [],
      '30 s of outage logged no error',
    );
    const summaries = logLines(back.producer, stopping).filter((l) => l.component === 'publisher' && l.level >= 40);
    assert.equal(summaries.filter((l) => /spooling to disk/.test(l.msg)).length, 1, 'the outage is announced once');
    const lastSummary = summaries.filter((l) => /Kafka still unavailable/.test(l.msg)).pop();
    assert.ok(lastSummary && lastSummary.failedAttempts! > summaries.length, `summarised, not one line per failed attempt: ${JSON.stringify(summaries)}`);
    assert.deepEqual(
      logLines(back.producer, t0).filter((l) => /spool drained/.test(l.msg)),
      [],
      'not "drained" while Kafka is away',
    );

    broker.start();
    await killAndRestart(back);

    const seen = await countMarkers(
      subjects.map((s) => topicFor(s.prefix, 'file')),
      /\/ea-kill9-\w+\/k-\d+/g,
      (c) => c.size >= subjects.reduce((n, s) => n + s.marked, 0),
      180000,
    );
    for (const s of subjects) {
      const mine = [...seen.keys()].filter((k) => k.startsWith(`/${path.basename(s.dir)}/`)).length;
      assert.equal(mine, s.marked, `kill -9 ${s.name}: ${mine} of ${s.marked} marked events reached Kafka`);
    }
    for (const s of subjects) {
      assert.equal(await s.producer.stop('SIGINT'), 0);
      const final = JSON.parse(
        s.producer
          .stderr()
          .split('\n')
          .find((l) => l.includes('"final stats"'))!,
      );
      assert.equal(final.stats.lost, 0, `${s.name}: events lost`);
    }
  },
);

test('started while Kafka is unreachable: captures at once, SIGINT does not wait for Kafka, and the next start delivers the spool', { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('unreachable');
  const dir = tmpDir(t, 'ea-unreach-');
  const spool = tmpDir(t, 'ea-spool-');
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r)); // nothing listens there now
  // A shutdown timeout longer than stop()'s own (20 s, then SIGKILL): waiting for Kafka would fail this test.
  const away = start(process.execPath, [
    PRODUCER_CLI,
    '--brokers',
    `127.0.0.1:${port}`,
    '--topic-prefix',
    prefix,
    '--spool-dir',
    spool,
    '--include-path',
    `${dir}/`,
    '--shutdown-timeout',
    '120',
  ]);
  t.after(() => away.stop('SIGKILL'));
  await away.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  for (let i = 0; i < 200; i++) openMissing(dir, `u-${i}`);
  await away.waitForLine(/spooling to disk until Kafka takes messages again/, 60000, 'stderr');
  assert.equal(await away.stop('SIGINT'), 0);
  assert.match(away.stderr(), /Kafka unavailable at shutdown: undelivered messages stay in the spool/);
  assert.doesNotMatch(away.stderr(), /shutdown timeout|spool drained/);

  const next = startProducer(prefix, spool, dir);
  t.after(() => next.stop('SIGKILL'));
  const seen = await countMarkers([topicFor(prefix, 'file')], new RegExp(`${dir}/u-\\d+`, 'g'), (c) => c.size >= 200, 120000);
  assert.equal(seen.size, 200, 'events captured while Kafka was unreachable never reached it');
  assert.equal(await next.stop('SIGINT'), 0);
});
