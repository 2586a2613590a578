/**
 * Batching and delivery in front of kafkajs, which has no linger, no buffering and only a few
 * retries of its own. Messages queue in memory (bounded) and go out with sendBatch when a batch
 * fills or the linger time passes, one request in flight, so one host's events keep their order.
 *
 * With a spool, nothing waits in memory while Kafka is away: the first failed send (or a full
 * queue) switches to spooling, where the queue goes to disk, new messages are appended to the
 * spool, and sends replay it in order; acknowledged records are committed. When replay catches up,
 * messages flow through memory again. A spool left by a crashed producer is replayed first.
 */
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { errorMessage } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { memoizedDefaultPartitioner } from './partitioner';
import type { Spool, SpoolPos, SpoolRecord } from './spool';

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
  /** Most messages queued in memory. */
  maxQueued: number;
  compression: keyof typeof CompressionTypes;
  /** Where messages wait while Kafka is away; without one, a full queue refuses offers. */
  spool?: Spool;
  spoolMaxBytes?: number;
  /** Called with the latency of every successful request (metrics). */
  onSent?: (ms: number, messages: number) => void;
}

interface Entry {
  topic: string;
  message: Message;
  bytes: number;
  /** Set for entries replayed from the spool: committing it acknowledges them on disk. */
  pos?: SpoolPos;
}

/** Record overhead in a v2 record batch (varints, attributes, header keys) plus headers: an upper estimate. */
const RECORD_OVERHEAD = 64;

function sizeOf(m: Message): number {
  let n = RECORD_OVERHEAD + (m.value ? (m.value as Buffer).length : 0) + (m.key ? Buffer.byteLength(m.key as Buffer | string) : 0);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += k.length + (v ? Buffer.byteLength(v as Buffer | string) : 0);
  return n;
}

const toRecord = (topic: string, m: Message): SpoolRecord => ({
  topic,
  key: Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key ?? ''),
  value: m.value as Buffer,
  timestamp: m.timestamp ?? String(Date.now()),
  headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
});

/** Protocol errors after which the same request can never succeed (anything else is retried). */
const REFUSED_FOR_GOOD = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/** The broker refused the request for good: kafkajs wraps the protocol error in `cause` chains. */
export function refusedForGood(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type && REFUSED_FOR_GOOD.has(e.type)) return true;
  }
  return false;
}

const toMessage = (r: SpoolRecord): Message => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });

export interface PublisherStats {
  sent: number;
  batches: number;
  sendErrors: number;
  /** Messages the broker refused for good (for example too large): counted drops. */
  rejected: number;
  queued: number;
  lastBatchMs: number;
  spooling: boolean;
  spooled: number;
  spoolBytes: number;
  /** Messages refused because the spool reached its cap: counted drops. */
  spoolDrops: number;
  /** Messages refused because the memory queue was full and there is no spool: counted drops. */
  queueFull: number;
}

export interface Publisher {
  /** Connect; with a spool, an unreachable broker is not an error (we spool and retry). */
  connect(): Promise<void>;
  /** Queue one message; false (nothing queued) when neither memory nor spool has room. */
  offer(topic: string, message: Message): boolean;
  hasRoom(n: number): boolean;
  readonly queued: number;
  /** Send everything queued and spooled; resolves when empty, rejects after timeoutMs. */
  flush(timeoutMs: number): Promise<void>;
  /** Stop sending; whatever is still in memory goes to the spool. */
  disconnect(): Promise<void>;
  stats(): PublisherStats;
}

