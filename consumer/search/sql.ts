/**
 * The SQLite backend: a normalized condition, specialized to one event kind, to an SQL boolean
 * over that kind's table (alias `e`) with bound parameters. Every operator runs in SQLite:
 * dictionary fields test the dictionary (a few thousand distinct strings) and match rows by id
 * through the table's indexes; IPv4 address ranges are ranges of the rows' address numbers, other
 * addresses' ranges compare 16-byte keys through the address dictionary's index.
 * Every test is NULL-safe: a field that has no value makes the test false and its negation true,
 * as in the rule engine.
 */
import type { EventKind } from '../../schemas/types';
import { BLOCK, BLOCK_INDEXED } from '../store/schema';
import { IPV4_MAPPED, type IpRange, type NCond, type NTest, type Test, unsupported } from './normalize';
import { sqlField } from './sql-fields';
import { extTest } from './sql-ext';

export interface SqlWhere {
  sql: string;
  params: unknown[];
}

/**
 * Runs a dictionary subquery (ids of strings, addresses or hosts) in the day file being searched.
 * With it, a short id list is inlined, so SQLite's planner sees its true size and can use the
 * column's index; a long one stays a subquery that does not drive the plan.
 */
export interface IdLookup {
  ids(sql: string, params: unknown[]): number[];
  /** A time window narrows the scan already: a long id list must not drive the plan instead. */
  ranged: boolean;
  /** The blocks of the rows searched as an SQL list (DayReader.blocks): block-led indexes need it. */
  blocks: string;
}

/** Above this many ids, a dictionary match is a membership test, not an index lookup. */
const INLINE_IDS = 64;

