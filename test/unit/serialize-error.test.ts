/**
 * Logged errors keep their stack and causes, and never what they hold: a real OpenSearch client
 * error (from a loopback server refusing the credentials) carries its request in its meta, with
 * the bulk body and an API key's Authorization header.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@opensearch-project/opensearch';
import pino from 'pino';
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { AuditError } from '../../common/errors';
import { createLogger } from '../../common/logger';

function capture(): { lines: Record<string, any>[]; text: () => string; logger: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const logger = createLogger({ name: 'test', level: 'info', destination: { write: (s: string) => void raw.push(s) } });
  return {
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, any>);
    },
    text: () => raw.join(''),
    logger,
  };
}

const PASSWORD = 'hunter2-not-in-logs';
const API_KEY = 'c2VjcmV0LWFwaS1rZXk-not-in-logs';

async function refusingServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { type: 'security_exception', reason: 'unable to authenticate user', root_cause: [{ type: 'security_exception', reason: 'unable to authenticate user' }] },
        status: 401,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('an OpenSearch error logs its status, message and stack, not the credentials its request carried', async () => {
  const srv = await refusingServer();
  try {
    for (const [client, apiKey] of [
      [new Client({ node: srv.url, auth: { username: 'audit', password: PASSWORD } }), false],
      [new Client({ node: srv.url, headers: { authorization: `ApiKey ${API_KEY}` } }), true], // as connection.ts passes an API key
    ] as const) {
      const err = await client.bulk({ body: '{"index":{"_index":"x"}}\n{"path":"/etc/shadow"}\n' } as never).then(
        () => assert.fail('the server refuses every request'),
        (e: unknown) => e,
      );
      // What pino's own serializer would write: the request's body (audited paths and command
      // lines, megabytes of them), and an API key in its headers (basic auth the client strips).
      const byDefault = JSON.stringify(pino.stdSerializers.err(err as Error));
      assert.ok(byDefault.includes('/etc/shadow'));
      assert.equal(byDefault.includes(API_KEY), apiKey);
      const log = capture();
      log.logger.warn({ err }, 'bulk request failed; retrying');
      const text = log.text();
      assert.ok(!text.includes(PASSWORD) && !text.includes(API_KEY) && !text.includes(Buffer.from(`audit:${PASSWORD}`).toString('base64')), text);
      assert.ok(!text.includes('/etc/shadow'), 'the request body stays out');
      const [line] = log.lines;
      assert.equal(line.err.type, 'ResponseError');
      assert.equal(line.err.statusCode, 401);
      assert.match(line.err.message, /security_exception.*unable to authenticate user/);
      assert.match(line.err.stack, /^ResponseError: .*\n\s+at /);
      await client.close();
    }
  } finally {
    await srv.close();
  }
});

test('a logged error keeps its causes, its scalar fields and nested errors; fields named like secrets stay out', () => {
  const log = capture();
  const io = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
  const wrapped = new AuditError('schema registry unreachable', { cause: io, retriable: true });
  Object.assign(wrapped, { password: PASSWORD, options: { sasl: { password: PASSWORD } }, authHeader: `Basic ${PASSWORD}` });
  log.logger.error({ err: wrapped }, 'failed');
  const protocol = new KafkaJSProtocolError({ message: 'Not authorized to access topics', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false } as never);
  log.logger.error({ err: new KafkaJSNumberOfRetriesExceeded(protocol, { retryCount: 5, retryTime: 1000 }) }, 'gave up');
  log.logger.error({ err: 'a plain string' }, 'text');
  assert.ok(!log.text().includes(PASSWORD), log.text());
  const [a, b, c] = log.lines;
  assert.equal(a.err.type, 'AuditError');
  assert.equal(a.err.message, 'schema registry unreachable: connect ECONNREFUSED 127.0.0.1:9');
  assert.match(a.err.stack, /^AuditError: schema registry unreachable\n\s+at [^]*caused by: Error: connect ECONNREFUSED/);
  assert.equal(a.err.retriable, true);
  assert.deepEqual(Object.keys(a.err).sort(), ['message', 'retriable', 'stack', 'type']);
  assert.equal(b.err.type, 'KafkaJSNumberOfRetriesExceeded');
  assert.deepEqual([b.err.retryCount, b.err.retriable], [5, false]);
  assert.match(b.err.message, /Not authorized to access topics/);
  assert.equal(c.err, 'a plain string');
  const nested = capture();
  nested.logger.warn({ err: Object.assign(new Error('topic creation failed'), { errors: [protocol] }) }, 'x');
  const [n] = nested.lines;
  assert.deepEqual([n.err.errors[0].type, n.err.errors[0].errorType, n.err.errors[0].code], ['KafkaJSProtocolError', 'TOPIC_AUTHORIZATION_FAILED', 29]);
});
