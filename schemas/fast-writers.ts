/**
 * Faster writers for two avsc types on the producer's hot path, with byte-identical output
 * (test/unit/fast-writers.test.ts compares them with avsc's own on every kind of string):
 *  - strings: avsc measures every string with Buffer.byteLength (a call into C++) before writing
 *    it; a short ASCII string's byte length is its length, so it is written in one pass;
 *  - a record of strings that stays the same for the producer's life (the Host: id, name, boot id,
 *    about 90 bytes in every event): its Avro bytes are kept from the last write and copied while
 *    the values are the same strings.
 *  - a record whose values are immutable objects handed out again and again (the producer's
 *    Process, one frozen object per task while nothing about it changes): the bytes of the last
 *    object written are copied while the same object comes back.
 * Together Tap.writeString was 8% of the producer's perf samples at 100k events/s. Reading is
 * avsc's own: the types inherit everything else.
 */
import * as avro from 'avsc';

/** avsc's writing position in a buffer (its Tap): the fields and method a custom writer uses. */
interface Tap {
  buf: Buffer;
  pos: number;
  writeString(s: string): void;
}
interface Writable {
  _write(tap: Tap, value: unknown): void;
}

/**
 * A string shorter than 64 UTF-16 units and all ASCII: its length varint is one byte (2n), then
 * one byte per char. Anything else (longer, non-ASCII, not enough room) goes to avsc's writer,
 * which also throws avsc's invalid-value error for a non-string.
 */
function writeString(this: Writable, tap: Tap, s: unknown): void {
  if (typeof s === 'string') {
    const n = s.length;
    const buf = tap.buf;
    const pos = tap.pos;
    if (n < 64 && pos + 1 + n <= buf.length) {
      let p = pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[pos] = n << 1;
        tap.pos = p;
        return;
      }
    }
  }
  (stringBase as unknown as Writable)._write.call(this, tap, s);
}

const stringBase = avro.Type.forSchema('string');
/** avsc freezes its types: the writer goes on an object inheriting from avsc's string type. */
export const fastString = Object.freeze(Object.create(stringBase, { _write: { value: writeString } })) as avro.Type;

/**
 * `record` (a record of strings only) writing the bytes of its last value again while every field
 * holds the same string (compared with ===: the same string object costs one pointer compare).
 * A changed value is encoded by avsc's writer and becomes the cached one.
 */
export function constantRecord(record: avro.Type): avro.Type {
  const fields = (record as unknown as { fields: { name: string; type: avro.Type }[] }).fields;
  if (!fields.every((f) => f.type.typeName === 'string')) throw new Error(`constantRecord: ${record.name ?? 'record'} has fields that are not strings`);
  const names = fields.map((f) => f.name);
  const base = record as unknown as Writable;
  let last: unknown[] | undefined;
  let bytes: Buffer = Buffer.alloc(0);

  function same(v: Record<string, unknown>): boolean {
    if (!last) return false;
    for (let i = 0; i < names.length; i++) if (v[names[i]] !== last[i]) return false;
    return true;
  }

  function write(this: Writable, tap: Tap, v: unknown): void {
    if (v === null || typeof v !== 'object') return base._write.call(this, tap, v); // avsc's error
    const value = v as Record<string, unknown>;
    if (!same(value)) {
      // Written by avsc in place, then kept. Not record.toBuffer: that writes into avsc's one shared
      // Tap, the very one an enclosing type.toBuffer is writing the event into (the event came out
      // with its first fields overwritten by the host's bytes).
      const start = tap.pos;
      base._write.call(this, tap, value); // throws avsc's error for an invalid value
      if (tap.pos <= tap.buf.length) {
        last = names.map((n) => value[n]);
        bytes = Uint8Array.prototype.slice.call(tap.buf, start, tap.pos) as Buffer;
      }
      return;
    }
    const pos = tap.pos;
    tap.pos = pos + bytes.length;
    if (tap.pos <= tap.buf.length) tap.buf.set(bytes, pos); // past the end: only the position moves, as avsc's writers do
  }

  return Object.freeze(Object.create(record, { _write: { value: write } })) as avro.Type;
}

/**
 * `record` writing the bytes of the last object again when the very same object (===) comes
 * back: the producer's Process record (20 fields, BigInts among them) was 5-7% of its perf samples,
 * and a task's events carry one shared Process object while nothing about the task changes.
 * Only frozen objects are remembered, so an object that could still change between two writes is
 * encoded each time (a consumer re-encoding what it decoded pays one isFrozen check).
 */
export function sameObjectRecord(record: avro.Type): avro.Type {
  const base = record as unknown as Writable;
  let last: unknown;
  let bytes: Uint8Array = new Uint8Array(0);

  function write(this: Writable, tap: Tap, v: unknown): void {
    if (v !== last || last === undefined) {
      const start = tap.pos;
      base._write.call(this, tap, v); // throws avsc's error for an invalid value
      if (tap.pos <= tap.buf.length && v !== null && typeof v === 'object' && Object.isFrozen(v)) {
        last = v;
        bytes = Uint8Array.prototype.slice.call(tap.buf, start, tap.pos); // a copy (Buffer.slice would be a view): the buffer is reused
      }
      return;
    }
    const pos = tap.pos;
    const n = bytes.length;
    tap.pos = pos + n;
    if (tap.pos > tap.buf.length) return; // past the end: only the position moves, as avsc's writers do
    tap.buf.set(bytes, pos); // a JS byte loop was 2-3x slower for these ~70 bytes (3.9% of the producer's samples)
  }

  return Object.freeze(Object.create(record, { _write: { value: write } })) as avro.Type;
}