/** The engine's glob (* ? [...] [!...], an unclosed [ is literal) as an SQLite GLOB pattern. */
export function sqliteGlob(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '[[]';
        continue;
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls}]`;
      i = end;
    } else out += c;
  }
  return out;
}

/** A GLOB pattern matching `s` literally. */
const globLiteral = (s: string): string => s.replace(/[*?[]/g, (c) => `[${c}]`);

/** The smallest string above every string that starts with `p` (by code point, as SQLite compares UTF-8); undefined if none. */
export function prefixEnd(p: string): string | undefined {
  const cps = [...p];
  while (cps.length) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** A string test on the text expression `s`. */
function strTest(s: string, t: Test, p: unknown[]): string {
  const bind = (v: unknown): string => {
    p.push(v);
    return '?';
  };
  const prefix = (v: string): string => {
    if (v === '') return `${s} IS NOT NULL`;
    const end = prefixEnd(v);
    return end === undefined ? `substr(${s}, 1, length(${bind(v)})) = ${bind(v)}` : `(${s} >= ${bind(v)} AND ${s} < ${bind(end)})`;
  };
  switch (t.t) {
    case 'eq':
      return `${s} = ${bind(t.value)}`;
    case 'ne':
      return `${s} <> ${bind(t.value)}`;
    case 'in_str':
      return `${s} IN (${t.values.map(bind).join(', ')})`;
    case 'exists':
      return `${s} <> ''`;
    case 'startswith':
      return prefix(t.value);
    case 'endswith':
      return `${s} GLOB ${bind(`*${globLiteral(t.value)}`)}`;
    case 'contains':
      return `instr(${s}, ${bind(t.value)}) > 0`;
    case 'icontains':
      return `instr(ea_lower(${s}), ${bind(t.value.toLowerCase())}) > 0`;
    case 'glob':
      return `${s} GLOB ${bind(sqliteGlob(t.value))}`;
    case 'pmatch': {
      // Path prefixes by whole components: /etc matches /etc and /etc/x, not /etcetera.
      const exact = t.values.map((v) => v.replace(/\/+$/, ''));
      const dirs = t.values.map((v) => (v.endsWith('/') ? v : `${v}/`));
      return `(${s} IN (${exact.map(bind).join(', ')}) OR ${dirs.map(prefix).join(' OR ')})`;
    }
    default:
      throw new Error(`string test ${t.t}`);
  }
}

/** A dictionary address's 16-byte key (`bin`) in any of the ranges. */
function binTest(ranges: IpRange[], p: unknown[]): string {
  return ranges
    .map((r) => {
      p.push(r.lo, r.hi);
      if (!r.v6only) return 'bin BETWEEN ? AND ?';
      p.push(IPV4_MAPPED.lo, IPV4_MAPPED.hi);
      return '(bin BETWEEN ? AND ? AND bin NOT BETWEEN ? AND ?)';
    })
    .join(' OR ');
}

/** The IPv4 numbers of a range (its part inside ::ffff:0:0/96); undefined if none. */
function v4Part(r: IpRange): [number, number] | undefined {
  if (r.v6only) return undefined;
  const lo = Buffer.compare(r.lo, IPV4_MAPPED.lo) < 0 ? IPV4_MAPPED.lo : r.lo;
  const hi = Buffer.compare(r.hi, IPV4_MAPPED.hi) > 0 ? IPV4_MAPPED.hi : r.hi;
  if (Buffer.compare(lo, hi) > 0) return undefined;
  return [lo.readUInt32BE(12), hi.readUInt32BE(12)];
}

/**
 * An address column (IPv4 as its number, others as minus their addrs id) in any of the ranges.
 * A narrow IPv4 range or a short id list probes the block-led index; a wide one is a test on the rows.
 */
function addrTest(col: string, t: Extract<Test, { t: 'ip' }>, p: unknown[], lookup: IdLookup | undefined, blocked: boolean): string {
  if (t.ranges.length === 0) return t.negate ? '1' : '0';
  const parts: string[] = [];
  for (const r of t.ranges) {
    const v4 = v4Part(r);
    if (!v4) continue;
    const [a, b] = v4;
    const narrow = b - a < INLINE_IDS;
    const test = `${narrow || !lookup ? '' : '+'}${col} BETWEEN ${a} AND ${b}`;
    parts.push(narrow && blocked && lookup?.blocks ? `(${BLOCK} IN (${lookup.blocks}) AND ${test})` : test);
  }
  const sp: unknown[] = [];
  parts.push(member(col, `SELECT -id FROM addrs WHERE ${binTest(t.ranges, sp)}`, sp, p, lookup, blocked));
  const any = parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  // The column is never NULL: the negation needs no guard.
  return t.negate ? `NOT ${any}` : any;
}

/** An address column as the text the event carried. */
const addrText = (col: string): string =>
  `(CASE WHEN ${col} >= 0 THEN (${col} >> 24) || '.' || ((${col} >> 16) & 255) || '.' || ((${col} >> 8) & 255) || '.' || (${col} & 255) ELSE (SELECT ip FROM addrs WHERE id = -${col}) END)`;

function numTest(x: string, t: Test, p: unknown[]): string {
  if (t.t === 'exists') return `${x} IS NOT NULL`;
  if (t.t === 'in') {
    p.push(...t.values);
    return `${x} IN (${t.values.map(() => '?').join(', ')})`;
  }
  if (t.t === 'cmp') {
    p.push(t.value);
    return `${x} ${t.cmp === '!=' ? '<>' : t.cmp} ?`;
  }
  throw new Error(`numeric test ${t.t}`);
}

/** `col`'s value is one of the ids the dictionary subquery `sub` selects. */
function member(col: string, sub: string, subParams: unknown[], p: unknown[], lookup: IdLookup | undefined, blocked: boolean): string {
  if (lookup) {
    const ids = lookup.ids(`${sub} LIMIT ${INLINE_IDS + 1}`, subParams);
    if (ids.length === 0) return '0';
    if (ids.length <= INLINE_IDS) {
      const test = `${col} IN (${ids.map((id) => String(Math.trunc(Number(id)))).join(', ')})`;
      return blocked && lookup.blocks ? `(${BLOCK} IN (${lookup.blocks}) AND ${test})` : test;
    }
    p.push(...subParams);
    return `${lookup.ranged ? '+' : ''}${col} IN (${sub})`;
  }
  p.push(...subParams);
  return `${col} IN (${sub})`;
}

function test(c: NTest, kind: EventKind, p: unknown[], lookup?: IdLookup): string {
  const f = sqlField(c.field, kind);
  if (!f) throw unsupported(c, 'no column holds it');
  const t = c.test;
  const sp: unknown[] = [];
  let sql: string;
  let nullable = true;
  const blocked = (col: string): boolean => BLOCK_INDEXED[kind].includes(col);
  switch (f.k) {
    case 'num':
      sql = numTest(f.expr, t, p);
      nullable = !f.nn;
      break;
    case 'bool':
      sql = t.t === 'exists' ? `${f.expr} IS NOT NULL` : `(${f.expr}) = ${t.t === 'bool' && t.value ? 1 : 0}`;
      break;
    case 'text':
      sql = strTest(f.expr, t, p);
      break;
    case 'dict': {
      // Every row's id is in the dictionary: testing the strings and matching ids is the same test.
      const where = strTest(f.fn ? f.fn('s') : 's', t, sp);
      sql = member(f.col, `SELECT id FROM strings WHERE ${where}`, sp, p, lookup, blocked(f.col));
      nullable = f.nullable === true;
      break;
    }
    case 'host': {
      const where = strTest(f.col, t, sp);
      sql = member('e.host', `SELECT id FROM hosts WHERE ${where}`, sp, p, lookup, blocked('e.host'));
      nullable = false;
      break;
    }
    case 'ext':
      sql = extTest(f, t, { str: strTest, num: numTest, member: (sub, subParams) => member('e.ext', sub, subParams, p, lookup, false) });
      break;
    case 'addr':
      // Ranges (in, =, !=) use the numbers and the dictionary's index; other string tests read the text.
      sql = t.t === 'ip' ? addrTest(f.col, t, p, lookup, blocked(f.col)) : strTest(addrText(f.col), t, p);
      nullable = false;
      break;
  }
  // A NOT NULL column's test is never NULL; only the others need the guard (which hides indexes).
  return nullable ? `coalesce(${sql}, 0)` : sql;
}

/** SQL for a condition already specialized to `kind` (see forKind). */
export function toSql(c: NCond, kind: EventKind, params: unknown[] = [], lookup?: IdLookup): SqlWhere {
  const walk = (n: NCond): string => {
    switch (n.op) {
      case 'const':
        return n.value ? '1' : '0';
      case 'not':
        return `NOT (${walk(n.arg)})`;
      case 'and':
      case 'or':
        return `(${n.args.map(walk).join(n.op === 'and' ? ' AND ' : ' OR ')})`;
      case 'test':
        return test(n, kind, params, lookup);
    }
  };
  return { sql: walk(c), params };
}
