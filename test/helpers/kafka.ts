/** Real-broker helpers for integration tests. */
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '../../common/kafka';
import { BROKERS } from './env';

export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function testKafka(clientId: string): Kafka {
  return createKafka({ brokers: parseBrokers(BROKERS), clientId, logger: quietLogger });
}
