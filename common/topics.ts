import { EVENT_KINDS, type EventKind } from '../schemas/types';

/** Topic per event kind: <prefix>.file, <prefix>.net, <prefix>.process. */
export function topicFor(prefix: string, kind: EventKind): string {
  return `${prefix}.${kind}`;
}

export function kindOfTopic(prefix: string, topic: string): EventKind | undefined {
  return EVENT_KINDS.find((k) => topicFor(prefix, k) === topic);
}

/** Topic prefixes become Kafka topic names: legal characters only, and room for the suffix. */
export function validateTopicPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(prefix)) {
    throw new Error(`topic prefix "${prefix}" must be 1-200 characters of [A-Za-z0-9._-]`);
  }
  return prefix;
}

/** The producer's own accounting (StatsEvent): <prefix>.stats, not an event topic. */
export function statsTopic(prefix: string): string {
  return `${prefix}.stats`;
}

/** Writer schemas, compacted, keyed by fingerprint (hex): any consumer can resolve any version. */
export function schemasTopic(prefix: string): string {
  return `${prefix}.schemas`;
}

/** Alerts from `detect`, keyed by host: <prefix>.alerts. */
export function alertsTopic(prefix: string): string {
  return `${prefix}.alerts`;
}
