/**
 * The memory queue in front of Kafka and how batches are cut from it. Entries stay queued until
 * Kafka acknowledges them (the batch in flight is the head of the queue), so a failed batch is
 * retried or moved to the spool with everything behind it, in order.
 */
import type { Message } from 'kafkajs';
import type { SpoolRecord } from './spool';

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** Sends one request to Kafka; resolves when it is acknowledged. */
export type Send = (batch: TopicMessages[]) => Promise<void>;

export interface Entry {
  topic: string;
  message: Message;
  /** Estimated size in a request. */
  bytes: number;
  /** When it was queued (ms): the age bound is checked on the oldest entry. */
  at: number;
}

/** Record overhead in a v2 record batch (varints, attributes, header keys) plus headers: an upper estimate. */
const RECORD_OVERHEAD = 64;

const headerBytes = new WeakMap<object, number>();

function headersSize(h: NonNullable<Message['headers']>): number {
  let n = 0;
  for (const [k, v] of Object.entries(h)) n += k.length + (v ? Buffer.byteLength(v as Buffer | string) : 0);
  return n;
}

export function sizeOf(m: Message): number {
  let n = RECORD_OVERHEAD + (m.value ? (m.value as Buffer).length : 0) + (m.key ? Buffer.byteLength(m.key as Buffer | string) : 0);
  const h = m.headers;
  if (h) {
    // A frozen header set (the pipeline shares one per kind) cannot change: measured once.
    if (!Object.isFrozen(h)) return n + headersSize(h);
    let hs = headerBytes.get(h);
    if (hs === undefined) headerBytes.set(h, (hs = headersSize(h)));
    n += hs;
  }
  return n;
}

/** sizeOf for a spooled record (header sets are shared, so their size is computed once each). */
export function recordSizeOf(r: SpoolRecord): number {
  let h = headerBytes.get(r.headers);
  if (h === undefined) {
    h = 0;
    for (const [k, v] of Object.entries(r.headers)) h += k.length + Buffer.byteLength(v);
    headerBytes.set(r.headers, h);
  }
  return RECORD_OVERHEAD + r.value.length + r.key.length + h;
}

const NO_HEADERS: Record<string, string> = {};

/** Headers as strings; the same object when they are already (the pipeline shares one per kind). */
function stringHeaders(h: Message['headers']): Record<string, string> {
  if (!h) return NO_HEADERS;
  for (const v in h) if (typeof h[v] !== 'string') return Object.fromEntries(Object.entries(h).map(([k, x]) => [k, String(x)]));
  return h as Record<string, string>;
}

export const toRecord = (topic: string, m: Message): SpoolRecord => ({
  topic,
  key: Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key ?? ''),
  value: m.value as Buffer,
  timestamp: m.timestamp ?? String(Date.now()),
  headers: stringHeaders(m.headers),
});

export const toMessage = (r: SpoolRecord): Message => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });

/** One request's messages grouped by topic (order kept within each topic). */
export function groupByTopic(entries: Iterable<{ topic: string; message: Message }>): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const e of entries) {
    let list = byTopic.get(e.topic);
    if (!list) byTopic.set(e.topic, (list = []));
    list.push(e.message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export interface MessageQueue {
  readonly size: number;
  /** The queued entries' estimated bytes, summed. */
  readonly bytes: number;
  /** Queue a message: its estimated size in a request, and when it was queued (ms). */
  push(topic: string, message: Message, bytes: number, at: number): void;
  /** When the oldest entry was queued; undefined when empty. */
  oldestAt(): number | undefined;
  /** How many head entries the next request takes (up to `limit`, and `maxBytes` past the first), and their bytes. */
  cut(limit: number, maxBytes: number): { n: number; bytes: number };
  /** The first n entries' messages grouped by topic, for a request. */
  request(n: number): TopicMessages[];
  /** Drop the first n entries (acknowledged or moved elsewhere). */
  take(n: number): void;
  /** Every entry, oldest first, and an empty queue. */
  drain(): Entry[];
}

/**
 * The entries are kept in parallel arrays, not an object each: a message waits here tens of
 * milliseconds, long enough to survive scavenges and be copied and promoted with everything it
 * holds, so every object less per message is young-generation work and old-generation garbage
 * less (the sizes and times are stored unboxed in their arrays).
 */
export function createMessageQueue(): MessageQueue {
  let topics: string[] = [];
  let messages: Message[] = [];
  let sizes: number[] = [];
  let ats: number[] = [];
  let start = 0;
  let bytes = 0;
  const reset = (): void => {
    topics = [];
    messages = [];
    sizes = [];
    ats = [];
    start = 0;
  };
  return {
    get size() {
      return messages.length - start;
    },
    get bytes() {
      return bytes;
    },
    push(topic, message, size, at) {
      topics.push(topic);
      messages.push(message);
      sizes.push(size);
      ats.push(at);
      bytes += size;
    },
    oldestAt: () => (start < ats.length ? ats[start] : undefined),
    cut(limit, maxBytes) {
      let n = 0;
      let cutBytes = 0;
      const size = messages.length - start;
      while (n < size && n < limit && (n === 0 || cutBytes + sizes[start + n] <= maxBytes)) cutBytes += sizes[start + n++];
      return { n, bytes: cutBytes };
    },
    request(n) {
      // Nearly always one topic per request (the file events): one slice, no map.
      const first = topics[start];
      let i = start + 1;
      while (i < start + n && topics[i] === first) i++;
      if (i === start + n) return [{ topic: first, messages: messages.slice(start, start + n) }];
      const byTopic = new Map<string, Message[]>();
      for (let j = start; j < start + n; j++) {
        let list = byTopic.get(topics[j]);
        if (!list) byTopic.set(topics[j], (list = []));
        list.push(messages[j]);
      }
      return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
    },
    take(n) {
      for (let i = start; i < start + n; i++) bytes -= sizes[i];
      start += n;
      // The consumed prefix is dropped in bulk, not per batch.
      if (start === messages.length) reset();
      else if (start > 65536 && start * 2 > messages.length) {
        topics = topics.slice(start);
        messages = messages.slice(start);
        sizes = sizes.slice(start);
        ats = ats.slice(start);
        start = 0;
      }
    },
    drain() {
      const all: Entry[] = [];
      for (let i = start; i < messages.length; i++) all.push({ topic: topics[i], message: messages[i], bytes: sizes[i], at: ats[i] });
      reset();
      bytes = 0;
      return all;
    },
  };
}
