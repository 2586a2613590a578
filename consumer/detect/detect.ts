/**
 * `detect`: run the rules on every event of the event topics, print and publish the alerts.
 * Runs in a named consumer group by default, so several instances share the partitions; since
 * events are keyed by host and rule state is kept per host, they raise the alerts one would.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger';
import { alertsTopic } from '../../common/topics';
import { EVENT_KINDS } from '../../schemas/types';
import type { SchemaRegistry } from '../../schemas/registry';
import type { RegistryClient } from '../../schemas/registry-client';
import { registerWriters } from '../../schemas/register-writers';
import type { SubjectStrategy } from '../../schemas/subjects';
import { createLineWriter } from '../core/output/line-writer';
import { createKindOrder } from '../core/input/kind-order';
import { createSubscriber } from '../core/input/subscriber';
import { usage } from '../core/usage';
import { createEngine } from '../rules/engine';
import type { Rule } from '../rules/loader';
import { createAlertSink, type AlertOutput } from './alert-sink';
import { createNameResolver } from './name-resolver';

export interface DetectOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  /** With --schema-registry: alerts are registered and framed for it, and events are read with it. */
  registryClient?: RegistryClient;
  subjectStrategy?: SubjectStrategy;
  topicPrefix: string;
  groupId: string;
  fromBeginning: boolean;
  sinceMs?: number;
  rules: Rule[];
  /** Domain names the rules compare addresses with (fd.sip.name ...), resolved while running. */
  hostnames?: string[];
  output: AlertOutput;
  publish: boolean;
  out: NodeJS.WritableStream;
  statsIntervalMs: number;
  /**
   * How long a file or net event may wait for the process topic to be read up to its time, so the
   * rules know its process (see kind-order.ts). 0: no ordering across kinds. Default 1000.
   */
  orderWaitMs?: number;
  /** Stop once the topics are read up to where they ended at start. */
  untilEnd?: boolean;
  /** After a stop, how long pending alerts may still be sent. */
  shutdownGraceMs?: number;
}

/** Batches handled at once when ordering kinds: above the partitions of three topics one fetches. */
const ORDER_CONCURRENCY = 64;

export async function runDetect(opts: DetectOptions, stop: AbortSignal): Promise<void> {
  const log = opts.logger;
  const ctl = new AbortController();
  const giveUp = new AbortController();
  const onStop = (): void => {
    ctl.abort();
    setTimeout(() => giveUp.abort(), opts.shutdownGraceMs ?? 10_000).unref();
  };
  if (stop.aborted) onStop();
  stop.addEventListener('abort', onStop, { once: true });
  const done = new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve(), { once: true }));
  // A closed stdout ends printing, not detection: alerts still go to Kafka.
  const writer = opts.output === 'none' ? undefined : createLineWriter({ stream: opts.out, onClosed: () => log.warn('stdout closed; alerts are no longer printed') });
  const names = createNameResolver({ names: opts.hostnames ?? [], logger: log });
  await names.start();
  const engine = createEngine({ rules: opts.rules, names });
  const sink = createAlertSink({ kafka: opts.kafka, logger: log, registry: opts.registry, topicPrefix: opts.topicPrefix, publish: opts.publish, output: opts.output, writer });
  const client = opts.registryClient;
  if (client && opts.publish) {
    const topics = { alert: alertsTopic(opts.topicPrefix) };
    if (!(await registerWriters({ client, registry: opts.registry, topics, strategy: opts.subjectStrategy ?? 'topic', logger: log, signal: ctl.signal }))) return;
  }
  await sink.start();
  const waitMs = opts.orderWaitMs ?? 1000;
  const order = waitMs > 0 ? createKindOrder({ logger: log, maxWaitMs: waitMs }) : undefined;
  const sub = createSubscriber({
    kafka: opts.kafka,
    logger: log,
    registry: opts.registry,
    registryClient: client,
    topicPrefix: opts.topicPrefix,
    kinds: EVENT_KINDS,
    groupId: opts.groupId,
    fromBeginning: opts.fromBeginning,
    sinceMs: opts.sinceMs,
    onEvent: (ev) => {
      const alerts = engine.process(ev);
      let wait: void | Promise<void> = undefined;
      for (const a of alerts) wait = sink.add(a) ?? wait;
      return wait;
    },
    afterBatch: () => sink.flush(giveUp.signal),
    // Execs before the file and net events of their processes: a follower batch waits while the
    // process batches of the same fetch run, which needs a worker for every batch of a fetch
    // (kafkajs's workers are cheap; batches of one partition stay in order).
    order: order && { leader: 'process', kindOrder: order },
    partitionsConcurrently: order ? ORDER_CONCURRENCY : 1,
    onEnd: opts.untilEnd ? onStop : undefined,
  });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const report = (msg: string): void => log.info({ events: sub.stats(), engine: engine.stats(), order: order?.stats(), alerts: sink.stats(), ...usage(t0, cpu0) }, msg);
  const timer = setInterval(() => report('detect stats'), opts.statsIntervalMs);
  timer.unref();
  log.info({ rules: opts.rules.filter((r) => r.enabled).map((r) => r.id), groupId: opts.groupId }, 'detect starting');
  await Promise.race([sub.start(ctl.signal), done]);
  await done;
  clearInterval(timer);
  names.stop();
  await sub.stop();
  await sink.flush(giveUp.signal);
  await sink.stop();
  await writer?.flush();
  report('detect stopped');
}
