/**
 * The spool's record framing, as pure Buffer functions: u32 payload length, u32 CRC-32 of the
 * payload, payload. Payload: u8 version (1), u16 topic length + topic, u16 key length + key, u32
 * value length + value, u64 timestamp (ms), u8 header count, then per header u8 key length + key,
 * u16 value length + value.
 *
 * A crash mid-write or a damaged disk leaves bytes that are not a record. `check` says whether a
 * whole, intact record starts at an offset, so a reader can skip damage and resynchronise on the
 * next record whose header and CRC hold (a false match needs a plausible length, the version byte
 * and a 32-bit CRC to agree by chance).
 */
import * as zlib from 'node:zlib';

export interface SpoolRecord {
  topic: string;
  key: Buffer;
  value: Buffer;
  timestamp: string;
  headers: Record<string, string>;
}

export const HEADER_BYTES = 8;
const VERSION = 1;
/** version, topic length, key length, value length, timestamp, header count */
const MIN_PAYLOAD = 1 + 2 + 2 + 4 + 8 + 1;
/** Far above any Kafka message (1 MiB by default): a longer length field is damage. */
export const MAX_PAYLOAD = 16 << 20;

/**
 * Most records share a few topics, keys and header sets (one per event kind), so their encoded
 * and decoded forms are cached: a spool under load is on the hot path, and per-record buffers and
 * header objects were most of its cost (garbage collection).
 */
const MAX_CACHED = 256;
const encodedTopics = new Map<string, Buffer>();
const encodedHeaders = new WeakMap<Record<string, string>, Buffer>();

function cached<K, V>(map: Map<K, V>, k: K, make: () => V): V {
  let v = map.get(k);
  if (v === undefined) {
    if (map.size >= MAX_CACHED) map.clear();
    map.set(k, (v = make()));
  }
  return v;
}

/** u8 count, then per header u8 key length + key, u16 value length + value. */
function encodeHeaders(h: Record<string, string>): Buffer {
  let b = encodedHeaders.get(h);
  if (b) return b;
  const hs = Object.entries(h).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const);
  b = Buffer.allocUnsafe(1 + hs.reduce((n, [k, v]) => n + 1 + k.length + 2 + v.length, 0));
  let o = b.writeUInt8(hs.length, 0);
  for (const [k, v] of hs) {
    o = b.writeUInt8(k.length, o);
    o += k.copy(b, o);
    o = b.writeUInt16LE(v.length, o);
    o += v.copy(b, o);
  }
  encodedHeaders.set(h, b);
  return b;
}

export function encodeRecord(r: SpoolRecord): Buffer {
  const topic = cached(encodedTopics, r.topic, () => Buffer.from(r.topic));
  const hs = encodeHeaders(r.headers);
  const n = MIN_PAYLOAD - 1 + topic.length + r.key.length + r.value.length + hs.length;
  const b = Buffer.allocUnsafe(HEADER_BYTES + n);
  let o = HEADER_BYTES;
  o = b.writeUInt8(VERSION, o);
  o = b.writeUInt16LE(topic.length, o);
  o += topic.copy(b, o);
  o = b.writeUInt16LE(r.key.length, o);
  o += r.key.copy(b, o);
  o = b.writeUInt32LE(r.value.length, o);
  o += r.value.copy(b, o);
  o = b.writeBigUInt64LE(BigInt(r.timestamp), o);
  hs.copy(b, o);
  b.writeUInt32LE(n, 0);
  b.writeUInt32LE(zlib.crc32(b.subarray(HEADER_BYTES)), 4);
  return b;
}

const decodedTopics = new Map<string, string>();
const decodedKeys = new Map<string, Buffer>();
const decodedHeaders = new Map<string, Record<string, string>>();

/**
 * Decode a payload whose CRC held; throws RangeError if its fields overrun it. The value is a view
 * of `p` (no copy); topic, key and headers are shared with earlier records that had the same bytes.
 */
export function decodeRecord(p: Buffer): SpoolRecord {
  let o = 1;
  const tl = p.readUInt16LE(o);
  const topic = cached(decodedTopics, p.toString('latin1', (o += 2), (o += tl)), () => p.toString('utf8', o - tl, o));
  const kl = p.readUInt16LE(o);
  const keyBytes = p.subarray((o += 2), (o += kl));
  const key = cached(decodedKeys, keyBytes.toString('latin1'), () => Buffer.from(keyBytes));
  const vl = p.readUInt32LE(o);
  if ((o += 4) + vl > p.length) throw new RangeError('value overruns the record');
  const value = p.subarray(o, (o += vl));
  const timestamp = String(p.readBigUInt64LE(o));
  o += 8;
  const headers = cached(decodedHeaders, p.toString('latin1', o, p.length), () => {
    const h: Record<string, string> = {};
    const hc = p.readUInt8(o++);
    for (let i = 0; i < hc; i++) {
      const k = p.toString('utf8', o + 1, o + 1 + p[o]);
      o += 1 + p[o];
      const vlen = p.readUInt16LE(o);
      h[k] = p.toString('utf8', o + 2, o + 2 + vlen);
      o += 2 + vlen;
    }
    if (o !== p.length) throw new RangeError('headers do not fill the record');
    // Frozen: shared by every record with these bytes, and kafkajs encodes a frozen set once.
    return Object.freeze(h);
  });
  return { topic, key, value, timestamp, headers };
}

/**
 * What starts at `o` in `buf`: a whole intact record (`ok`, its total length), a plausible header
 * whose record does not fit in `buf` (`more`, the bytes needed from `o`), or damage (`bad`).
 */
export type Check = { kind: 'ok'; length: number } | { kind: 'more'; need: number } | { kind: 'bad' };

const BAD: Check = { kind: 'bad' };

export function check(buf: Buffer, o: number): Check {
  if (o + HEADER_BYTES > buf.length) return { kind: 'more', need: HEADER_BYTES };
  const n = buf.readUInt32LE(o);
  if (n < MIN_PAYLOAD || n > MAX_PAYLOAD) return BAD;
  if (o + HEADER_BYTES + n > buf.length) return buf[o + HEADER_BYTES] === VERSION || o + HEADER_BYTES >= buf.length ? { kind: 'more', need: HEADER_BYTES + n } : BAD;
  if (buf[o + HEADER_BYTES] !== VERSION) return BAD;
  if (zlib.crc32(buf.subarray(o + HEADER_BYTES, o + HEADER_BYTES + n)) !== buf.readUInt32LE(o + 4)) return BAD;
  return { kind: 'ok', length: HEADER_BYTES + n };
}
