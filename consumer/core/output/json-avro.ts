/**
 * `tail --output json` lines written straight from a message's Avro bytes: the same text as
 * decoding the message (avsc) and writing the record (json-bytes.ts), without making the record.
 * Decoding made an object per record, a string per field and a BigInt per long, only for the JSON
 * writer to walk them and copy the strings out again: about a third of `tail --output json`'s CPU,
 * with the garbage collection it caused. Here printable-ASCII strings are copied byte for byte from
 * the message into the line; any other string is decoded and escaped as before (jsonString).
 *
 * Compiled once per record type, as avsc compiles its readers. Every read mirrors avsc's (and
 * registry.ts's BigInt long reader), so a message either ends exactly at its last byte and gives
 * the decoder's line, or the transcoder gives up (returns false) and the caller decodes it the
 * usual way, which then writes the line or reports the message malformed as before. Types our
 * schemas do not use (maps, bytes, fixed, enums, floats, unions of several types) are not compiled:
 * such a schema has no transcoder and its messages are decoded.
 */
import * as avro from 'avsc';
import { isBigLong, utf8Slice } from '../../../schemas/registry';
import { longValue, readLongParts, type LongParts } from '../../../schemas/zigzag-long';
import { ascii, grow, int, Literals, span, utf8, type ByteOut } from './json-bytes';
import { isoNs } from './json';
import { jsonString } from './json-writer';

/** Writes `value`'s body (from `at`) as one JSON line without the newline; false: not done, decode it. */
export type JsonTranscoder = (o: ByteOut, value: Buffer, at: number, stop?: number) => boolean;

// The message being read and the line being written: set per call, read by the helpers below.
let buf: Buffer = Buffer.alloc(0);
let pos = 0;
let end = 0;
let bad = false;
let out: ByteOut = { buf: Buffer.alloc(0), pos: 0 };

function fail(): void {
  bad = true;
  pos = end + 1;
}

/** avsc's Tap.readLong (ints and the counts of strings, arrays, union branches), exactly. */
function readLong(): number {
  let n = 0;
  let k = 0;
  let b: number;
  let h: number;
  do {
    b = buf[pos++];
    h = b & 0x80;
    n |= (b & 0x7f) << k;
    k += 7;
  } while (h && k < 28);
  if (h) {
    let f = n;
    let fk = 268435456;
    do {
      b = buf[pos++];
      f += (b & 0x7f) * fk;
      fk *= 128;
    } while (b & 0x80);
    return (f % 2 ? -(f + 1) : f) / 2;
  }
  return (n >> 1) ^ -(n & 1);
}

// A BigInt long as registry.ts's readBigLong reads it (at most 10 bytes), left in parts.
const big: LongParts = { pos: 0, negative: false, half: 0, high: 0 };
function readBig(): void {
  readLongParts(buf, pos, big);
  pos = big.pos;
}

/** A string's bytes: [start, pos) after the call; false when its length is bad. */
function stringBounds(): number {
  const len = readLong();
  const start = pos;
  if (len < 0 || start + len > end) {
    fail();
    return -1;
  }
  pos = start + len;
  return start;
}

/** n (below 1e9) as nine digits, zero-padded. */
function nineDigits(n: number): void {
  if (out.pos + 9 > out.buf.length) grow(out, 9);
  const o = out.buf;
  for (let i = out.pos + 8; i >= out.pos; i--) {
    const q = Math.floor(n / 10);
    o[i] = 0x30 + (n - q * 10);
    n = q;
  }
  out.pos += 9;
}

