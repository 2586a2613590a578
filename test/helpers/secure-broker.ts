/**
 * A second, real Kafka broker for security tests: a SASL_SSL listener on a free port of 127.0.0.1 that
 * requires client certificates, PLAIN users from JAAS and SCRAM users added at format time,
 * with a CA, server and client certificates made here by openssl. Uses the jars that
 * deploy/kafka/local.sh fetched.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT_DIR } from './env';

export const USERS = {
  plain: { username: 'plainuser', password: 'plain-s3cret-XYZ' },
  'scram-sha-256': { username: 'alice', password: 'alice-s3cret-XYZ' },
  'scram-sha-512': { username: 'bob', password: 'bob-s3cret-XYZ' },
} as const;

export interface SecureBroker {
  /** The SASL_SSL listener's port on 127.0.0.1. */
  port: number;
  dir: string;
  ca: string;
  clientCert: string;
  clientKey: string;
  stop(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function certificate(dir: string, name: string, subject: string, ext: string): void {
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  openssl(dir, 'pkcs8', '-topk8', '-nocrypt', '-in', `${name}.key`, '-out', `${name}.pk8`);
}

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/**
 * A port nothing listens on now. Fixed ports collided with other brokers on a developer's machine
 * (a benchmark broker on 29093 made this one exit at start).
 */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });

export async function startSecureBroker(): Promise<SecureBroker> {
  const [port, controller, internal] = [await freePort(), await freePort(), await freePort()];
  const libs = path.join(process.env.EBPF_AUDIT_KAFKA_HOME ?? '/var/lib/ebpf-audit/kafka', 'libs');
  if (!fs.existsSync(libs)) throw new Error(`${libs} missing: run deploy/kafka/local.sh fetch`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-secure-kafka-'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ebpf-audit test CA');
  certificate(dir, 'server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  certificate(dir, 'client', '/CN=ebpf-audit-client', 'extendedKeyUsage=clientAuth\n');
  fs.writeFileSync(path.join(dir, 'server-keystore.pem'), fs.readFileSync(path.join(dir, 'server.pk8'), 'utf8') + fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'));

  const conf = path.join(dir, 'server.properties');
  const p = USERS.plain;
  fs.writeFileSync(
    conf,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller},INTERNAL://127.0.0.1:${internal}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${internal}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=INTERNAL',
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${p.username}="${p.password}";`,
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${dir}/server-keystore.pem`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${dir}/ca.pem`,
      'ssl.client.auth=required',
      `log.dirs=${dir}/data`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const java = (args: string[]) => [
    '-cp',
    `${libs}/*`,
    `-Dlog4j2.configurationFile=${path.join(ROOT_DIR, 'deploy/kafka/log4j2.properties')}`,
    `-Dkafka.logs.dir=${dir}/logs`,
    ...args,
  ];
  const scram = (m: 'scram-sha-256' | 'scram-sha-512') => `${m.toUpperCase()}=[name=${USERS[m].username},password=${USERS[m].password}]`;
  execFileSync(
    'java',
    java([
      'kafka.tools.StorageTool',
      'format',
      '-t',
      randomUUID().replace(/-/g, '').slice(0, 22),
      '-c',
      conf,
      '--add-scram',
      scram('scram-sha-256'),
      '--add-scram',
      scram('scram-sha-512'),
    ]),
    { stdio: 'ignore' },
  );
  const child: ChildProcess = spawn('java', ['-Xmx512m', ...java(['kafka.Kafka', conf])], { stdio: 'ignore', detached: false });
  const deadline = Date.now() + 120000;
  const log = path.join(dir, 'logs/server.log');
  while (!(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('Kafka Server started') && (await portOpen(port)))) {
    if (child.exitCode !== null) throw new Error(`secure broker exited: see ${log}`);
    if (Date.now() > deadline) throw new Error(`secure broker not ready after 120 s: see ${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    port,
    dir,
    ca: path.join(dir, 'ca.pem'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.pk8'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 30000).unref();
      }),
  };
}
