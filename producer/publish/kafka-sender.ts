/**
 * The publisher's `send` over a kafkajs producer. kafkajs retries a request only twice, within
 * about half a second (a leader moving, a topic just created); anything longer is the publisher's
 * to handle (spool, back off, retry), and its age bound holds even while a request is out.
 * Connects lazily, so an unreachable broker is one more failed send, never a wait before capture
 * starts.
 */
import { CompressionCodecs, CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { Send } from './message-queue';
import { memoizedDefaultPartitioner } from './partitioner';

/** Short retries of one request: kafkajs backs off 100 ms, then up to 300 ms. */
const SEND_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 300 };

export interface KafkaSenderOptions {
  kafka: Kafka;
  /** acks: -1 = all in-sync replicas (default), 1 = leader, 0 = none. */
  acks: -1 | 0 | 1;
  compression: keyof typeof CompressionTypes;
  /** How long the broker may wait for in-sync replicas before it answers (ms). */
  ackTimeoutMs?: number;
}

export interface KafkaSender {
  send: Send;
  /** Connect now (rejects when the broker is unreachable); `send` connects by itself otherwise. */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export function createKafkaSender(opts: KafkaSenderOptions): KafkaSender {
  const producer: Producer = opts.kafka.producer({
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    createPartitioner: memoizedDefaultPartitioner,
    retry: SEND_RETRY,
  });
  let connecting: Promise<void> | undefined;
  const connect = (): Promise<void> =>
    (connecting ??= producer.connect().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    }));
  const compression = CompressionTypes[opts.compression];
  // Codecs load on first use (common/codecs.ts): load ours now, so a broken install fails at start.
  if (compression !== CompressionTypes.None) CompressionCodecs[compression]();
  return {
    connect,
    async send(topicMessages) {
      await connect();
      await producer.sendBatch({ acks: opts.acks, compression, timeout: opts.ackTimeoutMs ?? 10_000, topicMessages });
    },
    async disconnect() {
      connecting = undefined;
      await producer.disconnect().catch(() => undefined);
    },
  };
}