// The helpers generated code calls (its parameters, by these one-letter names).
const helpers = {
  /**
   * literal text: bytes a to b of the transcoder's literals (field names and punctuation, most of a
   * line). ascii()'s charCodeAt loop over the literal strings took about a quarter of `tail
   * --output json`'s CPU; span() copies bytes 2.3-2.6x as fast.
   */
  W: (lit: Uint8Array, a: number, b: number) => span(out, lit, a, b),
  /** int */
  I: () => int(out, readLong()),
  /** BigInt long, as json-bytes writes one */
  L: () => {
    readBig();
    // Below 2^53 (high < 32) the value is exact as a number, as json-bytes writes it.
    if (big.high < 32) {
      const m = big.high * 2 ** 48 + big.half;
      return int(out, big.negative ? -m : m);
    }
    // Larger (nanosecond times): the digits of high * 2^48 + half in two parts, as T does, without
    // a BigInt and its toString.
    if (big.negative) ascii(out, '-');
    const x = big.high * 976710656 + big.half;
    const lower = x % 1e9;
    int(out, big.high * 281474 + (x - lower) / 1e9);
    nineDigits(lower);
  },
  /** boolean */
  B: () => ascii(out, buf[pos++] ? 'true' : 'false'),
  /** string: printable ASCII copied, anything else decoded and escaped (json-bytes's str) */
  S: () => {
    const start = stringBounds();
    if (start < 0) return;
    const stop = pos;
    const need = stop - start + 2;
    if (out.pos + need > out.buf.length) grow(out, need);
    const o = out.buf;
    let p = out.pos;
    o[p++] = 0x22;
    for (let i = start; i < stop; i++) {
      const c = buf[i];
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return utf8(out, jsonString(utf8Slice(buf, start, stop)));
      o[p++] = c;
    }
    o[p++] = 0x22;
    out.pos = p;
  },
  /** the event time as isoNs writes it, from the BigInt time_ns */
  T: () => {
    readBig();
    if (big.negative || (big.high === 0 && big.half < 1e9)) return utf8(out, jsonString(isoNs(longValue(big))));
    // value = high * 2^48 + half, and 2^48 = 281474 * 1e9 + 976710656: seconds and nanoseconds
    // without BigInt, every step below 2^53.
    const x = big.high * 976710656 + big.half;
    const nanos = x % 1e9;
    const second = big.high * 281474 + (x - nanos) / 1e9;
    if (second !== isoSecond) {
      isoSecond = second;
      isoPrefix = `"${new Date(second * 1000).toISOString().slice(0, 19)}.`;
    }
    ascii(out, isoPrefix);
    nineDigits(nanos);
    ascii(out, 'Z"');
  },
  /** reads a count (arrays, union branches) */
  N: readLong,
  /** skips */
  SI: () => void readLong(),
  SL: () => void readBig(),
  SS: () => void stringBounds(),
  SB: () => void pos++,
  /** the reading position, saved and restored around a look-ahead */
  P: () => pos,
  SP: (p: number) => void (pos = p),
  /** still within the message (a bad count must not loop on) */
  OK: () => !bad && pos <= end,
  X: fail,
};
let isoSecond = -1;
let isoPrefix = '';

class Unsupported extends Error {}

/** Generated code: literal text to write, or statements. */
type Part = { lit: string } | { code: string };

/** What generating code carries along: a counter for fresh variables, and the literals. */
interface GenState {
  n: number;
  lits: Literals;
}

/** The statement that writes literal text `t`. */
const writeLit = (v: GenState, t: string): string => `W(LIT,${v.lits.at(t)});`;

/** Statements, literals next to each other written by one call. */
function render(parts: Part[], v: GenState): string {
  let code = '';
  let lit = '';
  for (const p of parts) {
    if ('lit' in p) lit += p.lit;
    else {
      if (lit) code += writeLit(v, lit);
      lit = '';
      code += p.code;
    }
  }
  return lit ? code + writeLit(v, lit) : code;
}

