/** The tail CLI against the real broker: documented lines, a closed pipe, Ctrl+C. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { topicFor } from '../../common/topics';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { formatJson } from '../../consumer/core/output/json';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent } from '../../schemas/types';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { messagesInTopic, quietLogger, readTopic, testKafka } from '../helpers/kafka';
import { start } from '../helpers/proc';
import { fileEvent, netEvent } from '../helpers/samples';

/**
 * Messages of `kind` in the topic that decode, and those that do not: what tail must print (once
 * each) and count as malformed. Counted from the topic itself, since an at-least-once retry of the
 * preload may have written a batch twice (kafkajs retries a whole request when one partition
 * answers NOT_LEADER, as a just-created topic's may).
 */
async function messagesIn(prefix: string, kind: 'file' | 'net'): Promise<{ events: number; malformed: number }> {
  const topic = topicFor(prefix, kind);
  const total = await messagesInTopic(topic);
  const registry = createSchemaRegistry();
  const values = await readTopic(topic, (vs) => vs.length >= total, 30000);
  const events = values.filter((v) => {
    try {
      registry.decode(kind, v);
      return true;
    } catch {
      return false;
    }
  }).length;
  return { events, malformed: values.length - events };
}

/** Events of `kind` in the topic that decode (see messagesIn). */
async function eventsIn(prefix: string, kind: 'file' | 'net'): Promise<number> {
  return (await messagesIn(prefix, kind)).events;
}

/** Wait until `count(stdout)` reaches `want` (or the timeout), then a moment more for extras. */
async function settle(stdout: () => string, count: (out: string) => number, want: number): Promise<void> {
  for (let i = 0; i < 150 && count(stdout()) < want; i++) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 1000)); // anything that should not come has had time to
}

async function preload(prefix: string, n: number): Promise<void> {
  const kafka = testKafka('tail-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const registry = createSchemaRegistry();
  const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 1000, maxQueued: 100000, compression: 'None' });
  await p.connect();
  for (let i = 0; i < n; i++) {
    p.offer(topicFor(prefix, 'file'), { key: 'h', value: registry.encode('file', { ...fileEvent, path: `/data/${i}` }) });
  }
  p.offer(topicFor(prefix, 'net'), { key: 'h', value: registry.encode('net', { ...netEvent, dst_ip: '::1', family: 'inet6' }) });
  p.offer(topicFor(prefix, 'file'), { key: 'h', value: Buffer.from('garbage') });
  await p.flush(30000);
  await p.disconnect();
}

test('tail --from-beginning prints the documented lines and exits 0 on SIGINT', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('tail');
  await preload(prefix, 3);
  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning']);
  await tail.waitForLine(/DST_IP:::1$/, 30000);
  await tail.waitForLine(/Path: "\/data\/2"$/, 30000);
  const wantFile = await eventsIn(prefix, 'file');
  const pathLines = (out: string) => out.split('\n').filter((l) => l.includes('Path:'));
  await settle(tail.stdout, (out) => pathLines(out).length, wantFile);
  const lines = tail.stdout().trim().split('\n');
  const fileLines = pathLines(tail.stdout());
  // Byte-exact lines for every event, one line per file event in the topic.
  assert.deepEqual(
    [...new Set(fileLines)],
    [0, 1, 2].map((i) => `[1764012345.123456789] PID:1234 Exe:"/usr/bin/cat" Comm:"cat" Path: "/data/${i}"`),
  );
  assert.equal(fileLines.length, wantFile);
  assert.ok(lines.includes('[1764012345.000000001] PID:1234 Exe:"/usr/bin/curl" Comm:"curl" DST_IP:::1'));
  assert.equal(await tail.stop('SIGINT'), 0);
  assert.match(tail.stderr(), /malformed message skipped/);
  assert.match(tail.stderr(), new RegExp(`"topic":"${prefix}.file","partition":\\d+,"offset":"\\d+"`));
});

test('tail | head -3 exits cleanly (no crash when the pipe closes)', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('pipe');
  await preload(prefix, 5000);
  const sh = spawn('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${CONSUMER_CLI}" tail --brokers ${BROKERS} --topic-prefix ${prefix} --from-beginning | head -3`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  sh.stdout.on('data', (d) => (out += d));
  sh.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => sh.on('exit', resolve));
  assert.equal(code, 0, `pipeline failed: ${err}`);
  assert.equal(out.trim().split('\n').length, 3);
  assert.doesNotMatch(err, /EPIPE|Error:/);
});

