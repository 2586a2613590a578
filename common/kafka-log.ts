/**
 * kafkajs logs routed into our pino logger. kafkajs logs an ERROR line for every attempt at a
 * condition it retries by itself: a broker that is away or restarting, a group coordinator or a
 * partition leader not elected yet, a topic being created. Those are not errors to a reader: each
 * condition is said once at info (again at most once a minute while it lasts, with a count), the
 * repeats go to debug. A protocol error in a response goes to debug too: kafkajs throws it to
 * the caller, which logs it with its context. Anything else kafkajs calls an error stays one.
 */
import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger';

/** Conditions kafkajs retries, recognised by its own messages (kafkajs 2.2.4 is pinned). */
const TRANSIENT: [RegExp, string][] = [
  [
    /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection error|Connection timeout|Closed connection|Failed to connect|socket hang up|disconnected before a response|KafkaJSConnection/i,
    'broker unreachable or restarting',
  ],
  [/coordinator is not available|coordinator is loading|not the correct coordinator|not aware of this member|group is rebalancing/i, 'consumer group coordinator not ready yet'],
  [
    /no leader for this topic-partition|leadership election|not the leader for|does not host this topic-partition|LEADER_NOT_AVAILABLE|UNKNOWN_TOPIC_OR_PARTITION/i,
    'partition leader not elected yet (topic being created, or broker starting)',
  ],
  [/request timed out|Request .* timed out/i, 'request timed out'],
  [/Restarting the consumer in/i, 'consumer restarting after a retriable error'],
];

const REPEAT_MS = 60_000;

/** The transient condition a kafkajs line reports, or undefined. */
export function transientCondition(message: string, fields: Record<string, unknown>): string | undefined {
  const text = `${message} ${typeof fields.error === 'string' ? fields.error : ''}`;
  return TRANSIENT.find(([re]) => re.test(text))?.[1];
}

export function kafkaLogCreator(logger: Logger, opts: { transientLevel?: 'info' | 'debug' } = {}): logCreator {
  const base = logger.child({ component: 'kafkajs' });
  const said = new Map<string, { at: number; repeats: number }>();
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _ts, logger: _l, ...fields } = log as Record<string, unknown>;
      const msg = namespace ? `${namespace}: ${String(message)}` : String(message);
      if (level <= KafkaLogLevel.WARN) {
        const condition = transientCondition(String(message), fields);
        if (condition) {
          const now = Date.now();
          const s = said.get(condition);
          if (opts.transientLevel !== 'debug' && (!s || now - s.at >= REPEAT_MS)) {
            said.set(condition, { at: now, repeats: 0 });
            base.info({ condition, detail: msg, repeatsSinceLast: s?.repeats }, `Kafka: ${condition}; retrying`);
          } else {
            if (s) s.repeats++;
            base.debug({ ...fields, stack: undefined }, msg);
          }
          return;
        }
      }
      // A protocol error in a response is thrown to the caller, which logs it with its context.
      if (namespace === 'Connection' && /^Response /.test(String(message))) base.debug(fields, msg);
      else if (level <= KafkaLogLevel.ERROR) base.error(fields, msg);
      else if (level === KafkaLogLevel.WARN) base.warn(fields, msg);
      else if (level === KafkaLogLevel.INFO)
        base.debug(fields, msg); // kafkajs INFO is chatty
      else base.trace(fields, msg);
    };
}
