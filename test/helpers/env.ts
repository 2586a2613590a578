/**
 * What a test needs from the machine. Missing root or broker skips a test on a developer's
 * machine, with the reason; under CI=true it fails the test loudly instead.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';

export const ROOT_DIR = path.resolve(__dirname, '../../..');
export const DIST_DIR = path.join(ROOT_DIR, 'dist');
export const PRODUCER_CLI = path.join(DIST_DIR, 'producer/cli.js');
/**
 * The Node flags the producer runs with wherever it is installed: its first line's
 * (#!/usr/bin/env -S node FLAGS), which the packages' wrapper copies. Benchmarks that measure the
 * producer run it with them.
 */
export function producerNodeFlags(): string[] {
  const first = fs.readFileSync(PRODUCER_CLI, 'utf8').split('\n', 1)[0];
  return (/^#!\/usr\/bin\/env -S node(.*)$/.exec(first)?.[1] ?? '').split(' ').filter(Boolean);
}
export const CONSUMER_CLI = path.join(DIST_DIR, 'consumer/cli.js');
export const BPF_OBJECT = path.join(ROOT_DIR, 'bpf/build/ebpf-audit.bpf.o');
export const BROKERS = process.env.EBPF_AUDIT_BROKERS ?? '127.0.0.1:9092';
const CI = process.env.CI === 'true';

export function missing(t: TestContext, what: string): boolean {
  if (CI) throw new Error(`CI=true and ${what}: this test must run in CI`);
  t.skip(what);
  return true;
}

export function brokerReachable(brokers = BROKERS): Promise<boolean> {
  const [host, port] = brokers.split(',')[0].split(':');
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) });
    s.setTimeout(2000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** True when the test must stop (skipped); throws under CI. */
export async function needsBroker(t: TestContext): Promise<boolean> {
  if (await brokerReachable()) return false;
  return missing(t, `no Kafka broker at ${BROKERS} (start one: deploy/kafka/local.sh start)`);
}

export function needsRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return false;
  return missing(t, 'not running as root (eBPF needs it)');
}

export function uniquePrefix(name: string): string {
  return `test-${name}-${process.pid}-${Date.now().toString(36)}`;
}

/** Spool directories made for this test process, removed when it exits (a spool under load holds up to GBs). */
const spools: string[] = [];
process.on('exit', () => {
  for (const dir of spools) fs.rmSync(dir, { recursive: true, force: true });
});

/** Producer CLI arguments for a test: its own topics and its own spool directory. */
export function producerArgs(prefix: string, extra: string[] = []): string[] {
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-spool-'));
  spools.push(spool);
  return [PRODUCER_CLI, '--brokers', BROKERS, '--topic-prefix', prefix, '--spool-dir', spool, ...extra];
}

/**
 * Falco's stable rule file, test input kept outside the repository: $EBPF_AUDIT_FALCO_RULES, or
 * shared/reference/falco-rules/falco_rules.yaml beside the checkout (or beside its parent, for a
 * git worktree). Undefined (skipped, or thrown under CI) when absent.
 */
export function falcoRules(t: TestContext): string | undefined {
  const candidates = [
    process.env.EBPF_AUDIT_FALCO_RULES,
    ...[1, 2].map((up) => path.resolve(ROOT_DIR, ...Array<string>(up).fill('..'), 'shared/reference/falco-rules/falco_rules.yaml')),
  ];
  const found = candidates.find((f) => f !== undefined && fs.existsSync(f));
  if (found) return found;
  missing(t, `Falco's stable rules not found (set EBPF_AUDIT_FALCO_RULES; looked in ${candidates.filter(Boolean).join(', ')})`);
  return undefined;
}

/** What `detect --check` prints for the default pack on this build: the same must hold wherever it is installed. */
export function defaultPackCheck(): string {
  return execFileSync(process.execPath, [CONSUMER_CLI, 'detect', '--check'], { encoding: 'utf8' });
}
