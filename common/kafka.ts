import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type logCreator } from 'kafkajs';
import { registerCodecs } from './codecs';
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
}

/** kafkajs logs routed into our pino logger, one child per kafkajs namespace. */
function pinoLogCreator(logger: Logger): logCreator {
  const base = logger.child({ component: 'kafkajs' });
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _ts, logger: _l, ...fields } = log as Record<string, unknown>;
    const msg = `${namespace}: ${String(message)}`;
    if (level <= KafkaLogLevel.ERROR) base.error(fields, msg);
    else if (level === KafkaLogLevel.WARN) base.warn(fields, msg);
    else if (level === KafkaLogLevel.INFO) base.debug(fields, msg); // kafkajs INFO is chatty
    else base.trace(fields, msg);
  };
}

export function createKafka(opts: KafkaConnectionOptions): Kafka {
  registerCodecs();
  const config: KafkaConfig = {
    brokers: opts.brokers,
    clientId: opts.clientId,
    logLevel: KafkaLogLevel.INFO,
    logCreator: pinoLogCreator(opts.logger),
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
  };
  const sec = opts.security;
  if (sec?.tls) config.ssl = { ca: sec.tls.ca ? [sec.tls.ca] : undefined, cert: sec.tls.cert, key: sec.tls.key, rejectUnauthorized: true };
  if (sec?.sasl) config.sasl = sec.sasl as KafkaConfig['sasl']; // mechanism checked by securityOption
  return new Kafka(config);
}

/** Parse "host:port,host:port" into a broker list; throws on an empty or malformed entry. */
export function parseBrokers(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new Error('no broker given');
  for (const b of list) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/.test(b)) throw new Error(`broker "${b}" is not host:port`);
  }
  return list;
}

export const DEFAULT_BROKERS = '127.0.0.1:9092';
export const DEFAULT_TOPIC_PREFIX = 'ebpf-audit';
