/**
 * Consumer benchmark: preload a topic set with N events shaped like a busy fleet (16 hosts; file
 * opens, connects, execs; a few that the default rules flag), then read them all with
 *   tail --from-beginning --until-end > /dev/null           (text lines; then --output json, ecs)
 *   detect --from-beginning --until-end --output none       (default pack, alerts published)
 * and, for scale, in this process: the rule engine alone on the decoded events, and the read path
 * every consumer shares, without the CLIs' work: the messages fetched and handed on undecoded (the
 * floor under every consumer here), then fetched and decoded.
 * Rates are events per wall second and per CPU second (per core) of the CLI, from its own final
 * log line, and whether the consumer aims of issue #12 are met. One run on this machine; the broker
 * runs here too.
 *   node dist/test/bench/consume.js [events=1000000] [prefix of topics an earlier run preloaded] [--baseline CHECKOUT]
 * With --baseline (another checkout, built): after the passes above, `tail --output json` and
 * `detect` of that checkout and of this one run in turns on the same topics, three pairs each, and
 * the ratio of their CPU per event is printed. This VM's speed swings by two to three times from
 * one day to the next (and within an hour), which moves every absolute figure; a ratio taken in
 * turns holds. Meant for builds with the same schemas: a build whose schemas are older reads these
 * events through Avro schema resolution, which costs it more than its own events would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { Message } from 'kafkajs';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { createSubscriber } from '../../consumer/core/input/subscriber';
import { schemasTopic, topicFor } from '../../common/topics';
import { createEngine } from '../../consumer/rules/engine';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { schemaMessage } from '../../schemas/publication';
import { createSchemaRegistry, type SchemaKind } from '../../schemas/registry';
import type { AuditEvent } from '../../schemas/types';
import { makeEvents } from './workload';
import { BROKERS, CONSUMER_CLI } from '../helpers/env';
import { quietLogger, testKafka } from '../helpers/kafka';

const argv = process.argv.slice(2);
const at = argv.indexOf('--baseline');
/** Another checkout (its dist/ built) whose CLIs run in turns with this one's. */
const BASELINE = at >= 0 ? argv.splice(at, 2)[1] : undefined;
const BASELINE_CLI = BASELINE && path.resolve(BASELINE, 'dist/consumer/cli.js');
if (at >= 0 && (!BASELINE_CLI || !fs.existsSync(BASELINE_CLI))) {
  // Checked before the minutes of the passes, not after them.
  console.error(BASELINE_CLI ? `consume.js: --baseline ${BASELINE}: no ${BASELINE_CLI} (build that checkout first)` : 'consume.js: --baseline needs a checkout directory');
  process.exit(2);
}
const N = Number(argv[0] ?? 1_000_000);
/** Topics preloaded by an earlier run (its prefix): read them again instead of loading new ones. */
const REUSE = argv[1];

const registry = createSchemaRegistry();

async function preload(prefix: string, events: AuditEvent[]): Promise<number> {
  const kafka = testKafka('bench-consume');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const producer = kafka.producer();
  await producer.connect();
  const t0 = Date.now();
  for (const kind of ['file', 'net', 'process', 'alert'] as SchemaKind[]) {
    const m = schemaMessage(registry.current(kind));
    await producer.send({ topic: schemasTopic(prefix), messages: [m] });
  }
  const BATCH = 5000;
  for (let i = 0; i < events.length; i += BATCH) {
    const byTopic = new Map<string, Message[]>();
    for (const ev of events.slice(i, i + BATCH)) {
      const topic = topicFor(prefix, ev.kind);
      const list = byTopic.get(topic) ?? [];
      list.push({ key: ev.event.host.id, value: registry.encode(ev.kind, ev.event), timestamp: String(ev.event.time_ns / 1_000_000n) });
      byTopic.set(topic, list);
    }
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1 });
  }
  await producer.disconnect();
  return Date.now() - t0;
}

interface Usage {
  received: number;
  elapsedMs: number;
  cpuMs: number;
  alerts?: number;
}