export function createPublisher(opts: PublisherOptions): Publisher {
  const log = opts.logger.child({ component: 'publisher' });
  const producer: Producer = opts.kafka.producer({
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    createPartitioner: memoizedDefaultPartitioner,
  });
  const spool = opts.spool;
  const spoolMax = opts.spoolMaxBytes ?? Infinity;
  let queue: Entry[] = [];
  let head = 0;
  const size = (): number => queue.length - head;
  let inFlight = false;
  let connected = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 0;
  let closed = false;
  let spooling = spool ? !spool.isEmpty() : false;
  const stats = { sent: 0, batches: 0, sendErrors: 0, rejected: 0, lastBatchMs: 0, spoolDrops: 0, queueFull: 0 };
  const maxBytes = opts.maxBatchBytes ?? 900_000;
  // Shrinks when the broker rejects a request as too large, grows back after successes.
  let limit = opts.batchSize;
  const idleWaiters: (() => void)[] = [];

  const idle = (): boolean => size() === 0 && (!spool || spool.isEmpty());

  /** Queued entries are queue[head..]; the consumed prefix is dropped in bulk, not per batch. */
  function take(n: number): void {
    head += n;
    if (head > 65536 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  function clearQueue(): void {
    queue = [];
    head = 0;
  }

  function startSpooling(why: string): void {
    if (!spooling) log.warn({ why, queued: size() }, 'spooling to disk until Kafka takes messages again');
    spooling = true;
  }

  /**
   * After a failed send (nothing in flight): move what memory holds to the spool, so a crash
   * during the outage loses nothing. Only when the spool holds nothing newer (order).
   */
  function spillToSpool(why: string): void {
    if (!spool) return;
    startSpooling(why);
    if (size() === 0 || queue[head].pos || !spool.isEmpty()) return;
    for (let i = head; i < queue.length; i++) {
      if (!spool.append(toRecord(queue[i].topic, queue[i].message))) {
        stats.spoolDrops += queue.length - i;
        log.error({ dropped: queue.length - i }, 'spool full: messages dropped');
        break;
      }
    }
    clearQueue();
  }

  /** Replay has caught up with the spool: messages flow through memory again. */
  function leaveSpoolingIfDone(): void {
    if (spooling && spool && size() === 0 && spool.isEmpty() && !retryTimer && !inFlight) {
      spooling = false;
      log.info('spool drained: back to sending from memory');
    }
  }

  function schedule(): void {
    leaveSpoolingIfDone();
    if (inFlight || retryTimer || closed) return;
    if (size() === 0 && !(spooling && spool && !spool.isEmpty())) return;
    if (size() >= opts.batchSize || opts.lingerMs === 0 || spooling) {
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
    if (inFlight || closed) return;
    if (size() === 0 && spooling && spool) {
      for (const { rec, pos } of spool.read(limit, maxBytes)) {
        const message = toMessage(rec);
        queue.push({ topic: rec.topic, message, bytes: sizeOf(message), pos });
      }
    }
    if (size() === 0) {
      leaveSpoolingIfDone();
      idleWaiters.splice(0).forEach((w) => w());
      return;
    }
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
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      await producer.sendBatch({
        acks: opts.acks,
        compression: CompressionTypes[opts.compression],
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      error = err;
    }
    inFlight = false;
    if (closed) return; // disconnect() took the queue over while this request was out
    const last = queue[head + n - 1];
    if (error === undefined) {
      take(n);
      if (last.pos) spool!.commit(last.pos);
      stats.sent += n;
      stats.batches++;
      stats.lastBatchMs = Number(process.hrtime.bigint() - t0) / 1e6;
      opts.onSent?.(stats.lastBatchMs, n);
      if (backoffMs) log.info({ sent: n }, 'Kafka takes messages again');
      backoffMs = 0;
      limit = Math.min(opts.batchSize, limit * 2);
    } else if (refusedForGood(error)) {
      stats.sendErrors++;
      // The broker will never take this request as it is: split it; a single message it
      // refuses is dropped and counted, so one bad record cannot stall the stream.
      if (n > 1) {
        limit = Math.max(1, Math.ceil(n / 2));
        log.warn({ err: errorMessage(error), messages: n, nextBatch: limit }, 'request refused; splitting it');
      } else {
        take(1);
        if (last.pos) spool!.commit(last.pos);
        stats.rejected++;
        log.error({ err: errorMessage(error), bytes, rejected: stats.rejected }, 'message refused by the broker; dropped');
      }
      if (size() > 0 && queue[head].pos) {
        spool!.rewind(); // replayed entries are re-read from disk at the new batch size
        clearQueue();
      }
    } else {
      // Kafka is away or slow: keep everything (on disk when there is a spool) and retry.
      stats.sendErrors++;
      if (spool) {
        if (size() > 0 && queue[head].pos) {
          spool.rewind();
          clearQueue();
        } else {
          spillToSpool(errorMessage(error));
        }
      }
      backoffMs = Math.min(backoffMs ? backoffMs * 2 : 250, 5000);
      log.warn({ err: errorMessage(error), messages: n, retryInMs: backoffMs, queued: size(), spoolBytes: spool?.stats().bytes }, 'send failed; will retry');
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        schedule();
      }, backoffMs);
    }
    if (idle()) idleWaiters.splice(0).forEach((w) => w());
    schedule();
  }

  return {
    async connect() {
      try {
        await producer.connect();
        connected = true;
      } catch (err) {
        if (!spool) throw err;
        log.warn({ err: errorMessage(err) }, 'Kafka unreachable at start: spooling until it is');
        spooling = true;
      }
      log.info({ acks: opts.acks, lingerMs: opts.lingerMs, batchSize: opts.batchSize, compression: opts.compression, spool: !!spool }, 'publisher ready');
      schedule();
    },
    offer(topic, message) {
      if (spool && (spooling || size() >= opts.maxQueued)) {
        // Memory keeps what it has (older, maybe in flight); new messages go to disk behind it.
        if (!spooling) startSpooling('send queue full');
        if (!spool.append(toRecord(topic, message))) {
          stats.spoolDrops++;
          return false;
        }
        schedule();
        return true;
      }
      if (size() >= opts.maxQueued) {
        stats.queueFull++;
        return false;
      }
      queue.push({ topic, message, bytes: sizeOf(message) });
      schedule();
      return true;
    },
    hasRoom: (n) => (spool ? (spooling || size() + n > opts.maxQueued ? spool.stats().bytes < spoolMax * 0.99 : true) : size() + n <= opts.maxQueued),
    get queued() {
      return size();
    },
    flush(timeoutMs) {
      if (idle()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${size()} messages queued and ${spool?.stats().bytes ?? 0} spooled bytes left after ${timeoutMs} ms`)), timeoutMs);
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
      if (spool) {
        // Undelivered messages in memory survive the restart on disk. When the spool already
        // holds newer ones, these older ones land after them: order yields to delivery here.
        let kept = 0;
        for (let i = head; i < queue.length; i++) if (!queue[i].pos && spool.append(toRecord(queue[i].topic, queue[i].message))) kept++;
        if (kept) log.warn({ messages: kept }, 'undelivered messages left in the spool for the next start');
        clearQueue();
        spool.close();
      }
      await producer.disconnect().catch(() => undefined);
    },
    stats: () => {
      const s = spool?.stats();
      return { ...stats, queued: size(), spooling, spooled: s?.appended ?? 0, spoolBytes: s?.bytes ?? 0 };
    },
  };
}
