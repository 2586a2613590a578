/**
 * Batching in front of kafkajs, which has no linger and no buffering of its own: messages are
 * queued (bounded), sent with sendBatch when a batch fills or the linger time passes, one request
 * in flight so one host's events keep their order, and re-sent after a failure.
 */
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../../common/logger';

export interface PublisherOptions {
  kafka: Kafka;
  logger: Logger;
  /** acks: -1 = all in-sync replicas (default), 1 = leader, 0 = none. */
  acks: -1 | 0 | 1;
  lingerMs: number;
  /** Most messages in one sendBatch request. */
  batchSize: number;
  /** Most messages queued; offer() refuses beyond it. */
  maxQueued: number;
  compression: keyof typeof CompressionTypes;
}

interface Entry {
  topic: string;
  message: Message;
}

export interface PublisherStats {
  sent: number;
  batches: number;
  sendErrors: number;
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
  const producer: Producer = opts.kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: 1 });
  let queue: Entry[] = [];
  let inFlight = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 0;
  let closed = false;
  const stats = { sent: 0, batches: 0, sendErrors: 0, lastBatchMs: 0 };
  const idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (inFlight || retryTimer || closed || queue.length === 0) return;
    if (queue.length >= opts.batchSize || opts.lingerMs === 0) {
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

  async function sendOne(): Promise<void> {
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const n = Math.min(queue.length, opts.batchSize);
    const byTopic = new Map<string, Message[]>();
    for (let i = 0; i < n; i++) {
      const e = queue[i];
      let list = byTopic.get(e.topic);
      if (!list) byTopic.set(e.topic, (list = []));
      list.push(e.message);
    }
    const t0 = process.hrtime.bigint();
    try {
      await producer.sendBatch({
        acks: opts.acks,
        compression: CompressionTypes[opts.compression],
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      queue = queue.slice(n);
      stats.sent += n;
      stats.batches++;
      stats.lastBatchMs = Number(process.hrtime.bigint() - t0) / 1e6;
      backoffMs = 0;
    } catch (err) {
      // Keep the batch at the head of the queue and try again: order and delivery both hold.
      stats.sendErrors++;
      backoffMs = Math.min(backoffMs ? backoffMs * 2 : 250, 5000);
      log.warn({ err: (err as Error).message, messages: n, retryInMs: backoffMs, queued: queue.length }, 'send failed; will retry');
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        schedule();
      }, backoffMs);
    } finally {
      inFlight = false;
    }
    if (queue.length === 0) idleWaiters.splice(0).forEach((w) => w());
    schedule();
  }

  return {
    async connect() {
      await producer.connect();
      log.info({ acks: opts.acks, lingerMs: opts.lingerMs, batchSize: opts.batchSize, compression: opts.compression }, 'connected');
    },
    offer(topic, message) {
      if (queue.length >= opts.maxQueued) return false;
      queue.push({ topic, message });
      schedule();
      return true;
    },
    hasRoom: (n) => queue.length + n <= opts.maxQueued,
    get queued() {
      return queue.length;
    },
    flush(timeoutMs) {
      if (queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${queue.length} messages still queued after ${timeoutMs} ms`)), timeoutMs);
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
    stats: () => ({ ...stats, queued: queue.length }),
  };
}
