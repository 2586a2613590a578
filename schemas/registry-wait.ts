/**
 * Waiting out a schema registry that does not answer. The registry being away is an outage, not a
 * bad message or a bad config: the caller waits (backpressure) and retries with a growing pause,
 * logging when the wait starts, every 30 s while it lasts, and when it ends.
 */
import { AuditError } from '../common/errors';
import type { Logger } from '../common/logger';

/** The caller stopped (shutdown) while the registry was away. */
export class RegistryWaitAborted extends AuditError {
  constructor(what: string) {
    super(`stopped while waiting for the schema registry (${what})`);
  }
}

export interface WaitOptions {
  logger: Logger;
  /** What is being done, for the logs: "register subject x-value", "fetch schema 7". */
  what: string;
  /** Checked between attempts and while pausing: true ends the wait with RegistryWaitAborted. */
  stopped: () => boolean;
  /** Called during pauses, at most every second (a Kafka consumer's heartbeat). */
  onPause?: () => Promise<void>;
  /** Which errors mean "wait and try again" (default: those marked retriable). */
  retryIf?: (err: unknown) => boolean;
  initialMs?: number;
  maxMs?: number;
}

const isRetriable = (err: unknown): boolean => (err as { retriable?: boolean } | undefined)?.retriable === true;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `fn` until it succeeds or fails with a non-retriable error (thrown as is). */
export async function whileRegistryAway<T>(fn: () => Promise<T>, opts: WaitOptions): Promise<T> {
  let pause = opts.initialMs ?? 500;
  let since: number | undefined;
  let lastLog = 0;
  for (;;) {
    if (opts.stopped()) throw new RegistryWaitAborted(opts.what);
    try {
      const r = await fn();
      if (since !== undefined) opts.logger.info({ what: opts.what, waitedMs: Date.now() - since }, 'schema registry answers again');
      return r;
    } catch (err) {
      if (!(opts.retryIf ?? isRetriable)(err)) throw err;
      const now = Date.now();
      since ??= now;
      if (now - lastLog >= 30_000) {
        lastLog = now;
        opts.logger.warn({ what: opts.what, err, waitingMs: now - since }, 'schema registry unreachable; waiting');
      }
    }
    // Pause in small steps so a stop is seen at once and the heartbeat keeps going.
    const until = Date.now() + pause;
    while (Date.now() < until && !opts.stopped()) {
      await opts.onPause?.();
      await sleep(Math.min(until - Date.now(), 1000));
    }
    pause = Math.min(pause * 2, opts.maxMs ?? 5000);
  }
}
