/**
 * Faster writers for two avsc types on the producer's hot path, with byte-identical output
 * (test/unit/fast-writers.test.ts compares them with avsc's own on every kind of string):
 *  - strings: avsc measures every string with Buffer.byteLength (a call into C++) before writing
 *    it; a short ASCII string's byte length is its length, so it is written in one pass;
 *  - a record of strings that stays the same for the producer's life (the Host: id, name, boot id,
 *    about 90 bytes in every event): its Avro bytes are kept from the last write and copied while
 *    the values are the same strings.
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
      const fresh = record.toBuffer(value); // throws avsc's error for an invalid value
      last = names.map((n) => value[n]);
      bytes = fresh;
    }
    const pos = tap.pos;
    tap.pos = pos + bytes.length;
    if (tap.pos <= tap.buf.length) tap.buf.set(bytes, pos); // past the end: only the position moves, as avsc's writers do
  }

  return Object.freeze(Object.create(record, { _write: { value: write } })) as avro.Type;
}