/** Run a consumer CLI to the end; its final log line has what it read, its wall and CPU time. */
function runCli(args: string[], final: string, cli = CONSUMER_CLI): Promise<Usage> {
  return new Promise((resolve, reject) => {
    const out = fs.openSync('/dev/null', 'w');
    const child = spawn(process.execPath, [cli, ...args, '--brokers', BROKERS, '--log-level', 'info'], { stdio: ['ignore', out, 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => {
      fs.closeSync(out);
      const line = err.split('\n').find((l) => l.includes(`"msg":"${final}"`));
      if (code !== 0 || !line) return reject(new Error(`${args[0]} exited ${code}: ${err.slice(-2000)}`));
      const j = JSON.parse(line);
      const received = j.stats?.received ?? j.events?.received;
      resolve({ received, elapsedMs: j.elapsedMs, cpuMs: j.cpuMs, alerts: j.alerts?.raised });
    });
  });
}

/**
 * The shared read path in this process (the subscriber, as every consumer CLI uses it) to the end
 * of the topics: with `decode`, each message decoded into its record; without, handed on as bytes
 * (tail's JSON path, without writing). Nothing else is done with it. CPU time includes joining the
 * group, which the CLIs pay as well.
 */
async function readAll(prefix: string, decode: boolean): Promise<Usage> {
  const ctl = new AbortController();
  const done = new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve(), { once: true }));
  const sub = createSubscriber({
    kafka: testKafka(`bench-read-${decode ? 'decode' : 'bytes'}`),
    logger: quietLogger,
    registry,
    topicPrefix: prefix,
    kinds: ['file', 'net', 'process'],
    fromBeginning: true,
    onEnd: () => ctl.abort(),
    onValue: decode ? undefined : () => true,
    onEvent: () => undefined,
  });
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.race([sub.start(ctl.signal), done]);
  await done;
  const elapsedMs = Date.now() - t0;
  const c = process.cpuUsage(c0);
  await sub.stop();
  return { received: sub.stats().received, elapsedMs, cpuMs: (c.user + c.system) / 1000 };
}

const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
function report(name: string, u: Usage): void {
  const perWall = u.received / (u.elapsedMs / 1000);
  const perCpu = u.received / (u.cpuMs / 1000);
  const extra = u.alerts === undefined ? '' : `, ${u.alerts} alerts`;
  console.log(
    `${name.padEnd(34)} ${u.received} events in ${(u.elapsedMs / 1000).toFixed(2)} s: ${k(perWall)} events/s wall, ${k(perCpu)} events/s per CPU second (${((u.cpuMs * 1e3) / u.received).toFixed(2)} µs CPU/event)${extra}`,
  );
}

