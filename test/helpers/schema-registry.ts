/**
 * The real schema registry for tests: the shared one that test/run.sh starts
 * (deploy/schema-registry/local.sh, $EBPF_AUDIT_SCHEMA_REGISTRY_URL), and private instances on a
 * free port for tests that stop it, optionally serving https with a CA made here by openssl.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { createRegistryClient, type RegistryClient } from '../../schemas/registry-client';
import { missing, ROOT_DIR } from './env';

export const REGISTRY_URL = process.env.EBPF_AUDIT_SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const LOCAL_SH = path.join(ROOT_DIR, 'deploy/schema-registry/local.sh');

export const registryClient = (url = REGISTRY_URL, ca?: string): RegistryClient => createRegistryClient({ url, ca, timeoutMs: 5000 });

/** True when the test must stop (skipped); throws under CI. */
export async function needsRegistry(t: TestContext): Promise<boolean> {
  try {
    await registryClient().compatibility();
    return false;
  } catch (err) {
    return missing(t, `no schema registry at ${REGISTRY_URL} (${(err as Error).message}; start one: deploy/schema-registry/local.sh start)`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

export interface OwnRegistry {
  url: string;
  /** PEM CA file that verifies it, when it serves https. */
  ca?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stop and remove its data. */
  remove(): Promise<void>;
}

/** A registry of the test's own (its home in a temporary directory), started. */
export async function startOwnRegistry(opts: { tls?: boolean } = {}): Promise<OwnRegistry> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-registry-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, EBPF_AUDIT_SCHEMA_REGISTRY_HOME: home, EBPF_AUDIT_SCHEMA_REGISTRY_PORT: String(port) };
  let ca: string | undefined;
  if (opts.tls) {
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: home, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ebpf-audit test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    fs.writeFileSync(path.join(home, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
    ca = path.join(home, 'ca.pem');
    Object.assign(env, { EBPF_AUDIT_SCHEMA_REGISTRY_TLS_CERT: path.join(home, 'server.pem'), EBPF_AUDIT_SCHEMA_REGISTRY_TLS_KEY: path.join(home, 'server.key') });
  }
  const run = async (cmd: string): Promise<void> => {
    await promisify(execFile)('bash', [LOCAL_SH, cmd], { env, timeout: 600_000 });
  };
  const reg: OwnRegistry = {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/apis/ccompat/v7`,
    ca,
    start: () => run('start'),
    stop: () => run('stop'),
    async remove() {
      await run('stop');
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  await reg.start();
  return reg;
}
