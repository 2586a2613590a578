/**
 * `tail --output json` lines written straight as UTF-8 bytes: the same text as formatJson
 * (json.ts), without building it as a string first. Built from some sixty pieces, the string was
 * a rope that the UTF-8 encoder had to flatten (copy) before encoding it again: formatting and
 * encoding cost 3.1 µs per event, 2.5 more than a text line. Here each ASCII piece is copied byte
 * by byte into a reusable buffer while it is checked; a string that needs escaping, and any value
 * outside the Avro types below, goes through the string writer (json-writer.ts) as before, so the
 * text is the same in every case.
 */
import * as avro from 'avsc';
import type { AuditEvent } from '../../../schemas/types';
import { formatJson, isoNs } from './json';
import { jsonString, writeJson } from './json-writer';

/** A growing output buffer: bytes [0, pos) are written. */
export interface ByteOut {
  buf: Buffer;
  pos: number;
}

export function byteOut(size = 64 * 1024): ByteOut {
  return { buf: Buffer.allocUnsafe(size), pos: 0 };
}

export function grow(o: ByteOut, need: number): void {
  const b = Buffer.allocUnsafe(Math.max(o.buf.length * 2, o.pos + need));
  o.buf.copy(b, 0, 0, o.pos);
  o.buf = b;
}

/** Text known to be ASCII: keys of our schemas, numbers, timestamps. */
export function ascii(o: ByteOut, s: string): void {
  const n = s.length;
  if (o.pos + n > o.buf.length) grow(o, n);
  const b = o.buf;
  let p = o.pos;
  for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
  o.pos = p;
}

/**
 * Bytes a to b of `src` (a compiled writer's literal text: field names and punctuation), copied by
 * a byte loop: 2.3-2.6x as fast as ascii()'s charCodeAt loop over the same text as strings (60
 * literals of 14-45 bytes, measured on this VM).
 */
export function span(o: ByteOut, src: Uint8Array, a: number, b: number): void {
  const n = b - a;
  if (o.pos + n > o.buf.length) grow(o, n);
  const d = o.buf;
  let p = o.pos;
  for (let i = a; i < b; i++) d[p++] = src[i];
  o.pos = p;
}

/** Literal texts of one compiled writer as one byte array, each distinct text once. */
export class Literals {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private readonly spans = new Map<string, string>();