async function main(): Promise<void> {
  let events: AuditEvent[] = makeEvents(N);
  const prefix = REUSE ?? `bench-consume-${Date.now().toString(36)}`;
  if (REUSE) console.log(`reading ${N} events preloaded into ${prefix}.{file,net,process} by an earlier run`);
  else {
    const loadMs = await preload(prefix, events);
    console.log(`preloaded ${N} events into ${prefix}.{file,net,process} in ${(loadMs / 1000).toFixed(1)} s (${k(N / (loadMs / 1000))}/s)`);
  }

  // The engine alone, on events decoded as the consumer gets them (avsc records), a chunk at a
  // time as they would stream in; only the engine is timed.
  let encoded = events.map((ev) => [ev.kind, registry.encode(ev.kind, ev.event)] as const);
  events = [];
  const { rules } = loadRules([readRuleFile(DEFAULT_RULES)]);
  const engine = createEngine({ rules });
  let engineUs = 0;
  let engineWallNs = 0n;
  let alerts = 0;
  for (let i = 0; i < N; i += 10_000) {
    const chunk = encoded.slice(i, i + 10_000).map(([kind, buf]) => ({ kind, event: registry.decode(kind, buf) }) as AuditEvent);
    // CPU time, not wall time: on a busy machine the wall clock also counts other processes' turns.
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const ev of chunk) alerts += engine.process(ev).length;
    engineWallNs += process.hrtime.bigint() - t0;
    const c = process.cpuUsage(c0);
    engineUs += c.user + c.system;
  }
  report(`rule engine alone (${rules.filter((r) => r.enabled).length} rules)`, { received: N, elapsedMs: Number(engineWallNs) / 1e6, cpuMs: engineUs / 1000, alerts });
  // The read path below runs in this process too: without the encoded events' heap, as a CLI would.
  encoded = [];

  const fetchOnly = await readAll(prefix, false);
  report('read path: fetched, not decoded', fetchOnly);
  const fetchDecode = await readAll(prefix, true);
  report('read path: fetched and decoded', fetchDecode);

  const tail = await runCli(['tail', '--topic-prefix', prefix, '--from-beginning', '--until-end'], 'tail stopped');
  report('tail --output text > /dev/null', tail);
  const json = await runCli(['tail', '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'json'], 'tail stopped');
  report('tail --output json > /dev/null', json);
  const ecs = await runCli(['tail', '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'ecs'], 'tail stopped');
  report('tail --output ecs > /dev/null', ecs);
  // A group of its own per run: a reused prefix would otherwise resume at the group's commits.
  const group = `${prefix}-detect-${Date.now().toString(36)}`;
  const detect = await runCli(['detect', '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'none', '--group', group], 'detect stopped');
  report('detect (default pack, publishing)', detect);
  const perCpu = (u: Usage): number => u.received / (u.cpuMs / 1000);
  console.log(
    `aims of #12, per CPU second: detect 250.0k (${perCpu(detect) >= 250_000 ? 'met' : 'missed'}: ${k(perCpu(detect))}), ` +
      `tail --output json 200.0k (${perCpu(json) >= 200_000 ? 'met' : 'missed'}: ${k(perCpu(json))})`,
  );
  if (BASELINE && BASELINE_CLI) await againstBaseline(BASELINE, BASELINE_CLI, prefix);
  for (const [name, u] of [
    ['tail', tail],
    ['tail json', json],
    ['tail ecs', ecs],
    ['detect', detect],
    ['read path, not decoded', fetchOnly],
    ['read path, decoded', fetchDecode],
  ] as const) {
    if (u.received !== N) throw new Error(`${name} read ${u.received} of ${N}`);
  }
}

/**
 * `tail --output json` and `detect` of `dir` (its CLI `base`) and of this checkout in turns, three pairs each, on
 * the topics of `prefix`: CPU per event of each run and the ratio of the means. Both must read
 * every event, and both detects raise the same alerts.
 */
async function againstBaseline(dir: string, base: string, prefix: string): Promise<void> {
  console.log(`in turns with the build in ${dir}, three pairs each (µs CPU per event):`);
  const runs: [string, string[], string][] = [
    ['tail --output json', ['tail', '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'json'], 'tail stopped'],
    ['detect', ['detect', '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'none'], 'detect stopped'],
  ];
  for (const [name, args, final] of runs) {
    const us = { base: [] as number[], now: [] as number[] };
    const alerts = new Set<number | undefined>();
    for (let i = 0; i < 3; i++) {
      for (const [which, cli] of [
        ['base', base],
        ['now', CONSUMER_CLI],
      ] as const) {
        const group = `${prefix}-${which}-${i}-${Date.now().toString(36)}`;
        const u = await runCli(name === 'detect' ? [...args, '--group', group] : args, final, cli);
        if (u.received !== N) throw new Error(`${name} (${which}) read ${u.received} of ${N}`);
        if (name === 'detect') alerts.add(u.alerts);
        us[which].push((u.cpuMs * 1e3) / u.received);
      }
    }
    if (name === 'detect' && alerts.size !== 1) throw new Error(`detect raised different alerts: ${[...alerts].join(', ')}`);
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    const ratio = mean(us.base) / mean(us.now);
    const fmt = (a: number[]): string => a.map((x) => x.toFixed(2)).join(', ');
    console.log(`${name.padEnd(20)} baseline ${fmt(us.base)}; this build ${fmt(us.now)}: ${ratio.toFixed(2)}x as fast`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
