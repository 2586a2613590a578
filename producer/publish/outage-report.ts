/**
 * What the log says while Kafka does not take messages: one line when it starts, a summary at a
 * steady pace while it lasts (not a line per failed attempt), one line when it ends.
 */
import { errorMessage } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { withGetters } from '../../common/with-getters';

export interface OutageReport {
  readonly active: boolean;
  /** The outage starts (idempotent while one is active). */
  begin(reason: string, fields: Record<string, unknown>): void;
  /** One more failed attempt. */
  failed(err: unknown): void;
  /** Called often: logs a summary when one is due. */
  tick(fields: () => Record<string, unknown>): void;
  /** Kafka takes messages again (idempotent when none is active). */
  end(fields: Record<string, unknown>): void;
}

export function createOutageReport(opts: { logger: Logger; intervalMs: number; spooling: boolean }): OutageReport {
  const log = opts.logger;
  let since: number | undefined;
  let attempts = 0;
  let lastError: string | undefined;
  let lastLine = 0;
  const downForS = (now: number): number => Math.round((now - since!) / 100) / 10;
  return withGetters<OutageReport, 'active'>(
    {
      begin(reason, fields) {
        if (since !== undefined) return;
        since = lastLine = Date.now();
        attempts = 0;
        lastError = undefined;
        log.warn({ reason, ...fields }, opts.spooling ? 'spooling to disk until Kafka takes messages again' : 'Kafka does not take messages: they wait in memory');
      },
      failed(err) {
        attempts++;
        lastError = errorMessage(err);
      },
      tick(fields) {
        const now = Date.now();
        if (since === undefined || now - lastLine < opts.intervalMs) return;
        lastLine = now;
        log.warn({ downForS: downForS(now), failedAttempts: attempts, lastError, ...fields() }, opts.spooling ? 'Kafka still unavailable: spooling' : 'Kafka still unavailable');
      },
      end(fields) {
        if (since === undefined) return;
        log.info(
          { downForS: downForS(Date.now()), failedAttempts: attempts, ...fields },
          opts.spooling ? 'Kafka takes messages again: replaying the spool' : 'Kafka takes messages again',
        );
        since = undefined;
      },
    },
    { active: () => since !== undefined },
  );
}
