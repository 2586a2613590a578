/**
 * Loads the .avsc files, the source of truth for every record on the wire, and resolves writer
 * fingerprints (single-object encoding) and schema-registry ids (Confluent framing) to types. Readers decode with their own (newest) schema, resolving from the
 * writer's when the two differ, so producers and consumers of different versions interoperate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as avro from 'avsc';
import { DecodeError } from '../common/errors';
import { EVENT_KINDS, type EventKind } from './types';
import { rabinFingerprint } from './fingerprint';
import { CONFLUENT_HEADER_SIZE, encodeConfluentHeader, isConfluentFramed, readConfluentId } from './confluent-wire';
import { encodeHeader, HEADER_SIZE, splitMessage } from './wire';
import { constantRecord, fastString as fastWriteString, sameObjectRecord } from './fast-writers';
import { longValue, readLongParts, writeBigZigzag, type LongParts } from './zigzag-long';
import { LONG_MAX, longString, shortString } from './string-intern';
import { utf8Slice } from './utf8';
import { withGetters } from '../common/with-getters';

/** Where the .avsc files live: beside this module in the source tree, two levels up from dist/. */
export const SCHEMA_DIR =
  [path.resolve(__dirname), path.resolve(__dirname, '../../schemas')].find((d) => fs.existsSync(path.join(d, 'file_event.avsc'))) ?? path.resolve(__dirname, '../../schemas');

/** avsc packs the 8 bytes into its own buffer at once (packLongBytes): one scratch buffer serves every write. */
const longScratch = Buffer.alloc(8);

