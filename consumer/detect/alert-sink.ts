/**
 * Where alerts go: printed at once (text or JSON lines on stdout) and published with Avro to
 * <prefix>.alerts, keyed by host. Publishing is batched per consumed batch and awaited before the
 * batch's offsets are committed; while Kafka refuses, flush() retries, which stops consumption
 * (backpressure) rather than dropping alerts. Only alerts still pending at shutdown are lost, and
 * they are counted and logged.
 */
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../../common/logger';
import { ensureTopics } from '../../common/topic-admin';
import { alertsTopic, schemasTopic } from '../../common/topics';
import { schemaMessage } from '../../schemas/publication';
import type { SchemaRegistry } from '../../schemas/registry';
import type { LineWriter } from '../core/output/line-writer';
import type { Alert } from '../rules/engine';
import { alertToAvro, formatAlertJson, formatAlertLine } from './alert-format';

export type AlertOutput = 'text' | 'json' | 'none';

export interface AlertSinkOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  topicPrefix: string;
  publish: boolean;
  output: AlertOutput;
  writer?: LineWriter;
  /** Wait between failed sends. */
  retryMs?: number;
}

export interface AlertSinkStats {
  raised: number;
  published: number;
  /** Pending when the sink stopped: not published. */
  unpublished: number;
  sendFailures: number;
}

export interface AlertSink {
  start(): Promise<void>;
  add(alert: Alert): void | Promise<void>;
  /** Publish what is pending; retries until it succeeds or `stop` aborts. */
  flush(stop: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  stats(): AlertSinkStats;
}

const FORMATS = { text: formatAlertLine, json: formatAlertJson };

export function createAlertSink(opts: AlertSinkOptions): AlertSink {
  const log = opts.logger.child({ component: 'alerts' });
  const topic = alertsTopic(opts.topicPrefix);
  const retryMs = opts.retryMs ?? 1000;
  const producer: Producer | undefined = opts.publish
    ? opts.kafka.producer({ allowAutoTopicCreation: false, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner })
    : undefined;
  const entry = opts.registry.current('alert');
  const format = opts.output === 'none' ? undefined : FORMATS[opts.output];
  let pending: Message[] = [];
  /** The flush in progress: batches of several partitions finish at once, and flushes take turns. */
  let flushing: Promise<void> = Promise.resolve();
  const stats: AlertSinkStats = { raised: 0, published: 0, unpublished: 0, sendFailures: 0 };

  const sleep = (ms: number, stop: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      stop.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });

  return {
    async start() {
      if (!producer) return;
      await ensureTopics(opts.kafka, [{ topic, numPartitions: -1, replicationFactor: -1 }], log);
      await producer.connect();
      // Our writer schema first, so any consumer of the alerts topic can resolve it (with
      // --schema-registry it is in the registry instead).
      if (opts.registry.writerId('alert') === undefined) {
        const m = schemaMessage(entry);
        await producer.send({ topic: schemasTopic(opts.topicPrefix), acks: -1, messages: [{ key: m.key, value: m.value }] });
      }
    },
    add(alert) {
      stats.raised++;
      if (producer) {
        pending.push({
          key: alert.host.id,
          value: opts.registry.encode('alert', alertToAvro(alert)),
          timestamp: String(alert.time_ns / 1_000_000n),
          headers: { kind: 'alert', fingerprint: entry.id, host: alert.host.id, rule: alert.rule_id, severity: alert.severity },
        });
      }
      if (format && opts.writer) return opts.writer.write(format(alert));
    },
    flush(stop) {
      // One at a time, each sending what is pending when its turn comes: a flush that returned had
      // every alert added before it was called published (alerts added meanwhile go in the next).
      const turn = flushing.then(async () => {
        while (producer && pending.length && !stop.aborted) {
          const messages = pending;
          pending = [];
          try {
            await producer.send({ topic, acks: -1, messages });
            stats.published += messages.length;
          } catch (err) {
            pending = messages.concat(pending);
            stats.sendFailures++;
            log.warn({ err, pending: pending.length }, 'could not publish alerts; retrying');
            await sleep(retryMs, stop);
          }
        }
      });
      flushing = turn.catch(() => undefined);
      return turn;
    },
    async stop() {
      if (pending.length) {
        stats.unpublished += pending.length;
        log.error({ unpublished: pending.length }, 'alerts not published at shutdown (they were printed)');
        pending = [];
      }
      await producer?.disconnect();
    },
    stats: () => ({ ...stats }),
  };
}
