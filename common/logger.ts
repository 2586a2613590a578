import * as tty from 'node:tty';
import pino, { type Logger } from 'pino';
import { prettyDestination } from './log-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Logs on stderr (stdout belongs to console output): JSON lines, or short human lines when stderr
 * is a terminal (`format: 'auto'`, the default), as for systemd and files JSON stays. Synchronous
 * writes: log volume is low and a log line must not be lost when the process exits right after
 * an error.
 */
export function createLogger(opts: { name: string; level: LogLevel; format?: 'auto' | 'json' | 'pretty' }): Logger {
  const pretty = opts.format === 'pretty' || ((opts.format ?? 'auto') === 'auto' && tty.isatty(2));
  return pino(
    {
      name: opts.name,
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials, even if a config object is logged whole by mistake.
      redact: { paths: ['*.password', '*.sasl', 'password', 'sasl'], censor: '[redacted]' },
    },
    pretty ? prettyDestination(2, true) : pino.destination({ fd: 2, sync: true }),
  );
}
