/**
 * JSON text for decoded records, equal to JSON.stringify's but with bigints as exact integers and
 * terminal-unsafe characters (C1 controls, DEL, line and bidi separators) escaped as \uNNNN, so no
 * field can drive a terminal or split a line.
 *
 * Hand-written because JSON.stringify takes bigints only through a replacer, which calls back into
 * JS for every key: that was 6 of the 7 µs per event of `tail --output json`. `writeJson` walks any
 * value; `recordWriter` compiles one function per Avro record type (as avsc compiles its readers),
 * so an event's fields are read by name, in schema order, with no key lookups.
 */
import * as avro from 'avsc';

const UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** Anything JSON.stringify would escape, or UNSAFE: a string without these is written as is. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\u009f\u2028\u2029\ud800-\udfff\u202a-\u202e\u2066-\u2069]/;

const unsafeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A string as JSON text, terminal-unsafe characters escaped. */
export function jsonString(s: string): string {
  // Short strings (most fields) are checked in a loop: cheaper than a regex call.
  if (s.length < 64) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return JSON.stringify(s).replace(UNSAFE, unsafeEscape);
    }
    return `"${s}"`;
  }
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).replace(UNSAFE, unsafeEscape) : `"${s}"`;
}

/** Object keys as JSON text ("name":), computed once per distinct key. */
const keyText = new Map<string, string>();
function key(k: string): string {
  let t = keyText.get(k);
  if (t === undefined) {
    t = `${jsonString(k)}:`;
    if (keyText.size < 10_000) keyText.set(k, t);
  }
  return t;
}

/** Any value; undefined for what JSON.stringify leaves out (undefined, functions, symbols). */
export function writeJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += `${i ? ',' : ''}${writeJson(v[i]) ?? 'null'}`;
        return `${out}]`;
      }
      const o = v as Record<string, unknown> & { toJSON?: () => unknown };
      if (typeof o.toJSON === 'function') return writeJson(o.toJSON());
      let out = '{';
      // Own enumerable keys, as JSON.stringify takes them (avsc records have methods on their prototype).
      for (const k of Object.keys(o)) {
        const w = writeJson(o[k]);
        if (w !== undefined) out += out.length > 1 ? `,${key(k)}${w}` : `${key(k)}${w}`;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

type Writer = (v: any) => string; // eslint-disable-line @typescript-eslint/no-explicit-any

const anyValue: Writer = (v) => writeJson(v) ?? 'null';
const numberValue: Writer = (v) => (Number.isFinite(v) ? String(v) : 'null');

function typeWriter(type: avro.Type, seen: Map<avro.Type, Writer>): Writer {
  switch (type.typeName) {
    case 'string':
    case 'enum':
      return jsonString;
    case 'int':
    case 'long': // a BigInt (schemas/registry.ts) or a number: String() is exact for both
      return (v) => String(v);
    case 'abstract:long': // our BigInt long (schemas/registry.ts)
      return (v) => (typeof v === 'bigint' ? String(v) : anyValue(v));
    case 'float':
    case 'double':
      return numberValue;
    case 'boolean':
      return (v) => (v ? 'true' : 'false');
    case 'null':
      return () => 'null';
    case 'array': {
      const item = typeWriter((type as avro.types.ArrayType).itemsType, seen);
      return (v: unknown[]) => {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += i ? `,${item(v[i])}` : item(v[i]);
        return `${out}]`;
      };
    }
    case 'record':
      return compileRecord(type as avro.types.RecordType, seen);
    case 'union:unwrapped': {
      const branches = (type as avro.types.UnwrappedUnionType).types.filter((t) => t.typeName !== 'null');
      if (branches.length !== 1) return anyValue;
      const branch = typeWriter(branches[0], seen);
      return (v) => (v === null || v === undefined ? 'null' : branch(v));
    }
    default:
      return anyValue; // maps, bytes, fixed, wrapped unions, logical types: the generic walk
  }
}

/** `{"a":...,"b":...}` for a record, its fields in schema order, compiled once. */
function compileRecord(type: avro.types.RecordType, seen: Map<avro.Type, Writer>, skip: readonly string[] = [], head = ''): Writer {
  const cached = skip.length === 0 ? seen.get(type) : undefined;
  if (cached) return cached;
  // Recursive schemas: a late-bound reference, filled in below.
  let self: Writer = anyValue;
  if (skip.length === 0) seen.set(type, (v) => self(v));
  const fields = type.fields.filter((f) => !skip.includes(f.name));
  const writers = fields.map((f) => typeWriter(f.type, seen));
  let body = `return function (v${head ? ', h' : ''}) { return ${head ? 'h + ' : ''}`;
  body +=
    fields.length === 0
      ? `'${head ? '}' : '{}'}'`
      : fields.map((f, i) => `${JSON.stringify(`${i === 0 ? (head ? ',' : '{') : ','}${key(f.name)}`)} + w${i}(v[${JSON.stringify(f.name)}])`).join(' + ') + " + '}'";
  body += '; };';
  self = new Function(...writers.map((_, i) => `w${i}`), body)(...writers) as Writer;
  return self;
}

const compiled = new WeakMap<avro.Type, Map<string, (v: unknown, h: string) => string>>();

/**
 * For an avsc record of type `type`: a function of (record, head) returning head + its fields
 * except `skip`, + "}"; head must open the object (`{"kind":...`). Compiled once per type and skip.
 */
export function recordWriter(type: avro.types.RecordType, skip: readonly string[]): (v: unknown, head: string) => string {
  let byType = compiled.get(type);
  if (!byType) compiled.set(type, (byType = new Map()));
  let w = byType.get(skip.join());
  if (!w) {
    w = compileRecord(type, new Map(), skip, 'head') as (v: unknown, h: string) => string;
    byType.set(skip.join(), w);
  }
  return w;
}
