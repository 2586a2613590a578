/**
 * The store backend of the console: queries run in a worker thread (store-worker.ts), because
 * SQLite calls are synchronous and a long search must not stall the live stream or other pages.
 * One query runs at a time, a few more may wait (beyond that: 503, busy), and each has a deadline:
 * the worker checks it between pieces of work, and if it still has not answered some seconds
 * later, the worker is ended and a fresh one takes the next query.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../common/logger';
import type { StoreBackend } from './store-backend';
import { StoreError } from './store-backend';

export interface StoreClientOptions {
  dir: string;
  logger: Logger;
  /** Each query's time budget. */
  timeoutMs: number;
  /** Queries that may wait for the worker. */
  maxQueued?: number;
  /** The worker script (default: store-worker.js beside this file). */
  workerFile?: string;
  /** Time a worker gets past a deadline before it is ended (default 5 s). */
  graceMs?: number;
}

/** Messages from the worker. */
export type WorkerReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; status: number; error: string; col?: number; stack?: string } | { id: number; chunk: string };

/** A request to the worker: the StoreBackend method and its arguments, with the deadline. */
export interface WorkerRequest {
  id: number;
  op: string;
  args: unknown[];
  deadlineMs: number;
}

interface Pending {
  req: WorkerRequest;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onChunk?: (chunk: string) => Promise<void>;
}

/** Time the worker gets past a deadline before it is ended (it checks the deadline between steps). */
const GRACE_MS = 5000;
const DAY_FILE = /^events-\d{4}-\d{2}-\d{2}\.db$/;

export function createStoreClient(opts: StoreClientOptions): StoreBackend {
  const log = opts.logger.child({ component: 'store-client' });
  const file = opts.workerFile ?? path.join(__dirname, 'store-worker.js');
  const maxQueued = opts.maxQueued ?? 16;
  const queue: Pending[] = [];
  let worker: Worker | undefined;
  let current: Pending | undefined;
  let timer: NodeJS.Timeout | undefined;
  let nextId = 1;
  let closed = false;

  function spawn(): Worker {
    const w = new Worker(file, { workerData: { dir: opts.dir } });
    w.unref();
    w.on('message', (m: WorkerReply | { id: number; ack?: never }) => onMessage(w, m as WorkerReply));
    w.on('error', (err) => {
      log.error({ err }, 'store worker failed');
      finish(w, new StoreError(500, 'the store query failed (see the console log)'));
    });
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      finish(w, new StoreError(500, 'the store worker stopped'));
    });
    return w;
  }

  function finish(w: Worker, err: unknown): void {
    if (worker !== w || !current) return;
    const p = current;
    current = undefined;
    clearTimeout(timer);
    p.reject(err);
    pump();
  }

  function onMessage(w: Worker, m: WorkerReply): void {
    if (w !== worker || !current || m.id !== current.req.id) return;
    const p = current;
    if ('chunk' in m) {
      // Export: the next chunk is asked for once this one is written (backpressure).
      p.onChunk!(m.chunk).then(
        () => w.postMessage({ ack: m.id }),
        (err: unknown) => {
          w.postMessage({ cancel: m.id });
          finish(w, err);
        },
      );
      return;
    }
    current = undefined;
    clearTimeout(timer);
    if (m.ok) p.resolve(m.result);
    else {
      // The worker's error crossed as text: rebuilt, so the log line has its stack.
      if (m.status >= 500) log.error({ op: p.req.op, err: Object.assign(new Error(m.error), { stack: m.stack }) }, 'store query failed');
      p.reject(new StoreError(m.status, m.status >= 500 && m.status !== 503 ? 'the store query failed (see the console log)' : m.error, m.col));
    }
    pump();
  }

  function pump(): void {
    if (current || closed) return;
    const p = queue.shift();
    if (!p) return;
    worker ??= spawn();
    current = p;
    const w = worker;
    const wait = Math.max(0, p.req.deadlineMs - Date.now()) + (opts.graceMs ?? GRACE_MS);
    timer = setTimeout(() => {
      log.warn({ op: p.req.op, ms: wait }, 'store query overran its deadline; ending the worker');
      worker = undefined; // the next query gets a fresh worker at once
      void w.terminate();
      if (current === p) {
        current = undefined;
        p.reject(new StoreError(503, 'the query ran out of time; narrow the time range or the condition'));
        pump();
      }
    }, wait);
    w.postMessage(p.req);
  }

  function call<T>(op: string, args: unknown[], onChunk?: (chunk: string) => Promise<void>, timeoutMs = opts.timeoutMs): Promise<T> {
    if (closed) return Promise.reject(new StoreError(503, 'the console is stopping'));
    if (queue.length >= maxQueued) return Promise.reject(new StoreError(503, 'the store is busy with other queries; try again'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ req: { id: nextId++, op, args, deadlineMs: Date.now() + timeoutMs }, resolve: resolve as (v: unknown) => void, reject, onChunk });
      pump();
    });
  }

  const days = (): string[] => {
    try {
      return fs.readdirSync(opts.dir).filter((f) => DAY_FILE.test(f));
    } catch {
      return [];
    }
  };

  return {
    available: () => fs.existsSync(path.join(opts.dir, 'meta.db')),
    days: () => days().length,
    search: (f, limit, cursor) => call('search', [f, limit, cursor]),
    histogram: (f, buckets) => call('histogram', [f, buckets]),
    top: (f, field, n) => call('top', [f, field, n]),
    alerts: (q) => call('alerts', [q]),
    story: (ref, limit) => call('story', [ref, limit]),
    // An export also waits for the client to take each chunk: it gets more time than a query.
    export: (f, format, limit, write) => call('export', [f, format, limit], write, opts.timeoutMs * 6),
    lastEvents: () => call('lastEvents', []),
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const p of queue.splice(0)) p.reject(new StoreError(503, 'the console is stopping'));
      await worker?.terminate();
    },
  };
}
