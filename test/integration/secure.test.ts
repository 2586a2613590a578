/**
 * TLS (CA + client certificate) and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) against a real
 * broker with a SASL_SSL listener: the CLIs create topics, produce and consume through it; the
 * password comes from a file or the environment and never shows in the logs; a wrong password or
 * a missing client certificate fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { createKafka, type KafkaSecurity } from '../../common/kafka';
import { topicFor } from '../../common/topics';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { createSchemaRegistry } from '../../schemas/registry';
import { CONSUMER_CLI, DIST_DIR, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';
import { startSecureBroker, USERS, type SecureBroker } from '../helpers/secure-broker';
import { fileEvent } from '../helpers/samples';

const TOPICS_CLI = path.join(DIST_DIR, 'producer/topics-cli.js');

test('SASL_SSL with client certificates: PLAIN and SCRAM, secrets from files and the environment', { timeout: 300000 }, async (t) => {
  for (const tool of ['openssl', 'java']) {
    if (spawnSync('bash', ['-c', `command -v ${tool}`]).status !== 0) {
      if (process.env.CI === 'true') throw new Error(`CI=true and ${tool} is missing`);
      t.skip(`${tool} missing`);
      return;
    }
  }
  const broker: SecureBroker = await startSecureBroker();
  t.after(() => broker.stop());
  const BROKER = `127.0.0.1:${broker.port}`;
  const tls = ['--tls-ca', broker.ca, '--tls-cert', broker.clientCert, '--tls-key', broker.clientKey];
  const prefix = uniquePrefix('secure');
  const s256 = USERS['scram-sha-256'];
  const s512 = USERS['scram-sha-512'];
  const plain = USERS.plain;

  // The topics command over SCRAM-SHA-256, password from the environment.
  const env = { ...process.env, EBPF_AUDIT_SASL_PASSWORD: s256.password };
  const topics = spawnSync(
    process.execPath,
    [TOPICS_CLI, 'create', '--brokers', BROKER, '--topic-prefix', prefix, '--partitions', '1', ...tls, '--sasl-mechanism', 'scram-sha-256', '--sasl-username', s256.username],
    { encoding: 'utf8', env, timeout: 120000 },
  );
  assert.equal(topics.status, 0, topics.stdout + topics.stderr);
  assert.match(topics.stdout, /ok: 6 topics as specified/);

  // Produce over SCRAM-SHA-512.
  const security: KafkaSecurity = {
    tls: { ca: fs.readFileSync(broker.ca, 'utf8'), cert: fs.readFileSync(broker.clientCert, 'utf8'), key: fs.readFileSync(broker.clientKey, 'utf8') },
    sasl: { mechanism: 'scram-sha-512', username: s512.username, password: s512.password },
  };
  const kafka = createKafka({ brokers: [BROKER], clientId: 'secure-test', logger: pino({ level: 'silent' }), security });
  const publisher = createKafkaPublisher({ kafka, logger: pino({ level: 'silent' }), acks: -1, lingerMs: 0, batchSize: 10, maxQueued: 100, compression: 'GZIP' });
  await publisher.connect();
  publisher.offer(topicFor(prefix, 'file'), { key: 'h', value: createSchemaRegistry().encode('file', { ...fileEvent, path: '/over/tls' }) });
  await publisher.flush(60000);
  await publisher.disconnect();

  // Consume with the tail CLI over PLAIN, password from a file, logging at trace level.
  const pwFile = path.join(broker.dir, 'plain-password');
  fs.writeFileSync(pwFile, `${plain.password}\n`, { mode: 0o600 });
  const tail = start(process.execPath, [
    CONSUMER_CLI,
    'tail',
    '--brokers',
    BROKER,
    '--topic-prefix',
    prefix,
    '--from-beginning',
    '--log-level',
    'trace',
    ...tls,
    '--sasl-mechanism',
    'plain',
    '--sasl-username',
    plain.username,
    '--sasl-password-file',
    pwFile,
  ]);
  t.after(() => tail.stop('SIGKILL'));
  await tail.waitForLine(/Path: "\/over\/tls"$/, 120000);
  assert.equal(await tail.stop('SIGINT'), 0);
  assert.ok(tail.stderr().length > 0, 'trace logging produced nothing');
  assert.ok(!tail.stderr().includes(plain.password), 'the password appeared in the logs');

  // A wrong password, and no client certificate, are refused.
  const wrong = spawnSync(
    process.execPath,
    [TOPICS_CLI, 'check', '--brokers', BROKER, '--topic-prefix', prefix, ...tls, '--sasl-mechanism', 'scram-sha-256', '--sasl-username', s256.username],
    { encoding: 'utf8', env: { ...process.env, EBPF_AUDIT_SASL_PASSWORD: 'wrong' }, timeout: 120000 },
  );
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /SASL|authentication/i);
  assert.ok(!wrong.stderr.includes(s256.password));
  const noCert = spawnSync(
    process.execPath,
    [TOPICS_CLI, 'check', '--brokers', BROKER, '--topic-prefix', prefix, '--tls-ca', broker.ca, '--sasl-mechanism', 'scram-sha-256', '--sasl-username', s256.username],
    { encoding: 'utf8', env, timeout: 120000 },
  );
  assert.equal(noCert.status, 1);
});
