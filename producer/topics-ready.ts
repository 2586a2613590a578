/**
 * The producer's topics, created or checked before the first send, inside the publisher's send:
 * capture never waits for Kafka, and the publisher's loop (spool, back-off, outage log) owns the
 * retries. While the broker is unreachable every attempt fails as a send would. Any other refusal
 * is tried again for giveUpMs (a broker that has just started refuses to create topics until it
 * has registered itself), then logged and given up on (not allowed to create topics, a
 * replication factor the cluster cannot meet): sends then rely on the broker's auto-creation or
 * on `ebpf-audit-topics create`.
 */
import type { ITopicConfig, Kafka } from 'kafkajs';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { ensureTopics } from '../common/topic-admin';
import type { Send } from './publish/publisher';

const UNREACHABLE = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);

/** The broker is away or not ready: the same call can succeed later. */
export function brokerUnreachable(err: unknown): boolean {
  for (let e = err as { name?: string; retriable?: boolean; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if ((e.name && UNREACHABLE.has(e.name)) || e.retriable === true) return true;
  }
  return false;
}

/** An error's message, with the per-topic errors kafkajs aggregates ("Topic creation errors"). */
export function describe(err: unknown): string {
  const inner = (err as { errors?: { topic?: string; message?: string }[] } | undefined)?.errors;
  return Array.isArray(inner) && inner.length ? `${errorMessage(err)}: ${inner.map((e) => `${e.topic ?? '?'}: ${e.message}`).join('; ')}` : errorMessage(err);
}

/** `send`, preceded once by creating or checking the topics (retried with the send that needs them). */
export function withTopicsEnsured(send: Send, opts: { kafka: Kafka; specs: ITopicConfig[]; logger: Logger; giveUpMs?: number }): Send {
  let done = false;
  let firstRefusal: number | undefined;
  return async (batch) => {
    if (!done) {
      try {
        await ensureTopics(opts.kafka, opts.specs, opts.logger);
        done = true;
      } catch (err) {
        if (brokerUnreachable(err)) throw err;
        firstRefusal ??= Date.now();
        if (Date.now() - firstRefusal < (opts.giveUpMs ?? 30_000)) throw new Error(`topics not created yet: ${describe(err)}`);
        opts.logger.warn({ err }, 'could not check or create topics; sending anyway');
        done = true;
      }
    }
    return send(batch);
  };
}
