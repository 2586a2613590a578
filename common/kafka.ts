import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type RetryOptions } from 'kafkajs';
import { registerCodecs } from './codecs';
import { kafkaLogCreator } from './kafka-log';
import type { Logger } from './logger';

/** TLS and SASL, already read from files and the environment (never from argv). */
export interface KafkaSecurity {
  tls?: { ca?: string; cert?: string; key?: string };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export interface KafkaConnectionOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurity;
  /** kafkajs's retries for every request of this client (default: 5, 200 ms doubling to 5 s). */
  retry?: RetryOptions;
  /** Longest wait for any answer from a broker (kafkajs default: 30 s). */
  requestTimeoutMs?: number;
  /**
   * Where kafkajs's lines about conditions it retries go: `info` once per condition and minute
   * (default), or `debug` for a client whose caller reports outages itself (the publisher).
   */
  transientLevel?: 'info' | 'debug';
}

export function createKafka(opts: KafkaConnectionOptions): Kafka {
  registerCodecs();
  const config: KafkaConfig = {
    brokers: opts.brokers,
    clientId: opts.clientId,
    logLevel: KafkaLogLevel.INFO,
    logCreator: kafkaLogCreator(opts.logger, { transientLevel: opts.transientLevel }),
    retry: opts.retry ?? { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    requestTimeout: opts.requestTimeoutMs,
  };
  const sec = opts.security;
  if (sec?.tls) config.ssl = { ca: sec.tls.ca ? [sec.tls.ca] : undefined, cert: sec.tls.cert, key: sec.tls.key, rejectUnauthorized: true };
  if (sec?.sasl) config.sasl = sec.sasl as KafkaConfig['sasl']; // mechanism checked by securityOption
  return new Kafka(config);
}

/** Parse "host:port,host:port" into a broker list; throws on an empty or malformed entry. */
export function parseBrokers(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new Error('no broker given');
  for (const b of list) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/.test(b)) throw new Error(`broker "${b}" is not host:port`);
  }
  return list;
}

export const DEFAULT_BROKERS = '127.0.0.1:9092';
export const DEFAULT_TOPIC_PREFIX = 'ebpf-audit';
