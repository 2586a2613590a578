import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * JSON logs on stderr (stdout belongs to console output). Synchronous writes: log volume is low
 * and a log line must not be lost when the process exits right after an error.
 */
export function createLogger(opts: { name: string; level: LogLevel }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials, even if a config object is logged whole by mistake.
      redact: { paths: ['*.password', '*.sasl', 'password', 'sasl'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
