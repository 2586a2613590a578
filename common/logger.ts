import * as tty from 'node:tty';
import pino, { type Logger } from 'pino';
import { prettyDestination } from './log-pretty';
import { serializeError } from './serialize-error';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Logs on stderr (stdout belongs to console output): JSON lines, or short human lines when stderr
 * is a terminal (`format: 'auto'`, the default), as for systemd and files JSON stays. Synchronous
 * writes: log volume is low and a log line must not be lost when the process exits right after
 * an error. `destination` (JSON lines) is for tests.
 */
export function createLogger(opts: { name: string; level: LogLevel; format?: 'auto' | 'json' | 'pretty'; destination?: pino.DestinationStream }): Logger {
  const pretty = !opts.destination && (opts.format === 'pretty' || ((opts.format ?? 'auto') === 'auto' && tty.isatty(2)));
  return pino(
    {
      name: opts.name,
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials, even if a config object is logged whole by mistake.
      redact: { paths: ['*.password', '*.sasl', 'password', 'sasl'], censor: '[redacted]' },
      // `{ err }` logs the error's type, message, stack and causes, never what it holds (see
      // serialize-error.ts: an OpenSearch error carries its request's Authorization header).
      serializers: { err: serializeError },
    },
    opts.destination ?? (pretty ? prettyDestination(2, true) : pino.destination({ fd: 2, sync: true })),
  );
}
