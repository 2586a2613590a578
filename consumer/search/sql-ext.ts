/**
 * Tests of the fields a day file keeps in the `ext` column (consumer/store/extension.ts): the
 * newer process, link, socket, ptrace and module values, as one JSON string per distinct set of
 * values, through the string dictionary. A test runs on the dictionary's JSON strings (those that
 * start with "{": a range of its unique index, a few per process, not one per row) and the rows
 * match by id, as the other dictionary fields do. A row without `ext` has every default: the test
 * is decided once on the default. `when` restricts the field to the rows it applies to (an SQL test
 * of the row's columns); elsewhere it reads `otherwise` (NULL: no value, every test false).
 */
import type { Test } from './normalize';

export type ExtType = 'num' | 'text' | 'bool' | 'ip';

export interface ExtField {
  k: 'ext';
  type: ExtType;
  /** The value, in SQL, from the JSON text `s`; NULL where the engine has no value. */
  val: (s: string) => string;
  /** The value of a row whose ext is NULL (all defaults), in SQL. */
  dflt: string;
  when?: string;
  otherwise?: string;
}

export interface ExtTesters {
  str(s: string, t: Test, p: unknown[]): string;
  num(x: string, t: Test, p: unknown[]): string;
  /** `e.ext` is one of the ids the dictionary subquery selects. */
  member(sub: string, subParams: unknown[]): string;
}

/** The JSON strings of the dictionary: all of them start with "{" (an index range of strings.s). */
const JSON_STRINGS = "s >= '{' AND s < '|' AND json_valid(s)";

/** An address test (in, =, != with ranges) on a text address: ea_addr (day-reader.ts) gives its 16-byte key. */
function ipTest(x: string, t: Extract<Test, { t: 'ip' }>, p: unknown[]): string {
  const b = `ea_addr(${x})`;
  const parts = t.ranges.map((r) => {
    p.push(r.lo, r.hi);
    // An IPv6 range never holds IPv4 addresses in the engine (see normalize.ts).
    return r.v6only ? `(${b} BETWEEN ? AND ? AND substr(${b}, 1, 12) <> x'00000000000000000000ffff')` : `${b} BETWEEN ? AND ?`;
  });
  const any = parts.length ? `coalesce(${parts.join(' OR ')}, 0)` : '0';
  // != holds for "" (no address: net.local_ip), not where the field has no value (fd.lip).
  return t.negate ? `(${x} IS NOT NULL AND NOT ${any})` : any;
}

/** The test on the SQL value `x` of a field of type `type`. */
function valueTest(type: ExtType, x: string, t: Test, p: unknown[], tt: ExtTesters): string {
  switch (type) {
    case 'num':
      return tt.num(x, t, p);
    case 'bool':
      return t.t === 'exists' ? `${x} IS NOT NULL` : `(${x}) = ${t.t === 'bool' && t.value ? 1 : 0}`;
    case 'ip':
      return t.t === 'ip' ? ipTest(x, t, p) : tt.str(x, t, p);
    case 'text':
      return tt.str(x, t, p);
  }
}

/** SQL for a test of an ext field; may be NULL where the field has no value (the caller guards it). */
export function extTest(f: ExtField, t: Test, tt: ExtTesters): string {
  const sp: unknown[] = [];
  const inner = valueTest(f.type, f.val('s'), t, sp, tt);
  const rows = tt.member(`SELECT id FROM strings WHERE ${JSON_STRINGS} AND coalesce(${inner}, 0)`, sp);
  const dp: unknown[] = [];
  const onDefault = valueTest(f.type, f.dflt, t, dp, tt);
  // Decided on the default once: a constant SQLite folds (no parameter in the row loop).
  const withDefault = `(${rows} OR (e.ext IS NULL AND coalesce(${inline(onDefault, dp)}, 0)))`;
  if (!f.when) return withDefault;
  const op: unknown[] = [];
  const other = f.otherwise ? valueTest(f.type, f.otherwise, t, op, tt) : '0';
  return `CASE WHEN ${f.when} THEN ${withDefault} ELSE coalesce(${inline(other, op)}, 0) END`;
}

/** SQL with its parameters written in as literals (strings, numbers, blobs). */
function inline(sql: string, params: unknown[]): string {
  let i = 0;
  return sql.replace(/\?/g, () => literal(params[i++]));
}

function literal(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return `x'${v.toString('hex')}'`;
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** The field's value on a row, in SQL (for --top): per row, so only for grouping. */
export function extRowValue(f: ExtField): string {
  const v = `CASE WHEN e.ext IS NULL THEN ${f.dflt} ELSE ${f.val('(SELECT s FROM strings WHERE id = e.ext)')} END`;
  return f.when ? `CASE WHEN ${f.when} THEN ${v} ELSE ${f.otherwise ?? 'NULL'} END` : v;
}
