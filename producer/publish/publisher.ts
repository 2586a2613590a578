/**
 * Batching in front of kafkajs, which has no linger and no buffering of its own: messages are
 * queued (bounded), sent with sendBatch when a batch fills or the linger time passes, one request
 * in flight so one host's events keep their order, and re-sent after a failure.
 */
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { errorMessage } from '../../common/errors';
import type { Logger } from '../../common/logger';

export interface PublisherOptions {
  kafka: Kafka;
  logger: Logger;
  /** acks: -1 = all in-sync replicas (default), 1 = leader, 0 = none. */
  acks: -1 | 0 | 1;
  lingerMs: number;
  /** Most messages in one sendBatch request. */
  batchSize: number;
  /**
   * Most bytes (estimated) in one request. One host's events share a key and so a partition,
   * and a partition's record batch must stay under the broker's message.max.bytes (1 MiB default).
   */
  maxBatchBytes?: number;
  /** Most messages queued; offer() refuses beyond it. */
  maxQueued: number;
  compression: keyof typeof CompressionTypes;
}

interface Entry {
  topic: string;
  message: Message;
  bytes: number;
}

/** Record overhead in a v2 record batch (varints, attributes, header keys) plus headers: an upper estimate. */
const RECORD_OVERHEAD = 64;

function sizeOf(m: Message): number {
  let n = RECORD_OVERHEAD + (m.value ? (m.value as Buffer).length : 0) + (m.key ? Buffer.byteLength(m.key as Buffer | string) : 0);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += k.length + (v ? Buffer.byteLength(v as Buffer | string) : 0);
  return n;
}

export interface PublisherStats {
  sent: number;
  batches: number;
  sendErrors: number;
  /** Messages the broker refused for good (for example too large): counted drops. */
  rejected: number;
  queued: number;
  lastBatchMs: number;
}

export interface Publisher {
  connect(): Promise<void>;
  /** Queue one message; false (nothing queued) when the queue is full. */
  offer(topic: string, message: Message): boolean;
  hasRoom(n: number): boolean;
  readonly queued: number;
  /** Send everything queued; resolves when empty, rejects after timeoutMs. */
  flush(timeoutMs: number): Promise<void>;
  disconnect(): Promise<void>;
  stats(): PublisherStats;
}

export function createPublisher(opts: PublisherOptions): Publisher {
  const log = opts.logger.child({ component: 'publisher' });
  // The default (Java-compatible murmur2) partitioner, named so kafkajs does not warn about it.
  const producer: Producer = opts.kafka.producer({
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let queue: Entry[] = [];
  let head = 0;
  const size = (): number => queue.length - head;
  let inFlight = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 0;
  let closed = false;
  const stats = { sent: 0, batches: 0, sendErrors: 0, rejected: 0, lastBatchMs: 0 };
  const maxBytes = opts.maxBatchBytes ?? 900_000;
  // Shrinks when the broker rejects a request as too large, grows back after successes.
  let limit = opts.batchSize;
  const idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (inFlight || retryTimer || closed || size() === 0) return;
    if (size() >= opts.batchSize || opts.lingerMs === 0) {
      if (lingerTimer) clearTimeout(lingerTimer);
      lingerTimer = undefined;
      void sendOne();
    } else if (!lingerTimer) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        void sendOne();
      }, opts.lingerMs);
    }
  }

  /** Queued entries are queue[head..]; the consumed prefix is dropped in bulk, not per batch. */
  function take(n: number): void {
    head += n;
    if (head > 65536 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  async function sendOne(): Promise<void> {
    if (inFlight || size() === 0) return;
    inFlight = true;
    let n = 0;
    let bytes = 0;
    while (n < size() && n < limit && (n === 0 || bytes + queue[head + n].bytes <= maxBytes)) bytes += queue[head + n++].bytes;
    const byTopic = new Map<string, Message[]>();
    for (let i = head; i < head + n; i++) {
      const e = queue[i];
      let list = byTopic.get(e.topic);
      if (!list) byTopic.set(e.topic, (list = []));
      list.push(e.message);
    }
    const t0 = process.hrtime.bigint();
    let error: unknown;
    try {
      await producer.sendBatch({
        acks: opts.acks,
        compression: CompressionTypes[opts.compression],
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      error = err;
    }
    inFlight = false;
    if (error === undefined) {
      take(n);
      stats.sent += n;
      stats.batches++;
      stats.lastBatchMs = Number(process.hrtime.bigint() - t0) / 1e6;
      backoffMs = 0;
      limit = Math.min(opts.batchSize, limit * 2);
    } else if ((error as { retriable?: boolean }).retriable === false) {
      stats.sendErrors++;
      // The broker will never take this request as it is: split it; a single message it
      // refuses is dropped and counted, so one bad record cannot stall the stream.
      if (n > 1) {
        limit = Math.max(1, Math.ceil(n / 2));
        log.warn({ err: errorMessage(error), messages: n, nextBatch: limit }, 'request refused; splitting it');
      } else {
        take(1);
        stats.rejected++;
        log.error({ err: errorMessage(error), bytes, rejected: stats.rejected }, 'message refused by the broker; dropped');
      }
    } else {
      // Keep the batch at the head of the queue and try again: order and delivery both hold.
      stats.sendErrors++;
      backoffMs = Math.min(backoffMs ? backoffMs * 2 : 250, 5000);
      log.warn({ err: errorMessage(error), messages: n, retryInMs: backoffMs, queued: size() }, 'send failed; will retry');
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        schedule();
      }, backoffMs);
    }
    if (size() === 0) idleWaiters.splice(0).forEach((w) => w());
    schedule();
  }

  return {
    async connect() {
      await producer.connect();
      log.info({ acks: opts.acks, lingerMs: opts.lingerMs, batchSize: opts.batchSize, compression: opts.compression }, 'connected');
    },
    offer(topic, message) {
      if (size() >= opts.maxQueued) return false;
      queue.push({ topic, message, bytes: sizeOf(message) });
      schedule();
      return true;
    },
    hasRoom: (n) => size() + n <= opts.maxQueued,
    get queued() {
      return size();
    },
    flush(timeoutMs) {
      if (size() === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${size()} messages still queued after ${timeoutMs} ms`)), timeoutMs);
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        if (lingerTimer) clearTimeout(lingerTimer);
        lingerTimer = undefined;
        if (!inFlight && !retryTimer) void sendOne();
      });
    },
    async disconnect() {
      closed = true;
      if (lingerTimer) clearTimeout(lingerTimer);
      if (retryTimer) clearTimeout(retryTimer);
      await producer.disconnect();
    },
    stats: () => ({ ...stats, queued: size() }),
  };
}
