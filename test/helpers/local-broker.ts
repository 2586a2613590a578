/**
 * The broker that EBPF_AUDIT_BROKERS points at, driven through deploy/kafka/local.sh, for tests and
 * benchmarks that stop and start it. Its port comes from the broker address; its home from
 * EBPF_AUDIT_KAFKA_HOME, else the default home for 9092 (the suite's own broker) and
 * /var/lib/ebpf-audit/kafka-<port> for any other port.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROKERS, ROOT_DIR } from './env';

const LOCAL = path.join(ROOT_DIR, 'deploy/kafka/local.sh');

export interface LocalBroker {
  port: number;
  home: string;
  /** Null when it can be driven; else why not (not loopback, or not run by local.sh with this home). */
  unusable(): string | null;
  start(): void;
  stop(): void;
  /** The broker's pid (from local.sh's pid file), or undefined when it is not running. */
  pid(): number | undefined;
}

export function localBroker(brokers = BROKERS, env: NodeJS.ProcessEnv = process.env): LocalBroker {
  const first = brokers.split(',')[0].trim();
  const m = /^(127\.0\.0\.1|localhost):(\d+)$/.exec(first);
  const port = m ? Number(m[2]) : 0;
  const home = env.EBPF_AUDIT_KAFKA_HOME ?? (port === 9092 ? '/var/lib/ebpf-audit/kafka' : `/var/lib/ebpf-audit/kafka-${port}`);
  const controller = env.EBPF_AUDIT_KAFKA_CONTROLLER_PORT ?? String(port + 1);
  const run = (cmd: string): string =>
    execFileSync(LOCAL, [cmd], {
      env: { ...env, EBPF_AUDIT_KAFKA_HOME: home, EBPF_AUDIT_KAFKA_PORT: String(port), EBPF_AUDIT_KAFKA_CONTROLLER_PORT: controller },
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
      timeout: 180000,
    });
  const pid = (): number | undefined => {
    try {
      const p = Number(fs.readFileSync(path.join(home, 'kafka.pid'), 'utf8'));
      process.kill(p, 0);
      return p;
    } catch {
      return undefined;
    }
  };
  return {
    port,
    home,
    unusable() {
      if (!m) return `EBPF_AUDIT_BROKERS=${brokers}: only a loopback broker run by deploy/kafka/local.sh can be stopped and started`;
      try {
        if (!run('status').startsWith('running')) throw new Error('not running');
      } catch {
        return `no broker run by deploy/kafka/local.sh with home ${home} on port ${port} (set EBPF_AUDIT_KAFKA_HOME to its home)`;
      }
      return null;
    },
    start: () => void run('start'),
    stop: () => void run('stop'),
    pid,
  };
}
