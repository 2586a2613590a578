/**
 * A file-open ring record straight to its FileEvent's Avro bytes, with no record, event or BigInt
 * made on the way. Opens are nearly every event of a busy host, and the general path (decode to a
 * RawRecord, enrich to a FileEvent, encode with avsc) spent nearly half of the producer's busy time
 * on them: two BigInts per event for the times, three objects, the path decoded from UTF-8 only to
 * be encoded again. Here:
 *  - the times are added and zigzag-encoded as pairs of 32-bit words;
 *  - the host's and the process's bytes are copies of their last encoding (the enricher hands out
 *    the same frozen Process while nothing about the task changes);
 *  - the op is one of a few constant strings, its bytes made once;
 *  - an ASCII path is copied byte for byte (for ASCII, UTF-8 decoding and encoding are identity).
 * Anything else (another record type, a short or inconsistent record, a path with a byte of 0x80
 * or more, a value out of its Avro type's range, a FileEvent schema with other fields) is left to
 * the general path, which decodes it with U+FFFD replacement or reports what is wrong with it.
 * The bytes are the general path's, byte for byte: test/unit/file-record.test.ts compares them.
 */
import type * as avro from 'avsc';
import { F_TRUNCATED, FILE_OPEN, HDR, OPS, RECORD_TYPES } from '../../bpf/layout';
import type { ByteRange, SchemaRegistry } from '../../schemas/registry';
import type { Host, Process } from '../../schemas/types';
import { task } from '../decode/decoder';
import { i32Unchecked as i32, u16Unchecked as u16, u32Unchecked as u32 } from '../decode/le';
import type { Enricher } from '../enrich/enricher';

export interface FileRecordWriter {
  /**
   * Writes the message (header and FileEvent body) of the file-open record of `len` bytes at `o`
   * into the registry's slab, as encodeRange would: `out` is where it is. Returns the event's
   * Kafka timestamp (ms), or -1 with nothing written when the record is one for the general path.
   */
  write(buf: Buffer, o: number, len: number, out: ByteRange): number;
}

export interface FileRecordWriterOptions {
  registry: SchemaRegistry;
  /** Its Process per task, host and clock: the event's, as enrich makes it. */
  enricher: Enricher;
}

/** The FileEvent fields this writer lays out, in order, with their avsc type names. */
const LAYOUT = [
  ['time_ns', 'abstract:long'],
  ['ktime_ns', 'abstract:long'],
  ['host', 'record'],
  ['process', 'record'],
  ['op', 'string'],
  ['path', 'string'],
  ['dirfd', 'int'],
  ['flags', 'int'],
  ['mode', 'int'],
  ['result', 'int'],
  ['truncated', 'boolean'],
  ['target', 'string'],
] as const;

interface Field {
  name: string;
  type: avro.Type;
}

const TWO_32 = 2 ** 32;
/** Process bytes kept per slot (a task's slot: its tid modulo this), as the enricher keeps Processes. */
const PROCESS_SLOTS = 64;
/** The bytes besides the host, process, op and path: two longs (10 each), a path length (3), four ints (5 each), a boolean, an empty string. */
const FIXED_BYTES = 10 + 10 + 3 + 4 * 5 + 1 + 1;

