/**
 * The producer's topics, created or checked in the background, so capture never waits for Kafka.
 * While the broker is unreachable this tries again every retryMs. Any other failure (not allowed
 * to create topics, a replication factor the cluster cannot meet) is logged once and given up on:
 * sends then rely on the broker's auto-creation or on `ebpf-audit-topics create`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ITopicConfig, Kafka } from 'kafkajs';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { ensureTopics } from '../common/topic-admin';

const UNREACHABLE = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);

/** The broker is away or not ready: the same call can succeed later. */
export function brokerUnreachable(err: unknown): boolean {
  for (let e = err as { name?: string; retriable?: boolean; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if ((e.name && UNREACHABLE.has(e.name)) || e.retriable === true) return true;
  }
  return false;
}

/** Resolves once the topics are there, when given up on, or when `stop` aborts. */
export async function ensureTopicsInBackground(opts: { kafka: Kafka; specs: ITopicConfig[]; logger: Logger; stop: AbortSignal; retryMs: number }): Promise<void> {
  let told = false;
  while (!opts.stop.aborted) {
    try {
      await ensureTopics(opts.kafka, opts.specs, opts.logger);
      if (told) opts.logger.info('Kafka reached: topics checked');
      return;
    } catch (err) {
      if (opts.stop.aborted) return;
      if (!brokerUnreachable(err)) {
        opts.logger.warn({ err: errorMessage(err) }, 'could not check or create topics; sending anyway');
        return;
      }
      if (!told) opts.logger.info({ err: errorMessage(err), retryMs: opts.retryMs }, 'Kafka unreachable: topics are checked when it answers; capture goes to the spool meanwhile');
      told = true;
      await sleep(opts.retryMs, undefined, { signal: opts.stop }).catch(() => undefined);
    }
  }
}
