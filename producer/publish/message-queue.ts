/**
 * The memory queue in front of Kafka and how batches are cut from it. Entries stay queued until
 * Kafka acknowledges them (the batch in flight is the head of the queue), so a failed batch is
 * retried or moved to the spool with everything behind it, in order.
 */
// Imported, not the global: Node's global Buffer is an accessor (a getter call per use, per message here).
import { Buffer } from 'node:buffer';
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
  // Methods, not getters: the publisher asks for size() per event (common/with-getters.ts says why).
  size(): number;
  /** The queued entries' estimated bytes, summed. */
  bytes(): number;
  /** Queue a message: its estimated size in a request, and when it was queued (ms). */
  push(topic: string, message: Message, bytes: number, at: number): void;
  /**
   * push() of a message given as its parts, the value as `length` bytes at `offset` of `store`
   * (-1: no value) and the timestamp in ms (NaN: none): no message object or Buffer to make.
   */
  pushBytes(
    topic: string,
    key: Message['key'],
    headers: Message['headers'],
    store: ArrayBufferLike,
    offset: number,
    length: number,
    stamp: number,
    bytes: number,
    at: number,
  ): void;
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

/** The ring's first capacity (64 bytes a slot); it doubles when full and never shrinks: 16 MiB at the 200,000 messages --max-queued allows. */
const FIRST_CAPACITY = 4096;

/**
 * The entries are kept in a ring of parallel arrays, not an object each, and not as the messages
 * offered: a message waits here tens of milliseconds, long enough to survive scavenges and be
 * copied and promoted with everything it holds, then to be garbage in the old generation until the
 * next full collection (with the encode slabs its value keeps alive): most of the producer's peak
 * RSS. So a message is taken apart when it is queued: its topic, key and headers (shared by every
 * message of a kind), the memory its value is a view of (an encode slab, shared by a few hundred
 * messages), the value's offset and length, its timestamp, estimated size and time. The numbers go
 * in typed arrays (no boxing, no write barrier); the arrays are allocated once and reused as a
 * ring, so pushing never grows or copies them after the first seconds. The message objects and
 * the views are made again when a request is cut, and live only until it is acknowledged.
 */
