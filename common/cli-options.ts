/** Option parsing shared by the CLIs: each bad value becomes a ConfigError naming its flag. */
import { ConfigError } from './errors';
import { parseBrokers } from './kafka';
import { LOG_LEVELS, type LogLevel } from './logger';
import { validateTopicPrefix } from './topics';

/** Commander collector for a repeatable, comma-separated list option. */
export const collect = (value: string, previous: string[]): string[] =>
  previous.concat(value.split(',').map((s) => s.trim()).filter((s) => s));

export function brokersOption(value: string): string[] {
  try {
    return parseBrokers(value);
  } catch (err) {
    throw new ConfigError(`--brokers: ${(err as Error).message}`);
  }
}

export function topicPrefixOption(value: string): string {
  try {
    return validateTopicPrefix(value);
  } catch (err) {
    throw new ConfigError(`--topic-prefix: ${(err as Error).message}`);
  }
}

export function logLevelOption(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return value as LogLevel;
}
