/**
 * One way to use a Kafka admin client: connect, run, always disconnect; optionally retry what
 * Kafka calls retriable. Right after a broker (re)start, metadata already names a leader that
 * still answers NOT_LEADER or UNKNOWN_TOPIC_OR_PARTITION while it loads its logs: those calls
 * succeed a few seconds later, so callers that run at start ask for `retry`.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from './logger';

export interface RetryOptions {
  /** Give up after this long (default 30 s); the last error is thrown. */
  forMs?: number;
  /** Pause between attempts (default 500 ms). */
  everyMs?: number;
  /** Also retry errors that kafkajs does not mark retriable. */
  when?: (err: unknown) => boolean;
  /** Retries are logged here at debug level. */
  logger?: Logger;
  /** Stop retrying (and rethrow) once this aborts. */
  signal?: AbortSignal;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const isRetriable = (err: unknown): boolean => (err as { retriable?: boolean } | undefined)?.retriable === true;

/** Run `fn` until it succeeds, a non-retriable error comes, or the time runs out. */
export async function retrying<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.forMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const again = isRetriable(err) || (opts.when?.(err) ?? false);
      if (!again || Date.now() >= deadline || opts.signal?.aborted) throw err;
      opts.logger?.debug({ err, attempt }, 'retrying a Kafka call');
      await sleep(opts.everyMs ?? 500);
    }
  }
}

/** Connect an admin client, run `fn` with it (retried as a whole when `retry` is given), disconnect. */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>, opts: { retry?: RetryOptions } = {}): Promise<T> {
  const run = async (): Promise<T> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  };
  return opts.retry ? retrying(run, opts.retry) : run();
}

/**
 * Call `check` every `everyMs` until it returns true (resolves true), `forMs` passes (throws, with
 * `what` in the message) or `signal` aborts (resolves false).
 */
export async function pollUntil(check: () => Promise<boolean>, opts: { what: string; everyMs?: number; forMs?: number; signal?: AbortSignal }): Promise<boolean> {
  const deadline = opts.forMs === undefined ? Infinity : Date.now() + opts.forMs;
  while (!opts.signal?.aborted) {
    if (await check()) return true;
    if (Date.now() >= deadline) throw new Error(`${opts.what}: not after ${opts.forMs} ms`);
    await sleep(opts.everyMs ?? 500);
  }
  return false;
}