export function createMessageQueue(): MessageQueue {
  let capacity = FIRST_CAPACITY;
  let mask = capacity - 1;
  let topics: string[] = new Array<string>(capacity);
  let keys: Message['key'][] = new Array<Message['key']>(capacity);
  let headers: Message['headers'][] = new Array<Message['headers']>(capacity);
  /** The ArrayBuffer each value is a view of, its offset there, its length (-1: no value). */
  let stores: ArrayBufferLike[] = new Array<ArrayBufferLike>(capacity);
  let offsets = new Int32Array(capacity);
  let lengths = new Int32Array(capacity);
  /** Timestamps (ms) as numbers, as kafkajs reads them (NaN: none, kafkajs then stamps the send). */
  let stamps = new Float64Array(capacity);
  let sizes = new Float64Array(capacity);
  let ats = new Float64Array(capacity);
  /** The oldest entry's slot, and how many there are. */
  let head = 0;
  let count = 0;
  let bytes = 0;

  /** Twice the room, the entries copied oldest first to slot 0. */
  function grow(): void {
    const order = (i: number): number => (head + i) & mask;
    const moveRefs = <T>(a: T[]): T[] => {
      const b = new Array<T>(capacity * 2);
      for (let i = 0; i < count; i++) b[i] = a[order(i)];
      return b;
    };
    const moveNumbers = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity * 2);
      for (let i = 0; i < count; i++) b[i] = a[order(i)];
      return b;
    };
    topics = moveRefs(topics);
    keys = moveRefs(keys);
    headers = moveRefs(headers);
    stores = moveRefs(stores);
    offsets = moveNumbers(offsets, (n) => new Int32Array(n));
    lengths = moveNumbers(lengths, (n) => new Int32Array(n));
    stamps = moveNumbers(stamps, (n) => new Float64Array(n));
    sizes = moveNumbers(sizes, (n) => new Float64Array(n));
    ats = moveNumbers(ats, (n) => new Float64Array(n));
    capacity *= 2;
    mask = capacity - 1;
    head = 0;
  }

  /** The entry i places from the oldest, as a message again (a new object and view). */
  function messageAt(i: number): Message {
    const slot = (head + i) & mask;
    const length = lengths[slot];
    const stamp = stamps[slot];
    return {
      key: keys[slot],
      value: length < 0 ? null : Buffer.from(stores[slot], offsets[slot], length),
      // A number where kafkajs's type says string: its produce path only does arithmetic on it (pipeline.ts).
      timestamp: stamp === stamp ? (stamp as unknown as string) : undefined,
      headers: headers[slot],
    };
  }

  /** Forget the n oldest entries; their references are cleared, so acknowledged slabs can go. */
  function dropOldest(n: number): void {
    for (let i = 0; i < n; i++) {
      const slot = (head + i) & mask;
      bytes -= sizes[slot];
      stores[slot] = NO_STORE;
      keys[slot] = undefined;
      headers[slot] = undefined;
    }
    head = (head + n) & mask;
    count -= n;
    if (count === 0) bytes = 0; // no drift from float sums
  }

  function pushBytes(
    topic: string,
    key: Message['key'],
    header: Message['headers'],
    store: ArrayBufferLike,
    offset: number,
    length: number,
    stamp: number,
    size: number,
    at: number,
  ): void {
    if (count === capacity) grow();
    const slot = (head + count++) & mask;
    topics[slot] = topic;
    keys[slot] = key;
    headers[slot] = header;
    stores[slot] = length < 0 ? NO_STORE : store;
    offsets[slot] = length < 0 ? 0 : offset;
    lengths[slot] = length < 0 ? -1 : length;
    stamps[slot] = stamp;
    sizes[slot] = size;
    ats[slot] = at;
    bytes += size;
  }

  return {
    size: () => count,
    bytes: () => bytes,
    push(topic, message, size, at) {
      const value = message.value;
      const v = value == null ? undefined : typeof value === 'string' ? Buffer.from(value) : value;
      const stamp = message.timestamp === undefined || message.timestamp === null ? NaN : Number(message.timestamp);
      pushBytes(topic, message.key, message.headers, v ? v.buffer : NO_STORE, v ? v.byteOffset : 0, v ? v.length : -1, stamp, size, at);
    },
    pushBytes,
    oldestAt: () => (count > 0 ? ats[head] : undefined),
    cut(limit, maxBytes) {
      let n = 0;
      let cutBytes = 0;
      while (n < count && n < limit && (n === 0 || cutBytes + sizes[(head + n) & mask] <= maxBytes)) cutBytes += sizes[(head + n++) & mask];
      return { n, bytes: cutBytes };
    },
    request(n) {
      // Nearly always one topic per request (the file events): one list, no map.
      const first = topics[head];
      let i = 1;
      while (i < n && topics[(head + i) & mask] === first) i++;
      if (i === n) {
        const messages = new Array<Message>(n);
        for (let j = 0; j < n; j++) messages[j] = messageAt(j);
        return [{ topic: first, messages }];
      }
      const byTopic = new Map<string, Message[]>();
      for (let j = 0; j < n; j++) {
        const topic = topics[(head + j) & mask];
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(messageAt(j));
      }
      return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
    },
    take(n) {
      dropOldest(Math.min(n, count));
    },
    drain() {
      const all: Entry[] = [];
      for (let i = 0; i < count; i++) {
        const slot = (head + i) & mask;
        all.push({ topic: topics[slot], message: messageAt(i), bytes: sizes[slot], at: ats[slot] });
      }
      dropOldest(count);
      return all;
    },
  };
}

const NO_STORE = new ArrayBuffer(0);
