/**
 * What the publisher offers and what it needs: the injected `send`, its options, its stats. A
 * rejection of `send` means "try again later" unless `refusedForGood` says the broker will never
 * take that request as it is.
 */
import type { Message } from 'kafkajs';
import type { Logger } from '../../common/logger';
import type { DeliveryEvent, DeliveryState } from './delivery-state';
import type { Send } from './message-queue';
import type { Spool } from './spool';

export type { Send, TopicMessages } from './message-queue';

export interface PublisherOptions {
  send: Send;
  logger: Logger;
  lingerMs: number;
  /** Most messages in one request. */
  batchSize: number;
  /**
   * Most bytes (estimated) in one request. One host's events share a key and so a partition,
   * and a partition's record batch must stay under the broker's message.max.bytes (1 MiB default).
   */
  maxBatchBytes?: number;
  /** Most messages queued in memory. */
  maxQueued: number;
  /**
   * Most bytes (estimated request size) queued in memory, DEFAULT_MAX_QUEUED_BYTES unless given.
   * With a spool the cap is lower while Kafka is slower: what it acknowledges in half the age bound.
   */
  maxQueuedBytes?: number;
  /** Where messages wait while Kafka is away; without one, failed sends are retried from memory and a full queue refuses offers. */
  spool?: Spool;
  spoolMaxBytes?: number;
  /** With a spool: the longest a message waits in memory unacknowledged before it is written to the spool. */
  spoolAfterMs?: number;
  /** The retry interval after a failed send starts at retryMinMs and doubles up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How often an outage is summarised in the log. */
  outageLogMs?: number;
  /** Called with the latency of every acknowledged request (metrics). */
  onSent?: (ms: number, messages: number) => void;
  /** Called after every state change. */
  onTransition?: (from: DeliveryState, to: DeliveryState, event: DeliveryEvent) => void;
}

export const DEFAULT_MAX_QUEUED_BYTES = 4 << 20;

/** Protocol errors after which the same request can never succeed (anything else is retried). */
const REFUSED_FOR_GOOD = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/** The broker refused the request for good: kafkajs wraps the protocol error in `cause` chains. */
export function refusedForGood(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type && REFUSED_FOR_GOOD.has(e.type)) return true;
  }
  return false;
}

export interface PublisherStats {
  state: DeliveryState;
  sent: number;
  batches: number;
  sendErrors: number;
  /** Messages the broker refused for good (for example too large): counted drops. */
  rejected: number;
  queued: number;
  queuedBytes: number;
  /** What the memory queue may hold now (bytes): the hard cap, or what Kafka takes in half the age bound. */
  queueCapBytes: number;
  /** Kafka's rate measured on saturated requests (bytes/s; 0: none yet). */
  kafkaBytesPerSec: number;
  lastBatchMs: number;
  spooling: boolean;
  /** Messages written to the spool (moved from memory, or offered while spooling). */
  spooled: number;
  spoolBytes: number;
  /** Damaged stretches of the spool skipped on replay (their messages cannot be counted). */
  spoolCorrupt: number;
  /** Messages refused because the spool reached its cap: counted drops. */
  spoolDrops: number;
  /** Messages refused because the memory queue was full and there is no spool: counted drops. */
  queueFull: number;
}

export interface Publisher {
  /** Begin sending. Before it, messages wait: in memory up to the age bound, then in the spool. */
  start(): void;
  /** Queue one message; false (counted as dropped) when neither memory nor spool has room. */
  offer(topic: string, message: Message): boolean;
  /**
   * offer() of the message { key, value, timestamp, headers } whose value is `length` bytes at
   * `offset` of `store` (the producer's events, encoded into shared slabs: registry.encodeRange)
   * and whose size (sizeOf) is `size`: queued with no message object or Buffer made per event.
   * `at` is when it is offered (ms; the pipeline reads the clock once per turn of the ring, not
   * per event: Date.now() was 2% of the producer's samples), by default now.
   */
  offerBytes(
    topic: string,
    key: Buffer,
    headers: Message['headers'],
    store: ArrayBufferLike,
    offset: number,
    length: number,
    timestamp: number,
    size: number,
    at?: number,
  ): boolean;
  /**
   * How many more messages the source should hand over now; the rest waits in the source (the
   * kernel ring buffer). While Kafka takes messages: what fits under the memory queue's caps
   * (count, bytes, and what Kafka acknowledges in half the age bound), so overload never reaches
   * the bound. While Kafka is away (spooling): all, to the spool, until it is full. While the spool
   * replays: none, so the backlog shrinks and new events wait their turn in the source, unless
   * `sourceFull` says the source is about to lose them; then they go to the spool.
   */
  room(sourceFull?: boolean): number;
  readonly queued: number;
  readonly state: DeliveryState;
  /**
   * Send everything queued and spooled: true once all is acknowledged. With a spool, false as
   * soon as Kafka is found away or sending has not started (all is on disk, or goes there on
   * close). Rejects after timeoutMs.
   */
  flush(timeoutMs: number): Promise<boolean>;
  /** Stop sending; what memory still holds goes to the spool, and the spool is closed. */
  close(): void;
  stats(): PublisherStats;
}
