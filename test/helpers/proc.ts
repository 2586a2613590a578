/** Child processes for CLI tests: collect output, wait for a line, stop with a signal, never leak. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolve with the first stdout line matching `re`, or reject after timeoutMs. */
  waitForLine(re: RegExp, timeoutMs: number, stream?: 'stdout' | 'stderr'): Promise<string>;
  /** Resolve with the exit code (or signal name). */
  exited(): Promise<number | string>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export function start(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Running {
  const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out.stdout += d;
    listeners.forEach((l) => l());
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out.stderr += d;
    listeners.forEach((l) => l());
  });
  const exit = new Promise<number | string>((resolve) =>
    child.once('exit', (code, sig) => {
      running.delete(child);
      listeners.forEach((l) => l());
      resolve(code ?? sig ?? -1);
    }),
  );
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitForLine(re, timeoutMs, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const line = out[stream].split('\n').find((l) => re.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
            return true;
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${cmd} exited (${child.exitCode ?? child.signalCode}) before printing ${re}\nstderr: ${out.stderr.slice(-3000)}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${stream} line matching ${re} within ${timeoutMs} ms\nstdout tail: ${out.stdout.slice(-2000)}\nstderr tail: ${out.stderr.slice(-3000)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        const listener = (): void => void check();
        listeners.add(listener);
        check();
      });
    },
    exited: () => exit,
    async stop(signal = 'SIGINT', timeoutMs = 20000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
