/**
 * auditd as a peer: Debian's auditd with Debian's default settings, logging to the benchmark's
 * directory (no rotation), and one rule auditing the loop's openat calls. The loop's events are
 * the SYSCALL records of its pid in the log. Its CPU is auditd's plus the kernel's kauditd thread.
 *
 * The kernel gives a process an audit context only if audit was enabled when it was forked, so the
 * loop starts while audit is on, and the unmonitored pass runs with audit off again. Everything is
 * put back afterwards (enabled flag, backlog settings, no rules, auditd stopped). One trace stays:
 * once audit has been enabled, the kernel gives every new process an audit context until reboot,
 * whose cost while audit is off is a flag check per syscall.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pidOfComm, sleep, waitFor } from '../lib/proc-stats';
import { lineCounter, type Peer } from './peer';

const KEY = 'ea-bench-peers';

interface AuditStatus {
  enabled: number;
  failure: number;
  pid: number;
  backlog_limit: number;
  backlog_wait_time: number;
  lost: number;
}

function auditctl(...args: string[]): string {
  return execFileSync('auditctl', args, { encoding: 'utf8' });
}

function status(): AuditStatus {
  const s: Record<string, number> = {};
  for (const line of auditctl('-s').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) s[k] = Number(v);
  }
  return s as unknown as AuditStatus;
}

export function auditd(opts: { work: string }): Peer {
  const dir = path.join(opts.work, 'audit');
  const log = path.join(dir, 'audit.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let saved: AuditStatus | undefined;
  let lost0 = 0;
  let count: () => number = () => 0;
  /** The loop's SYSCALL records in the log before this round (one log, one pid for every round). */
  let base = 0;
  const kauditd = pidOfComm('kauditd');
  const pid = (): number => child!.pid!;
  const restore = (): void => {
    if (!saved) return;
    auditctl('-D');
    auditctl('-e', String(saved.enabled), '-f', String(saved.failure), '-b', String(saved.backlog_limit), '--backlog_wait_time', String(saved.backlog_wait_time));
    saved = undefined;
  };
  return {
    name: 'auditd',
    cpuPids: () => (kauditd ? [pid(), kauditd] : [pid()]),
    rssPid: pid,
    bpfPid: () => undefined,
    async beforeLoop() {
      const s = status();
      if (s.pid !== 0) throw new Error(`an audit daemon already runs (pid ${s.pid}): not touching it`);
      if (!/No rules/.test(auditctl('-l'))) throw new Error('audit rules are loaded: not touching them');
      saved = s;
      // Debian's auditd.conf, but logging here without rotation, and no dispatcher plugins.
      fs.mkdirSync(path.join(dir, 'plugins.d'), { recursive: true });
      const conf = fs
        .readFileSync('/etc/audit/auditd.conf', 'utf8')
        .replace(/^log_file = .*$/m, `log_file = ${log}`)
        .replace(/^max_log_file_action = .*$/m, 'max_log_file_action = IGNORE')
        .replace(/^plugin_dir = .*$/m, `plugin_dir = ${path.join(dir, 'plugins.d')}`);
      fs.writeFileSync(path.join(dir, 'auditd.conf'), conf, { mode: 0o640 });
      child = spawn('auditd', ['-n', '-s', 'nochange', '-c', dir], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'auditd.err'), 'w')] });
      exited = new Promise((resolve) => child!.once('exit', () => resolve()));
      await waitFor(
        'auditd to register with the kernel',
        () => {
          if (child!.exitCode !== null) throw new Error(`auditd exited: ${fs.readFileSync(path.join(dir, 'auditd.err'), 'utf8')}`);
          return status().pid === pid();
        },
        20000,
      );
      // Debian's default rules file (/etc/audit/rules.d/audit.rules): its buffer and wait settings.
      auditctl('-b', '8192', '--backlog_wait_time', '60000', '-f', '1');
      auditctl('-e', '1');
    },
    async afterLoopStarted() {
      auditctl('-e', '0');
    },
    async start(ctx) {
      const counter = lineCounter(log, (l) => l.startsWith('type=SYSCALL') && l.includes(` pid=${ctx.loopPid} `) && l.includes(KEY));
      base = counter();
      count = () => counter() - base;
      auditctl('-a', 'always,exit', '-F', 'arch=b64', '-S', 'openat', '-F', `pid=${ctx.loopPid}`, '-k', KEY);
      lost0 = status().lost;
      auditctl('-e', '1');
    },
    delivered: async () => count(),
    async stop() {
      const lost = status().lost - lost0;
      // Detached: no rule, audit off (as for the loop's pass alone); auditd keeps running.
      auditctl('-D');
      auditctl('-e', '0');
      // auditd writes its log asynchronously: count once the count holds for a second.
      let n = -1;
      for (let same = 0; same < 5; await sleep(200)) same = count() === n ? same + 1 : ((n = count()), 0);
      return { delivered: n, remark: `kernel lost ${lost}` };
    },
    async cleanup() {
      restore();
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(log, { force: true });
    },
  };
}