/** Writes the zigzag varint of the non-negative 64-bit value hi * 2^32 + lo (hi below 2^30). */
function writeLong64(buf: Buffer, pos: number, hi: number, lo: number): number {
  // zigzag of a non-negative n is 2n: shift the pair left by one.
  let h = ((hi << 1) | (lo >>> 31)) >>> 0;
  let l = (lo << 1) >>> 0;
  while (h !== 0 || l >= 0x80) {
    buf[pos++] = (l & 0x7f) | 0x80;
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  buf[pos++] = l;
  return pos;
}

/** Writes the zigzag varint of a 32-bit signed integer, as avsc's int writer does. */
function writeInt(buf: Buffer, pos: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/**
 * The writer for the registry's current FileEvent schema, or undefined when its fields are not
 * the ones laid out here (then every record takes the general path).
 */
export function createFileRecordWriter(opts: FileRecordWriterOptions): FileRecordWriter | undefined {
  const { registry, enricher } = opts;
  const { host, clock } = enricher;
  const fields = (registry.current('file').type as unknown as { fields: Field[] }).fields;
  if (fields.length !== LAYOUT.length || !fields.every((f, i) => f.name === LAYOUT[i][0] && f.type.typeName === LAYOUT[i][1])) return undefined;
  const hostType = fields[2].type;
  const processType = fields[3].type;
  const stringType = fields[4].type;

  // The host's bytes, made again if one of its fields changes (as the host writer does, over the
  // fields its schema has); each new encoding is a new generation.
  const hostFields = (hostType as unknown as { fields: Field[] }).fields.map((f) => f.name as keyof Host);
  const hostSeen: unknown[] = [];
  let hostBytes: Uint8Array = new Uint8Array(0);
  let hostGeneration = 0;
  // A frozen host (the producer's: host-view.ts) cannot change, so it is compared once, not per
  // event (the keyed loads of the compare were 1% of the producer's samples).
  const hostFixed = Object.isFrozen(host);
  const hostCurrent = (): void => {
    if (hostFixed && hostGeneration > 0) return;
    let same = hostGeneration > 0;
    for (let i = 0; same && i < hostFields.length; i++) same = host[hostFields[i]] === hostSeen[i];
    if (same) return;
    hostBytes = Uint8Array.prototype.slice.call(hostType.toBuffer(host));
    for (let i = 0; i < hostFields.length; i++) hostSeen[i] = host[hostFields[i]];
    hostGeneration++;
  };

  // The host's and a Process's bytes, one after the other as the event has them (one copy per
  // event, not two), kept per slot for the same (frozen, so unchanged) Process and host generation.
  const processes: (Process | undefined)[] = new Array<Process | undefined>(PROCESS_SLOTS).fill(undefined);
  const generations = new Int32Array(PROCESS_SLOTS);
  const whoBytes: Uint8Array[] = new Array<Uint8Array>(PROCESS_SLOTS).fill(new Uint8Array(0));
  const hostAndProcess = (p: Process, tid: number): Uint8Array => {
    hostCurrent();
    const slot = tid & (PROCESS_SLOTS - 1);
    if (processes[slot] === p && generations[slot] === hostGeneration) return whoBytes[slot];
    const proc = processType.toBuffer(p); // throws avsc's error for an invalid Process
    const bytes = new Uint8Array(hostBytes.length + proc.length);
    bytes.set(hostBytes, 0);
    bytes.set(proc, hostBytes.length);
    if (Object.isFrozen(p)) {
      processes[slot] = p;
      generations[slot] = hostGeneration;
      whoBytes[slot] = bytes;
    }
    return bytes;
  };

  const opBytes = new Map<number, Uint8Array>();
  const opAsOf = (code: number): Uint8Array => {
    let b = opBytes.get(code);
    if (b === undefined) {
      b = Uint8Array.prototype.slice.call(stringType.toBuffer(OPS[code] ?? 'unknown')) as Uint8Array;
      opBytes.set(code, b);
    }
    return b;
  };

  // toWallNs's offset as two 32-bit words, split again after the clock measures it again (a
  // number compared per event, not the BigInt).
  let measurement = -1;
  let offHi = 0;
  let offLo = 0;
  const offsetOk = (): boolean => {
    if (clock.measurements() !== measurement) {
      const now = clock.offsetNs();
      measurement = clock.measurements();
      offHi = now >= 0n && now < 1n << 62n ? Number(now >> 32n) : -1;
      offLo = Number(now & 0xffffffffn);
    }
    return offHi >= 0;
  };

  return {
    write(buf, o, len, out) {
      // The record within the buffer (then every field read below is, unchecked: they all lie
      // before the path), then what decodeRecord checks and the file decoder's own bounds.
      if (!(o >= 0 && o + len <= buf.length) || len < HDR.SIZE + 64 || len < FILE_OPEN.path) return -1;
      if (u16(buf, o + HDR.type) !== RECORD_TYPES.file || u16(buf, o + HDR.size) !== len) return -1;
      const pathLen = u16(buf, o + FILE_OPEN.path_len);
      if (FILE_OPEN.path + pathLen > len) return -1;
      // The int fields as the decoder reads them; the result must fit an Avro int.
      const resultLo = i32(buf, o + FILE_OPEN.ret);
      if (i32(buf, o + FILE_OPEN.ret + 4) !== resultLo >> 31) return -1;
      const kLo = u32(buf, o + HDR.ktime_ns);
      const kHi = u32(buf, o + HDR.ktime_ns + 4);
      if (kHi >= 0x40000000 || !offsetOk()) return -1;
      const sum = kLo + offLo;
      const wLo = sum >>> 0;
      const wHi = kHi + offHi + (sum >= TWO_32 ? 1 : 0);
      if (wHi >= 0x40000000) return -1;

      const t = task(buf, o);
      const who = hostAndProcess(enricher.processOf(t), t.tid);
      const opB = opAsOf(u16(buf, o + FILE_OPEN.op));
      registry.reserve('file', FIXED_BYTES + who.length + opB.length + pathLen, out);
      const slab = out.buf;
      let pos = writeLong64(slab, out.end, wHi, wLo);
      pos = writeLong64(slab, pos, kHi, kLo);
      slab.set(who, pos); // one call: a JS byte loop was 2-3x slower for a Process's ~70 bytes (fast-writers.ts)
      pos += who.length;
      for (let i = 0; i < opB.length; i++) slab[pos++] = opB[i];
      pos = writeInt(slab, pos, pathLen); // a string's length is a long; below 2^31 its zigzag varint is an int's (3 bytes at most here)
      const from = o + FILE_OPEN.path;
      for (let i = 0; i < pathLen; i++) {
        const c = buf[from + i];
        if (c >= 0x80) return -1; // not committed: the general path writes over it
        slab[pos++] = c;
      }
      pos = writeInt(slab, pos, i32(buf, o + FILE_OPEN.dirfd));
      pos = writeInt(slab, pos, i32(buf, o + FILE_OPEN.flags));
      pos = writeInt(slab, pos, i32(buf, o + FILE_OPEN.mode));
      pos = writeInt(slab, pos, resultLo);
      slab[pos++] = (u32(buf, o + HDR.flags) & F_TRUNCATED) !== 0 ? 1 : 0;
      slab[pos++] = 0; // target: empty for opens
      registry.commit(pos);
      out.end = pos;
      return Math.floor((wHi * TWO_32 + wLo) / 1e6);
    },
  };
}