test('tail --output json and ecs with --kind and --comm filters', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('json');
  await preload(prefix, 2);
  const run = async (args: string[], re: RegExp, want: number) => {
    const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', ...args]);
    t.after(() => tail.stop('SIGKILL'));
    await tail.waitForLine(re, 30000);
    await settle(tail.stdout, (out) => out.trim().split('\n').length, want);
    assert.equal(await tail.stop('SIGINT'), 0);
    return tail
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  };
  const wantNet = await eventsIn(prefix, 'net');
  const net = await run(['--output', 'json', '--kind', 'net'], /"dst_ip":"::1"/, wantNet);
  assert.ok(
    net.every((o) => o.kind === 'net'),
    'only net events with --kind net',
  );
  assert.equal(net.length, wantNet);
  assert.equal(net[0].process.comm, 'curl');
  const wantFile = await eventsIn(prefix, 'file');
  const ecs = await run(['--output', 'ecs', '--comm', 'cat'], /"path":"\/data\/1"/, wantFile);
  assert.equal(ecs.length, wantFile, 'one object per file event in the topic');
  assert.deepEqual([...new Set(ecs.map((o) => o.file.path))], ['/data/0', '/data/1']);
  assert.ok(ecs.every((o) => o.event.category[0] === 'file' && o.process.name === 'cat'));
  const bad = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--output', 'xml'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--output must be text, json or ecs/);
});

test(
  'tail --output json, no filter: lines written from the Avro bytes are the decoded lines; a cut message is still counted, logged and skipped',
  { timeout: 90000 },
  async (t) => {
    if (await needsBroker(t)) return;
    const prefix = uniquePrefix('jsonraw');
    const kafka = testKafka('jsonraw-preload');
    await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
    const registry = createSchemaRegistry();
    const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 100, maxQueued: 1000, compression: 'None' });
    await p.connect();
    for (const path of ['/plain', '/caf\u00e9 "quoted" \\ \u009b[31m', '']) p.offer(topicFor(prefix, 'file'), { key: 'h', value: registry.encode('file', { ...fileEvent, path }) });
    const whole = Buffer.from(registry.encode('file', { ...fileEvent, path: '/cut' }));
    // Our header, a body cut short: the transcoder gives up, the decoder reports it.
    p.offer(topicFor(prefix, 'file'), { key: 'h', value: whole.subarray(0, whole.length - 3) });
    p.offer(topicFor(prefix, 'net'), { key: 'h', value: registry.encode('net', netEvent) });
    await p.flush(30000);
    await p.disconnect();
    const expected: string[] = [];
    let malformed = 0;
    for (const kind of ['file', 'net'] as const) {
      const topic = topicFor(prefix, kind);
      const total = await messagesInTopic(topic);
      for (const v of await readTopic(topic, (vs) => vs.length >= total, 30000)) {
        try {
          expected.push(formatJson({ kind, event: registry.decode(kind, v) } as AuditEvent));
        } catch {
          malformed++;
        }
      }
    }
    assert.ok(malformed >= 1, 'the cut message is in the topic');
    const r = spawnSync(
      process.execPath,
      [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'json', '--kind', 'file,net'],
      {
        encoding: 'utf8',
        timeout: 60000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n').sort(), expected.sort());
    assert.ok(r.stdout.includes('"path":"/caf\u00e9 \\"quoted\\" \\\\ \\u009b[31m"'), 'escaped as before');
    const skipped = r.stderr.split('\n').filter((l) => l.includes('malformed message skipped'));
    assert.equal(skipped.length, malformed);
    assert.match(skipped[0], new RegExp(`"topic":"${prefix}.file","partition":\\d+,"offset":"\\d+".*truncated buffer`));
  },
);

test('tail --since starts at a time: older events are not printed', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('since');
  const kafka = testKafka('since-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const registry = createSchemaRegistry();
  const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 100, maxQueued: 1000, compression: 'None' });
  await p.connect();
  const hour = 3_600_000;
  const now = Date.now();
  for (const [name, ms] of [
    ['old', now - 3 * hour],
    ['recent', now - 10 * 60_000],
  ] as const) {
    const ev = { ...fileEvent, time_ns: BigInt(ms) * 1_000_000n, path: `/${name}` };
    p.offer(topicFor(prefix, 'file'), { key: 'h', value: registry.encode('file', ev), timestamp: String(ms) });
  }
  await p.flush(30000);
  await p.disconnect();
  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--since', '1h']);
  t.after(() => tail.stop('SIGKILL'));
  await tail.waitForLine(/Path: "\/recent"$/, 30000);
  assert.equal(await tail.stop('SIGINT'), 0);
  assert.doesNotMatch(tail.stdout(), /Path: "\/old"/);
  const bad = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--since', 'yesterday'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--since: "yesterday" is neither/);
});

test('on a terminal, tail ends with a one-line summary by kind', { timeout: 90000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('summary');
  await preload(prefix, 2);
  const { events: wantFile, malformed } = await messagesIn(prefix, 'file');
  assert.ok(malformed >= 1, 'the preload wrote its malformed message');
  const wantNet = await eventsIn(prefix, 'net');
  // script(1) gives the tail a pseudo-terminal, as in the quick start.
  const cmd = `"${process.execPath}" "${CONSUMER_CLI}" tail --brokers ${BROKERS} --topic-prefix ${prefix} --from-beginning --until-end --kind file,net`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`tail: ${wantFile + wantNet} events shown \\(file ${wantFile}, net ${wantNet}, process 0\\), ${malformed} malformed\\r?\\n`));
  // Not a terminal: no summary on stderr (scripts read the final log line instead).
  const plain = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', '--until-end'], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(plain.status, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /events shown/);
});
