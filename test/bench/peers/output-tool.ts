/**
 * A peer that prints one line per event (libbpf-tools' opensnoop, bpftrace's opensnoop.bt): its
 * stdout goes to a file, and the loop's events are the lines that name the loop's target.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bpfProgIds, currentSyscall, waitFor } from '../lib/proc-stats';
import { lineCounter, type Peer, type PeerContext } from './peer';

/** epoll_wait, epoll_pwait, epoll_pwait2, poll, ppoll (x86-64): the tool sits in its event loop. */
const POLLING = new Set([232, 281, 441, 7, 271]);

export function outputTool(opts: { name: string; work: string; command: string; args: (ctx: PeerContext) => string[]; startTimeoutMs?: number }): Peer {
  let round = 0;
  let out = '';
  let err = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let count: () => number = () => 0;
  const lostLines = (): string[] => {
    try {
      return execFileSync('grep', ['-a', '^Lost [0-9]* events', out], { encoding: 'latin1' }).split('\n');
    } catch {
      return []; // grep: no such line
    }
  };
  const pid = (): number => child!.pid!;
  return {
    name: opts.name,
    cpuPids: () => [pid()],
    rssPid: pid,
    bpfPid: pid,
    async start(ctx) {
      out = path.join(opts.work, `${opts.name}-${++round}.out`);
      err = path.join(opts.work, `${opts.name}-${round}.err`);
      count = lineCounter(out, (l) => l.endsWith(ctx.target));
      child = spawn(opts.command, opts.args(ctx), { stdio: ['ignore', fs.openSync(out, 'w'), fs.openSync(err, 'w')] });
      exited = new Promise((resolve) => child!.once('exit', () => resolve()));
      const dead = (): boolean => child!.exitCode !== null || child!.signalCode !== null;
      // Attached once it holds its programs and waits in its poll loop (output is block-buffered,
      // so a banner line cannot tell).
      await waitFor(
        `${opts.name} to attach`,
        () => {
          if (dead()) throw new Error(`${opts.name} exited: ${fs.readFileSync(err, 'utf8').slice(-2000)}`);
          return bpfProgIds(pid()).length > 0 && POLLING.has(currentSyscall(pid()));
        },
        opts.startTimeoutMs ?? 60000,
      );
    },
    delivered: async () => count(),
    async stop() {
      child!.kill('SIGINT');
      await exited;
      // opensnoop reports lost events on stderr, bpftrace among its output lines.
      let lost = 0;
      for (const l of [...fs.readFileSync(err, 'utf8').split('\n'), ...lostLines()]) lost += Number(/Lost (\d+) events/.exec(l)?.[1] ?? 0);
      const delivered = count();
      // This round's output is counted: it can go (hundreds of MB).
      fs.rmSync(out, { force: true });
      return { delivered, remark: `reported lost ${lost}` };
    },
    async cleanup() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