  /** `a,b`: where `s`'s UTF-8 bytes are in bytes(). */
  at(s: string): string {
    let sp = this.spans.get(s);
    if (sp === undefined) {
      const b = Buffer.from(s, 'utf8');
      sp = `${this.length},${this.length + b.length}`;
      this.chunks.push(b);
      this.length += b.length;
      this.spans.set(s, sp);
    }
    return sp;
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

/** An integer as its decimal digits (String(n) would make a string to copy). */
export function int(o: ByteOut, n: number): void {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return ascii(o, String(n));
  if (o.pos + 17 > o.buf.length) grow(o, 17);
  const b = o.buf;
  if (n < 0) {
    b[o.pos++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let p = o.pos + digits;
  o.pos = p;
  do {
    const q = Math.floor(n / 10);
    b[--p] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Any text, as UTF-8. */
export function utf8(o: ByteOut, s: string): void {
  if (o.pos + 3 * s.length > o.buf.length) grow(o, 3 * s.length);
  o.pos += (o.buf as unknown as { utf8Write(s: string, at: number): number }).utf8Write(s, o.pos);
}

/** A string as jsonString writes it: printable ASCII as it is, anything else through jsonString. */
function str(o: ByteOut, s: string): void {
  const n = s.length;
  if (o.pos + n + 2 > o.buf.length) grow(o, n + 2);
  const b = o.buf;
  let p = o.pos;
  b[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return utf8(o, jsonString(s));
    b[p++] = c;
  }
  b[p++] = 0x22;
  o.pos = p;
}

/** Object keys as the bytes of `"name":`, made once per distinct key (as json-writer's key()). */
const keyBytes = new Map<string, Uint8Array>();
function putKey(o: ByteOut, k: string): void {
  let kb = keyBytes.get(k);
  if (kb === undefined) {
    kb = new Uint8Array(Buffer.from(`${jsonString(k)}:`, 'utf8'));
    if (keyBytes.size < 10_000) keyBytes.set(k, kb);
  }
  span(o, kb, 0, kb.length);
}

/**
 * Any value as writeJson's text (json-writer.ts), appended to `o` as UTF-8; false, with nothing
 * written, for what writeJson leaves out (undefined, functions, symbols). For the objects built per
 * event (`tail --output ecs`): writeJson concatenated some forty pieces into a rope string, which
 * the output's UTF-8 encoder then flattened (copied) before encoding it.
 */
export function putJson(o: ByteOut, v: unknown): boolean {
  switch (typeof v) {
    case 'string':
      str(o, v);
      return true;
    case 'number':
      if (Number.isFinite(v)) int(o, v);
      else ascii(o, 'null');
      return true;
    case 'bigint':
      ascii(o, String(v));
      return true;
    case 'boolean':
      ascii(o, v ? 'true' : 'false');
      return true;
    case 'object': {
      if (v === null) {
        ascii(o, 'null');
        return true;
      }
      if (Array.isArray(v)) {
        ascii(o, '[');
        for (let i = 0; i < v.length; i++) {
          if (i) ascii(o, ',');
          if (!putJson(o, v[i])) ascii(o, 'null');
        }
        ascii(o, ']');
        return true;
      }
      const obj = v as Record<string, unknown> & { toJSON?: () => unknown };
      if (typeof obj.toJSON === 'function') return putJson(o, obj.toJSON());
      ascii(o, '{');
      let first = true;
      // Own enumerable keys, as JSON.stringify takes them; a key whose value is left out is taken back.
      // for-in, not Object.keys: no array per object, and V8 reads obj[k] through its enum cache
      // (Object.keys and the keyed loads after it were a third of this function's time).
      const plain = Object.getPrototypeOf(obj) === Object.prototype;
      for (const k in obj) {
        if (!plain && !Object.prototype.hasOwnProperty.call(obj, k)) continue;
        const at = o.pos;
        if (!first) ascii(o, ',');
        putKey(o, k);
        if (putJson(o, obj[k])) first = false;
        else o.pos = at;
      }
      ascii(o, '}');
      return true;
    }
    default:
      return false;
  }
}

type Put = (o: ByteOut, v: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const anyPut: Put = (o, v) => utf8(o, writeJson(v) ?? 'null');

function typePut(type: avro.Type): Put {
  switch (type.typeName) {
    case 'string':
    case 'enum':
      return str;
    case 'int':
    case 'long':
      return (o, v) => (typeof v === 'number' ? int(o, v) : ascii(o, String(v)));
    case 'abstract:long': // our BigInt long (schemas/registry.ts)
      return (o, v) => {
        if (typeof v !== 'bigint') return anyPut(o, v);
        if (v <= SAFE && v >= -SAFE) return int(o, Number(v));
        ascii(o, String(v));
      };
    case 'float':
    case 'double':
      return (o, v) => ascii(o, Number.isFinite(v) ? String(v) : 'null');
    case 'boolean':
      return (o, v) => ascii(o, v ? 'true' : 'false');
    case 'null':
      return (o) => ascii(o, 'null');
    case 'array': {
      const item = typePut((type as avro.types.ArrayType).itemsType);
      return (o, v: unknown[]) => {
        ascii(o, '[');
        for (let i = 0; i < v.length; i++) {
          if (i) ascii(o, ',');
          item(o, v[i]);
        }
        ascii(o, ']');
      };
    }
    case 'record':
      return recordPut(type as avro.types.RecordType, [], false);
    case 'union:unwrapped': {
      const branches = (type as avro.types.UnwrappedUnionType).types.filter((t) => t.typeName !== 'null');
      if (branches.length !== 1) return anyPut;
      const branch = typePut(branches[0]);
      return (o, v) => (v === null || v === undefined ? ascii(o, 'null') : branch(o, v));
    }
    default:
      return anyPut; // maps, bytes, fixed, wrapped unions, logical types: the generic walk
  }
}

/**
 * A record's fields in schema order, compiled once, as json-writer's compileRecord: `{"a":..}`,
 * or, `inObject`, the fields after an object's first ones (`,"a":..}`), skipping `skip`.
 */
function recordPut(type: avro.types.RecordType, skip: readonly string[], inObject: boolean): Put {
  // Recursive schemas: the generic walk below this level (none of ours is recursive).
  if (building.has(type)) return anyPut;
  building.add(type);
  try {
    const fields = type.fields.filter((f) => !skip.includes(f.name));
    const puts = fields.map((f) => typePut(f.type));
    const f = (i: number): string => fields[i].name;
    const head = (i: number): string => `${i === 0 ? (inObject ? ',' : '{') : ','}${JSON.stringify(f(i))}:`;
    // Literal text is copied from one byte array (span); field names are read as JSON strings.
    const lits = new Literals();
    const lit = (t: string): string => `s(o, L, ${lits.at(t)});`;
    let body = 'return function (o, v) {';
    if (fields.length === 0) body += lit(inObject ? '}' : '{}');
    else body += `${fields.map((_, i) => `${lit(head(i))} p${i}(o, v[${JSON.stringify(f(i))}]);`).join(' ')} ${lit('}')}`;
    body += ' };';
    return new Function('s', 'L', ...puts.map((_, i) => `p${i}`), body)(span, lits.bytes(), ...puts) as Put;
  } finally {
    building.delete(type);
  }
}
const building = new Set<avro.Type>();

type LinePut = (ev: AuditEvent, o: ByteOut) => void;
const linePuts = new WeakMap<avro.Type, LinePut>();

/** One event as formatJson's line, without the newline, appended to `o`. */
export function putJsonLine(ev: AuditEvent, o: ByteOut): void {
  const type = (ev.event.constructor as { type?: unknown }).type;
  if (!(type instanceof avro.types.RecordType)) return utf8(o, formatJson(ev));
  let put = linePuts.get(type);
  if (!put) linePuts.set(type, (put = linePut(type)));
  put(ev, o);
}

/** {"kind":..,"time":.., then the event's fields}: json.ts's lineWriter, in bytes. */
function linePut(type: avro.types.RecordType): LinePut {
  const names = type.fields.map((f) => f.name);
  const ownKind = names.includes('kind');
  const ownTime = names.includes('time');
  const rest = recordPut(type, ['kind', 'time'], true);
  return (ev, o) => {
    const e = ev.event as unknown as Record<string, unknown>;
    ascii(o, '{"kind":');
    if (ownKind) utf8(o, `${writeJson(e.kind)}`);
    else str(o, ev.kind);
    ascii(o, ',"time":');
    if (ownTime) utf8(o, `${writeJson(e.time)}`);
    else str(o, isoNs(ev.event.time_ns));
    rest(o, e);
  };
}
