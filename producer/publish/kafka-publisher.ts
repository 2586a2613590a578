/**
 * A publisher over a kafkajs sender, for callers that want "a publisher to this Kafka" in one call
 * (tests, benchmarks). The producer wires the two itself (run.ts) to start sending later.
 */
import { createKafkaSender, type KafkaSenderOptions } from './kafka-sender';
import { createPublisher, type Publisher, type PublisherOptions } from './publisher';

export interface KafkaPublisher extends Publisher {
  /** Connect and start; without a spool an unreachable broker rejects, with one it is spooled for. */
  connect(): Promise<void>;
  /** close(), then disconnect from Kafka. */
  disconnect(): Promise<void>;
}

export function createKafkaPublisher(opts: Omit<PublisherOptions, 'send'> & KafkaSenderOptions): KafkaPublisher {
  const sender = createKafkaSender(opts);
  const publisher = createPublisher({ ...opts, send: sender.send });
  return Object.assign(publisher, {
    async connect() {
      try {
        await sender.connect();
      } catch (err) {
        if (!opts.spool) throw err;
      }
      publisher.start();
    },
    async disconnect() {
      publisher.close();
      await sender.disconnect();
    },
  });
}