/** Avro long as BigInt: nanosecond timestamps do not fit a double. */
const bigLongBase = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    longScratch.writeBigInt64LE(n);
    return longScratch;
  },
  fromJSON: (v: unknown) => BigInt(v as string | number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** avsc's Tap (the reading position its generated readers take), reused for every message decoded. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AvroTap = require('avsc/lib/utils').Tap as new (buf: Buffer, pos: number) => Tap;
/** A type's or resolver's reader, as avsc's decode calls it. */
interface Readable {
  _read(tap: Tap): unknown;
}
const NO_BYTES = Buffer.alloc(0);

/** The size of the slabs messages are encoded into. */
const SLAB_BYTES = 64 * 1024;

/** avsc's reading position in a buffer (its Tap): the fields a custom reader uses. */
interface Tap {
  buf: Buffer;
  pos: number;
}

/**
 * Reads a long's zigzag varint straight into a BigInt. avsc's custom-long path unpacks every long
 * into a fresh zero-filled 8-byte Buffer for fromBuffer: four Buffers per event (a tenth of the
 * consumer's decoding time with the garbage they make).
 */
const longParts: LongParts = { pos: 0, negative: false, half: 0, high: 0 };
function readBigLong(tap: Tap): bigint {
  readLongParts(tap.buf, tap.pos, longParts);
  tap.pos = longParts.pos;
  return longValue(longParts);
}
/**
 * Writes a BigInt long as its zigzag varint in place. avsc's custom-long path writes the value into
 * an 8-byte scratch Buffer (writeBigInt64LE) and packs those bytes again (packLongBytes), about a
 * quarter of an event's encoding. The value is first read as a double (Number(n), no allocation):
 * within 2^52 the double is exact and avsc's number writer writes it (no BigInt compare); beyond
 * (every wall-clock time_ns: about 2^60.6), writeBigZigzag splits it into its 32-bit words without
 * BigInt arithmetic. Past the end of the buffer nothing is written but the position moves on, as
 * avsc's writers do (encode then reports the size needed).
 */
function writeBigLong(tap: Tap & { writeLong(n: number): void }, n: bigint): void {
  if (typeof n !== 'bigint') return (bigLongBase as unknown as { _write(t: Tap, v: unknown): void })._write(tap, n); // throws avsc's invalid-value error
  const d = Number(n);
  if (d > -TWO_52 && d < TWO_52) return tap.writeLong(d);
  tap.pos = writeBigZigzag(tap.buf, tap.pos, n);
}
/** avsc's number writer is exact while the zigzag value (2|n| or 2|n|-1) stays below 2^53. */
const TWO_52 = 2 ** 52;
const TWO_32 = 2 ** 32;

/** avsc freezes the type __with makes: the reader and writer go on an object that inherits from it. */
const bigLong = Object.freeze(Object.create(bigLongBase, { _read: { value: readBigLong }, _write: { value: writeBigLong } })) as avro.Type;

/**
 * The process record's longs (start time, cgroup id, capabilities) recur with their process: a
 * value read again is the BigInt read before (a direct-mapped table of non-negative values below
 * 2^48), not a new one. Three BigInts less per event to allocate and collect.
 */
const KEPT_LONGS = 512;
const keptValue = new Float64Array(KEPT_LONGS).fill(-1);
const keptBig: bigint[] = new Array<bigint>(KEPT_LONGS).fill(0n);
function readRecurringLong(tap: Tap): bigint {
  readLongParts(tap.buf, tap.pos, longParts);
  tap.pos = longParts.pos;
  if (longParts.high !== 0 || longParts.negative) return longValue(longParts);
  const v = longParts.half;
  const slot = Math.imul((v >>> 0) ^ Math.floor(v / TWO_32), 0x9e3779b1) >>> 23;
  if (keptValue[slot] === v) return keptBig[slot];
  const big = BigInt(v);
  keptValue[slot] = v;
  keptBig[slot] = big;
  return big;
}
const recurringLong = Object.freeze(Object.create(bigLongBase, { _read: { value: readRecurringLong }, _write: { value: writeBigLong } })) as avro.Type;

/** A long read as a BigInt by readBigLong (every long of a schema parsed here). */
export const isBigLong = (type: avro.Type): boolean => type === bigLong || type === recurringLong;

export { utf8Slice } from './utf8';

/**
 * Reads a string as avsc's Tap.readString does (same value, same position, same failures), without
 * its call into C++ (utf8Slice) for an empty string or a short one. Strings were about a fifth of
 * `tail`'s CPU (utf8Slice and readString in its profile), and an event has a dozen, many short or
 * empty (container_id, target, login_user_name ...). Short ones are interned (string-intern.ts):
 * ops, families and protocols recur in every event.
 */
function readString(tap: Tap & { readLong(): number; _invalidate(): void }): string | undefined {
  return readInterned(tap, 8);
}

/**
 * readString for the host and process records, whose strings recur from event to event (a host's
 * names, a process's comm, executable, container id, user names): those up to LONG_MAX bytes are
 * interned too, so the rules' lookups on them find their hash computed and nothing is allocated.
 */
function readRecurringString(tap: Tap & { readLong(): number; _invalidate(): void }): string | undefined {
  return readInterned(tap, LONG_MAX);
}

/** The string at the tap, interned when it has at most `internMax` bytes (8 or more). */
function readInterned(tap: Tap & { readLong(): number; _invalidate(): void }, internMax: number): string | undefined {
  const len = tap.readLong();
  if (len < 0) {
    tap._invalidate();
    return '';
  }
  const buf = tap.buf;
  const pos = tap.pos;
  const end = pos + len;
  tap.pos = end;
  if (end > buf.length) return undefined;
  if (len === 0) return '';
  if (len <= 8) return shortString(buf, pos, len);
  if (len <= internMax) return longString(buf, pos, len);
  return utf8Slice(buf, pos, end);
}

/** Strings read by readString and written by fast-writers.ts's writer: both sides inherit from avsc's string type. */
const fastString = Object.freeze(Object.create(fastWriteString, { _read: { value: readString } })) as avro.Type;
const recurringString = Object.freeze(Object.create(fastWriteString, { _read: { value: readRecurringString } })) as avro.Type;

/**
 * Parse options making every long a BigInt, also longs with a logicalType (timestamp-nanos),
 * which avsc would otherwise build as a plain (double-precision) LongType.
 */
function parseOptions(registry: Record<string, avro.Type>, strings = fastString, longs = bigLong): avro.ForSchemaOptions {
  return {
    registry,
    typeHook: (schema: avro.Schema) => {
      const type = typeof schema === 'object' ? (schema as { type?: unknown; logicalType?: unknown }).type : schema;
      if (type === 'long') return longs;
      // A plain string (no logical type): the same bytes, written (fast-writers.ts) and read (readString) faster.
      if (type === 'string' && (typeof schema !== 'object' || (schema as { logicalType?: unknown }).logicalType === undefined)) return strings;
      return undefined;
    },
  } as unknown as avro.ForSchemaOptions;
}

const SHARED = ['host.avsc', 'process.avsc'];
const HOST_RECORD = 'io.ebpfaudit.Host';
const PROCESS_RECORD = 'io.ebpfaudit.Process';
/** Every schema this build writes: the event kinds, the producer's own stats, detect's alerts. */
export type SchemaKind = EventKind | 'stats' | 'alert';

export const EVENT_SCHEMAS: Record<SchemaKind, string> = {
  file: 'file_event.avsc',
  net: 'net_event.avsc',
  process: 'process_event.avsc',
  stats: 'stats_event.avsc',
  alert: 'alert.avsc',
};

let recordNames: Record<EventKind, string> | undefined;
/**
 * Full names of the event records (io.ebpfaudit.FileEvent ...), which an alert embeds as the
 * branches of its union: read from the .avsc files, the one place they are written.
 */
export function eventRecordNames(dir = SCHEMA_DIR): Record<EventKind, string> {
  if (recordNames && dir === SCHEMA_DIR) return recordNames;
  const names = Object.fromEntries(
    EVENT_KINDS.map((k) => {
      const s = readSchema(dir, EVENT_SCHEMAS[k]) as { name: string; namespace: string };
      return [k, `${s.namespace}.${s.name}`];
    }),
  ) as Record<EventKind, string>;
  if (dir === SCHEMA_DIR) recordNames = names;
  return names;
}

/** A message's bytes: `buf` from `start` to `end`. */
export interface ByteRange {
  buf: Buffer;
  start: number;
  end: number;
}

export interface SchemaEntry {
  type: avro.Type;
  /** Parsing Canonical Form of the writer schema. */
  canonical: string;
  /** 8-byte CRC-64-AVRO fingerprint, little-endian, as on the wire. */
  fingerprint: Buffer;
  /** fingerprint as hex: the key in lookups. */
  id: string;
  /** C3 01 + fingerprint, prepended to every body. */
  header: Buffer;
}

function readSchema(dir: string, file: string): avro.Schema {
  return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as avro.Schema;
}

export function entryFor(type: avro.Type): SchemaEntry {
  const canonical = JSON.stringify(type.schema());
  const fingerprint = rabinFingerprint(canonical);
  return { type, canonical, fingerprint, id: fingerprint.toString('hex'), header: encodeHeader(fingerprint) };
}

/** Parse a full writer schema (self-contained JSON) with our long representation. */
export function parseSchema(schema: avro.Schema | string): avro.Type {
  return avro.Type.forSchema(typeof schema === 'string' ? JSON.parse(schema) : schema, parseOptions({}));
}

/** A well-formed message whose writer schema is not (yet) known: reload the schemas topic. */
export class UnknownSchemaError extends DecodeError {
  constructor(readonly fingerprint: string) {
    super(`unknown writer schema ${fingerprint}`);
  }
}

/** A Confluent-framed message whose registry id is not known yet: ask the schema registry. */
export class UnknownRegistryIdError extends DecodeError {
  constructor(readonly registryId: number) {
    super(`unknown schema registry id ${registryId}`);
  }
}

export interface SchemaRegistry {
  /** The schema this build writes and reads, per kind. */
  current(kind: SchemaKind): SchemaEntry;
  /** Make a writer schema known (for example one read from the schemas topic). */
  add(type: avro.Type): SchemaEntry;
  /** How many writer schemas are known. */
  readonly size: number;
  /** Make a writer schema known under its schema-registry id (read from the registry). */
  addRegistered(id: number, type: avro.Type): SchemaEntry;
  /** The writer schema known under a schema-registry id, if any. */
  registered(id: number): SchemaEntry | undefined;
  /** From now on, encode(kind) writes the Confluent framing with this id (registered for kind's current schema). */
  useRegistryId(kind: SchemaKind, id: number): void;
  /** The registry id encode(kind) writes with; undefined: the single-object encoding. */
  writerId(kind: SchemaKind): number | undefined;
  /** Single-object encoding, or the Confluent framing after useRegistryId(kind). */
  encode(kind: SchemaKind, value: unknown): Buffer;
  /**
   * encode() without a Buffer made per message: the message is `out.buf` from `out.start` to
   * `out.end`. Its bytes are never overwritten (a full slab is replaced, not reused), so a holder
   * of out.buf or its ArrayBuffer keeps them.
   */
  encodeRange(kind: SchemaKind, value: unknown, out: ByteRange): void;
  /**
   * For a writer that makes a body's bytes itself (producer/transcode/file-record.ts): room for
   * kind's header and a body of at most `maxBodyBytes` in the slab encodeRange writes into. The
   * header is written at `out.start` and `out.end` is where the body goes. Nothing is taken until
   * commit(end): a writer that gives up leaves the slab as it was.
   */
  reserve(kind: SchemaKind, maxBodyBytes: number, out: ByteRange): void;
  /** The message reserve() made room for ends at `end` (its body was written up to there). */
  commit(end: number): void;
  /**
   * Decode a message in either framing (C3 01 single-object, or 00 + registry id) into the reader
   * schema of `kind`. Throws DecodeError; UnknownSchemaError/UnknownRegistryIdError when the writer
   * schema is not known yet.
   */
  decode(kind: SchemaKind, buf: Buffer): unknown;
  /**
   * decode of the message in `buf` from `start` to `end` (a fetched batch's bytes, with no Buffer
   * cut for each message): read in place when written with `kind`'s current schema, else as decode
   * does with a copy of the range.
   */
  decodeAt(kind: SchemaKind, buf: Buffer, start: number, end: number): unknown;
  /**
   * Where the Avro body of the message in `buf` (from `start`, default 0, to `end`, default its
   * length) starts when it was written with `kind`'s current schema (either framing), so it can be
   * read without resolution; -1 otherwise (decode handles those).
   */
  currentBodyAt(kind: SchemaKind, buf: Buffer, start?: number, end?: number): number;
}

export function createSchemaRegistry(opts: { dir?: string } = {}): SchemaRegistry {
  const dir = opts.dir ?? SCHEMA_DIR;
  const named: Record<string, avro.Type> = {};
  for (const f of SHARED) avro.Type.forSchema(readSchema(dir, f), parseOptions(named, recurringString, recurringLong));
  // The host is the same in every event a producer writes: its bytes are written once and copied.
  named[HOST_RECORD] = constantRecord(named[HOST_RECORD]);
  // A task's events share one frozen Process object (the enricher's): its bytes are written once and copied.
  named[PROCESS_RECORD] = sameObjectRecord(named[PROCESS_RECORD]);
  const current = {} as Record<SchemaKind, SchemaEntry>;
  const byId = new Map<string, SchemaEntry>();
  // Resolvers keyed by reader kind + writer id, built once: decoding stays a table lookup.
  const resolvers = new Map<string, avro.Resolver>();
  for (const [kind, file] of Object.entries(EVENT_SCHEMAS) as [SchemaKind, string][]) {
    const scope: Record<string, avro.Type> = { ...named };
    // An alert carries whole events: it sees the event records parsed before it (in EVENT_SCHEMAS order).
    if (kind === 'alert') for (const [k, name] of Object.entries(eventRecordNames(dir)) as [EventKind, string][]) scope[name] = current[k].type;
    const type = avro.Type.forSchema(readSchema(dir, file), parseOptions(scope));
    const entry = entryFor(type);
    current[kind] = entry;
    byId.set(entry.id, entry);
  }

  // Confluent framing: writer schemas by registry id, and per kind the id we write with (if any).
  const byRegistryId = new Map<number, SchemaEntry>();
  const writeHeader = Object.fromEntries(Object.entries(current).map(([k, e]) => [k, e.header])) as Record<SchemaKind, Buffer>;
  const writerIds: Partial<Record<SchemaKind, number>> = {};
  // Messages are encoded one after the other into a slab and handed out as views of it (no copy,
  // no allocation per message); a slab lives until its last message is garbage.
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let slabPos = 0;
  const encoded: ByteRange = { buf: slab, start: 0, end: 0 };

  function add(type: avro.Type): SchemaEntry {
    const entry = entryFor(type);
    if (!byId.has(entry.id)) byId.set(entry.id, entry);
    return byId.get(entry.id)!;
  }

  const tap = new AvroTap(NO_BYTES, 0);
  /** The body from `offset` to `end`, written with `writer`, read as `kind`'s current schema. */
  function decodeBody(kind: SchemaKind, writer: SchemaEntry, buf: Buffer, offset: number, end = buf.length): unknown {
    const reader = current[kind];
    let resolver: avro.Resolver | undefined;
    if (writer !== reader) {
      const key = `${kind}/${writer.id}`;
      resolver = resolvers.get(key);
      if (!resolver) {
        try {
          resolver = reader.type.createResolver(writer.type);
        } catch (err) {
          throw new DecodeError(`writer schema ${writer.id} cannot be read as ${reader.type.name}: ${(err as Error).message}`);
        }
        resolvers.set(key, resolver);
      }
    }
    // What avsc's type.decode does, through one Tap kept for every message: decode made a Tap and
    // a result object per message.
    tap.buf = buf;
    tap.pos = offset;
    let value: unknown;
    try {
      value = resolver ? (resolver as unknown as Readable)._read(tap) : (reader.type as unknown as Readable)._read(tap);
    } catch (err) {
      throw new DecodeError(`invalid ${writer.type.name} body: ${(err as Error).message}`, { cause: err });
    } finally {
      tap.buf = NO_BYTES; // the message's bytes are not held after the call
    }
    // Within a larger buffer a truncated body reads on into the bytes after it: past `end` is truncated too.
    if (tap.pos !== end) throw new DecodeError(`invalid ${writer.type.name} body: ${tap.pos > end ? 'truncated buffer' : 'trailing data'}`);
    return value;
  }

  return withGetters<SchemaRegistry, 'size'>(
    {
      current: (kind) => current[kind],
      add,
      addRegistered(id, type) {
        const entry = add(type);
        byRegistryId.set(id, entry);
        return entry;
      },
      registered: (id) => byRegistryId.get(id),
      writerId: (kind) => writerIds[kind],
      useRegistryId(kind, id) {
        writeHeader[kind] = encodeConfluentHeader(id);
        writerIds[kind] = id;
        byRegistryId.set(id, current[kind]);
      },
      encode(kind, value) {
        encodeRange(kind, value, encoded);
        return encoded.buf.subarray(encoded.start, encoded.end);
      },
      encodeRange,
      reserve(kind, maxBodyBytes, out) {
        const header = writeHeader[kind];
        if (slabPos + header.length + maxBodyBytes > slab.length) {
          slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, header.length + maxBodyBytes));
          slabPos = 0;
        }
        for (let i = 0; i < header.length; i++) slab[slabPos + i] = header[i];
        out.buf = slab;
        out.start = slabPos;
        out.end = slabPos + header.length;
      },
      commit(end) {
        slabPos = end;
      },
      decode,
      decodeAt(kind, buf, start, end) {
        const at = currentBodyAt(kind, buf, start, end);
        return at < 0 ? decode(kind, buf.subarray(start, end)) : decodeBody(kind, current[kind], buf, at, end);
      },
      currentBodyAt,
    },
    { size: () => byId.size },
  );

  function encodeRange(kind: SchemaKind, value: unknown, out: ByteRange): void {
    const entry = current[kind];
    const header = writeHeader[kind];
    let start = slabPos;
    let end = entry.type.encode(value, slab, start + header.length);
    if (end < 0) {
      // Not enough room left: a new slab (avsc said how many bytes were missing).
      const needed = slab.length - end - start;
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * needed));
      start = 0;
      end = entry.type.encode(value, slab, header.length);
    }
    // The 5- or 10-byte header by a loop: Buffer.copy is a call into C++ for each message.
    for (let i = 0; i < header.length; i++) slab[start + i] = header[i];
    slabPos = end;
    out.buf = slab;
    out.start = start;
    out.end = end;
  }

  function decode(kind: SchemaKind, buf: Buffer): unknown {
    // Both framings may share a topic (a fleet mid-migration): the first byte tells them apart.
    if (isConfluentFramed(buf)) {
      const id = readConfluentId(buf);
      const writer = byRegistryId.get(id);
      if (!writer) throw new UnknownRegistryIdError(id);
      return decodeBody(kind, writer, buf, CONFLUENT_HEADER_SIZE);
    }
    const reader = current[kind];
    // Fast path, nearly every message: written with our own schema. Decode in place (no hex fingerprint, no slice).
    if (ownHeader(reader, buf)) return decodeBody(kind, reader, buf, HEADER_SIZE);
    const { fingerprint } = splitMessage(buf);
    const writer = byId.get(fingerprint);
    if (!writer) throw new UnknownSchemaError(fingerprint);
    return decodeBody(kind, writer, buf, HEADER_SIZE);
  }

  function currentBodyAt(kind: SchemaKind, buf: Buffer, start = 0, end = buf.length): number {
    if (isConfluentFramed(buf, start, end)) {
      return end - start >= CONFLUENT_HEADER_SIZE && byRegistryId.get(readConfluentId(buf, start, end)) === current[kind] ? start + CONFLUENT_HEADER_SIZE : -1;
    }
    return ownHeader(current[kind], buf, start, end) ? start + HEADER_SIZE : -1;
  }
}

/**
 * The 10 header bytes at `start` are entry's, compared byte by byte: a Buffer.compare call costs
 * more, and readUInt32LE boxed each value of 2^30 or more as a heap number (50 bytes per message).
 */
function ownHeader(entry: SchemaEntry, buf: Buffer, start = 0, end = buf.length): boolean {
  if (end - start < HEADER_SIZE) return false;
  const h = entry.header;
  for (let i = 0; i < HEADER_SIZE; i++) if (buf[start + i] !== h[i]) return false;
  return true;
}