/** What reads a value of `type` and, unless `skip`, writes its JSON; `v` numbers fresh variables. */
function gen(type: avro.Type, skip: boolean, v: GenState): Part[] {
  const lit = (s: string): Part[] => (skip ? [] : [{ lit: s }]);
  const code = (c: string): Part[] => [{ code: c }];
  switch (type.typeName) {
    case 'null':
      return lit('null');
    case 'boolean':
      return code(skip ? 'SB();' : 'B();');
    case 'int':
      return code(skip ? 'SI();' : 'I();');
    case 'string':
      return code(skip ? 'SS();' : 'S();');
    case 'abstract:long':
      if (!isBigLong(type)) throw new Unsupported(type.typeName);
      return code(skip ? 'SL();' : 'L();');
    case 'record': {
      const fields = (type as avro.types.RecordType).fields;
      if (fields.length === 0) return lit('{}');
      return [...fields.flatMap((f, i) => [...lit(`${i ? ',' : '{'}${JSON.stringify(f.name)}:`), ...gen(f.type, skip, v)]), ...lit('}')];
    }
    case 'array': {
      // avsc: blocks of n items until a count of 0; a negative count is followed by a byte size.
      const n = `n${v.n++}`;
      const i = `i${v.n++}`;
      const item = render(gen((type as avro.types.ArrayType).itemsType, skip, v), v);
      const sep = skip ? '' : `if (${i}++) ${writeLit(v, ',')}`;
      const loop = `{ let ${n}, ${i} = 0; while ((${n} = N()) !== 0 && OK()) { if (${n} < 0) { ${n} = -${n}; SI(); } while (${n}-- > 0 && OK()) { ${sep}${item} } } }`;
      return [...lit('['), ...code(loop), ...lit(']')];
    }
    case 'union:unwrapped': {
      // As json-bytes: null, or the one other branch.
      const types = (type as avro.types.UnwrappedUnionType).types;
      if (types.filter((t) => t.typeName !== 'null').length !== 1) throw new Unsupported('union');
      const cases = types.map((t, k) => `case ${k}: ${render(gen(t, skip, v), v)} break;`).join(' ');
      return code(`switch (N()) { ${cases} default: X(); }`);
    }
    default:
      throw new Unsupported(type.typeName);
  }
}

/**
 * The transcoder for lines of `kind` whose messages were written with `type` (the reader's own
 * schema: no resolution), or undefined when `type` uses what is not compiled here.
 */
export function compileJsonLine(kind: string, type: avro.Type): JsonTranscoder | undefined {
  if (!(type instanceof avro.types.RecordType)) return undefined;
  const fields = type.fields;
  const index = (name: string): number => fields.findIndex((f) => f.name === name);
  const ownKind = index('kind');
  const ownTime = index('time');
  // The line starts with kind and time (json.ts's lineWriter): look ahead for them, then read in order.
  const timeField = ownTime >= 0 ? ownTime : index('time_ns');
  if (timeField < 0 || (ownKind >= 0 && fields[ownKind].type.typeName !== 'string')) return undefined;
  if (ownTime >= 0 && fields[ownTime].type.typeName !== 'string') return undefined;
  if (ownTime < 0 && !isBigLong(fields[timeField].type)) return undefined;
  let body: string;
  const v: GenState = { n: 0, lits: new Literals() };
  try {
    const skipTo = (k: number): Part[] => fields.slice(0, k).flatMap((f) => gen(f.type, true, v));
    const parts: Part[] = [{ code: 'const s = P();' }];
    if (ownKind >= 0) parts.push({ lit: '{"kind":' }, ...skipTo(ownKind), { code: 'S();SP(s);' });
    else parts.push({ lit: `{"kind":${jsonString(kind)}` });
    parts.push({ lit: ',"time":' }, ...skipTo(timeField), { code: `${ownTime >= 0 ? 'S();' : 'T();'}SP(s);` });
    fields.forEach((f, i) => {
      if (i === ownKind || i === ownTime) parts.push(...gen(f.type, true, v));
      else parts.push({ lit: `,${JSON.stringify(f.name)}:` }, ...gen(f.type, false, v));
    });
    parts.push({ lit: '}' });
    body = render(parts, v);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const names = Object.keys(helpers);
  const line = new Function(...names, 'LIT', `return function line() { ${body} };`)(...Object.values(helpers), v.lits.bytes()) as () => void;
  return (o, value, at, stop = value.length) => {
    const start = o.pos;
    out = o;
    buf = value;
    pos = at;
    end = stop;
    bad = false;
    try {
      line();
    } catch {
      bad = true;
    }
    const done = !bad && pos === end;
    buf = EMPTY;
    if (!done) o.pos = start;
    return done;
  };
}
const EMPTY = Buffer.alloc(0);
