/** What the side-by-side benchmark (test/bench/peers.ts) needs from each tool it runs. */
import * as fs from 'node:fs';

export interface PeerContext {
  /** The open/close loop's pid: every tool traces this process only, filtered in the kernel. */
  loopPid: number;
  /** The file the loop opens: its events are counted by this path. */
  target: string;
}

export interface Stopped {
  /** The loop's events the tool delivered (in Kafka, or in its output). */
  delivered: number;
  /** What the tool said it lost, or other remarks. */
  remark: string;
}

export interface Peer {
  name: string;
  /** The processes whose CPU time counts as the tool's. */
  cpuPids(): number[];
  /** The process whose peak RSS is reported. */
  rssPid(): number;
  /** The process that holds the tool's BPF programs, or undefined (auditd). */
  bpfPid(): number | undefined;
  /** Before the loop starts: auditd audits only processes started while audit is on. */
  beforeLoop?(): Promise<void>;
  /** After the loop started, before its unmonitored pass. */
  afterLoopStarted?(): Promise<void>;
  /** Attach to the loop (a round begins); resolves when capturing. */
  start(ctx: PeerContext): Promise<void>;
  /** The loop's events delivered so far in this round. */
  delivered(): Promise<number>;
  /** Detach (stop the tool, which flushes) and count what it delivered in this round. */
  stop(): Promise<Stopped>;
  /** Leave the machine as it was, whatever happened (idempotent). */
  cleanup(): Promise<void>;
}

/**
 * Counts the lines of a growing file that satisfy `match`, reading only what was appended since
 * the last call (the tools' outputs reach hundreds of MB).
 */
export function lineCounter(file: string, match: (line: string) => boolean): () => number {
  let offset = 0;
  let count = 0;
  let rest = '';
  const chunk = Buffer.alloc(1 << 20);
  return () => {
    if (!fs.existsSync(file)) return 0;
    const fd = fs.openSync(file, 'r');
    try {
      for (;;) {
        const n = fs.readSync(fd, chunk, 0, chunk.length, offset);
        if (n === 0) break;
        offset += n;
        const lines = (rest + chunk.toString('latin1', 0, n)).split('\n');
        rest = lines.pop()!;
        for (const l of lines) if (match(l)) count++;
      }
    } finally {
      fs.closeSync(fd);
    }
    return count;
  };
}
