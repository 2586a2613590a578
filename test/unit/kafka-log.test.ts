/**
 * kafkajs's lines about conditions it retries read as one info line, not a stream of ERRORs; a
 * real error stays an error. Driven by a real kafkajs client against a closed loopback port, and
 * by kafkajs's own protocol error texts (so a kafkajs upgrade that rewords them fails here).
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';
import { logLevel, Partitioners } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '../../common/kafka';
import { kafkaLogCreator, transientCondition } from '../../common/kafka-log';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: { type: string; message: string }[] };

function capture(level = 'debug'): { logger: pino.Logger; lines: { level: number; msg: string; condition?: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  return { lines, logger: pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('a broker that refuses connections: one info line says so, no ERROR lines, the repeats at debug', async () => {
  const { logger, lines } = capture();
  const kafka = createKafka({ brokers: [`127.0.0.1:${await closedPort()}`], clientId: 'log-test', logger, retry: { retries: 4, initialRetryTime: 10, maxRetryTime: 20 } });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await assert.rejects(producer.connect());
  assert.deepEqual(
    lines.filter((l) => l.level >= 40),
    [],
    'no warnings or errors',
  );
  const info = lines.filter((l) => l.level === 30);
  assert.equal(info.length, 1);
  assert.match(info[0].msg, /^Kafka: broker unreachable or restarting; retrying$/);
  assert.ok(lines.filter((l) => l.level === 20).length >= 4, 'each attempt is still there at debug');
});

test("kafkajs's texts for a coordinator or leader not ready yet are transient; others are not", () => {
  const text = (type: string): string => errorCodes.find((e) => e.type === type)!.message;
  for (const type of ['GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'REBALANCE_IN_PROGRESS']) {
    assert.equal(transientCondition(text(type), {}), 'consumer group coordinator not ready yet', type);
  }
  for (const type of ['LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION']) {
    assert.match(transientCondition(text(type), {}) ?? '', /leader not elected yet/, type);
  }
  assert.equal(transientCondition(`Failed to send messages: ${text('REQUEST_TIMED_OUT')}`, {}), 'request timed out');
  for (const type of ['TOPIC_AUTHORIZATION_FAILED', 'MESSAGE_TOO_LARGE', 'INVALID_REPLICATION_FACTOR', 'SASL_AUTHENTICATION_FAILED']) {
    assert.equal(transientCondition(text(type), {}), undefined, type);
  }
});

test('each condition is said once at info (again after a quiet minute); real errors stay errors', () => {
  const { logger, lines } = capture();
  const log = kafkaLogCreator(logger)(logLevel.INFO);
  const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) =>
    log({ namespace: 'Runner', level, label: 'ERROR', log: { timestamp: new Date().toISOString(), message, ...extra } });
  for (let i = 0; i < 10; i++) entry(logLevel.ERROR, 'The group coordinator is not available', { groupId: 'g' });
  for (let i = 0; i < 5; i++)
    entry(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', { error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' });
  entry(logLevel.ERROR, 'Error when calling eachMessage', { error: 'boom' });
  assert.deepEqual(
    lines.filter((l) => l.level >= 30).map((l) => [l.level, l.msg]),
    [
      [30, 'Kafka: consumer group coordinator not ready yet; retrying'],
      [30, 'Kafka: partition leader not elected yet (topic being created, or broker starting); retrying'],
      [50, 'Runner: Error when calling eachMessage'],
    ],
  );
  const quiet = capture();
  const silent = kafkaLogCreator(quiet.logger, { transientLevel: 'debug' })(logLevel.INFO);
  silent({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: '', message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1' } });
  assert.deepEqual(
    quiet.lines.map((l) => l.level),
    [20],
    'a client whose caller reports outages keeps them at debug',
  );
});
