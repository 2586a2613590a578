/**
 * The open/close loop of the benchmarks (test/bench/loadgen.c), one process driven pass by pass
 * through its stdin: tools that filter by pid see the same pid in every pass.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT_DIR } from '../../helpers/env';

export interface PassResult {
  opens: number;
  seconds: number;
  /** opens per second */
  rate: number;
  /** the loop's CPU time (user + system: its syscalls and the BPF programs they run) per open+close */
  cpu_ns_per_open: number;
}

export interface Loop {
  pid: number;
  /** Run one pass of `opens` openat+close and resolve with its rate. */
  pass(): Promise<PassResult>;
  close(): Promise<void>;
}

/** Compile loadgen.c (into test/bench/build/, under `name`, which becomes its comm) and return its path. */
export function buildLoadgen(name = 'loadgen'): string {
  const build = path.join(ROOT_DIR, 'test/bench/build');
  fs.mkdirSync(build, { recursive: true });
  const bin = path.join(build, name);
  execFileSync('cc', ['-O2', '-o', bin, path.join(ROOT_DIR, 'test/bench/loadgen.c')]);
  return bin;
}

/** Start the loop pinned to `cpu`, waiting for its first pass. */
export function startLoop(opts: { loadgen: string; opens: number; target: string; cpu: number }): Loop {
  const child = spawn('taskset', ['-c', String(opts.cpu), opts.loadgen, String(opts.opens), opts.target], {
    env: { ...process.env, LOADGEN_STDIN: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // taskset execs the loop: the child's pid is the loop's.
  return {
    pid: child.pid!,
    pass() {
      const line = new Promise<string>((resolve, reject) => {
        const queued = lines.shift();
        if (queued !== undefined) return resolve(queued);
        waiters.push(resolve);
        void exited.then(() => reject(new Error('the open/close loop exited during a pass')));
      });
      child.stdin.write('x');
      return line.then((l) => JSON.parse(l) as PassResult);
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}
