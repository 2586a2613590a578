/**
 * The OpenSearch backend of search: a condition in the backend-neutral normal form (search/
 * normalize.ts), specialized to one event kind, to query DSL. Keyword tests become term, terms,
 * prefix, wildcard and regexp queries; numbers term and range; address ranges range queries on
 * `ip` fields (which hold IPv4 as v4-mapped IPv6, so one range form serves both); and/or/not bool.
 * A field a document leaves out (toEcs omits empty values) reads as '' or 0, so a test that holds
 * for '' also takes the documents without the field. A container's short id is tested by a script;
 * proc.cmdline and proc.pname by the intervals lookup.ts resolves first.
 */
import * as ipaddr from 'ipaddr.js';
import type { EventKind } from '../../../schemas/types';
import { globToRegExp } from '../../rules/tests';
import { IPV4_MAPPED, type IpRange, type NCond, type NTest, type Test, unsupported } from '../../search/normalize';
import { osField, type Case, type Query, type Value } from './search-fields';

export const MATCH_ALL: Query = { match_all: {} };
export const MATCH_NONE: Query = { match_none: {} };

/** proc.cmdline / proc.pname tests, already resolved to queries (lookup.ts). */
export type LookupResolver = (t: NTest, kind: EventKind) => Query;

export const and = (qs: Query[]): Query => (qs.length === 1 ? qs[0] : { bool: { filter: qs } });
export const or = (qs: Query[]): Query => (qs.length === 0 ? MATCH_NONE : qs.length === 1 ? qs[0] : { bool: { should: qs, minimum_should_match: 1 } });
export const not = (q: Query): Query => ({ bool: { must_not: [q] } });
const exists = (path: string): Query => ({ exists: { field: path } });

/** The test on a plain value, as the rule engine decides it (for constants and absent fields). */
export function evalTest(t: Test, v: string | number | boolean): boolean {
  switch (t.t) {
    case 'exists':
      return v !== '';
    case 'bool':
      return v === t.value;
    case 'cmp': {
      const n = v as number;
      return t.cmp === '='
        ? n === t.value
        : t.cmp === '!='
          ? n !== t.value
          : t.cmp === '<'
            ? n < t.value
            : t.cmp === '<='
              ? n <= t.value
              : t.cmp === '>'
                ? n > t.value
                : n >= t.value;
    }
    case 'in':
      return t.values.includes(v as number);
    case 'ip':
      return t.negate; // only '' reaches here: no address is in any range
  }
  const s = String(v);
  switch (t.t) {
    case 'eq':
      return s === t.value;
    case 'ne':
      return s !== t.value;
    case 'in_str':
      return t.values.includes(s);
    case 'startswith':
      return s.startsWith(t.value);
    case 'endswith':
      return s.endsWith(t.value);
    case 'contains':
      return s.includes(t.value);
    case 'icontains':
      return s.toLowerCase().includes(t.value.toLowerCase());
    case 'glob':
      return globToRegExp(t.value).test(s);
    case 'pmatch':
      return t.values.some((p) => s === p.replace(/\/+$/, '') || s.startsWith(p.endsWith('/') ? p : `${p}/`));
  }
}

const wildcardEscape = (s: string): string => s.replace(/[\\*?]/g, '\\$&');
const REGEXP_SPECIAL = /[.?+*|{}[\]()"\\#@&<>~^-]/g;

/** The engine's glob (see compile.ts globToRegExp) in Lucene's regexp syntax (anchored by Lucene). */
export function globToLucene(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end);
      let neg = '';
      if (cls.startsWith('!')) [neg, cls] = ['^', cls.slice(1)];
      // Inside a class only ranges (a-z) keep their meaning; everything else is literal.
      re += `[${neg}${cls.replace(/[\\[\]^"]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(REGEXP_SPECIAL, '\\$&');
  }
  return re;
}

/** Keyword test on documents that have the path. */
function kwTest(path: string, t: Test): Query {
  switch (t.t) {
    case 'eq':
      return { term: { [path]: t.value } };
    case 'ne':
      return { bool: { filter: [exists(path)], must_not: [{ term: { [path]: t.value } }] } };
    case 'in_str':
      return { terms: { [path]: t.values } };
    case 'exists':
      return { bool: { filter: [exists(path)], must_not: [{ term: { [path]: '' } }] } };
    case 'startswith':
      return t.value === '' ? exists(path) : { prefix: { [path]: t.value } };
    case 'endswith':
      return { wildcard: { [path]: { value: `*${wildcardEscape(t.value)}` } } };
    case 'contains':
      return { wildcard: { [path]: { value: `*${wildcardEscape(t.value)}*` } } };
    case 'icontains':
      return { wildcard: { [path]: { value: `*${wildcardEscape(t.value)}*`, case_insensitive: true } } };
    case 'glob':
      return { regexp: { [path]: { value: globToLucene(t.value), flags: 'ALL', max_determinized_states: 100000 } } };
    case 'pmatch': {
      const exact = t.values.map((v) => v.replace(/\/+$/, ''));
      const dirs = t.values.map((v) => (v.endsWith('/') ? v : `${v}/`));
      return or([{ terms: { [path]: exact } }, ...dirs.map((d) => ({ prefix: { [path]: d } }))]);
    }
    default:
      throw new Error(`string test ${t.t} on ${path}`);
  }
}

/** A keyword test where a document without the path holds `missing` (undefined: no value, the test fails). */
export function testOnKeyword(path: string, t: Test, missing: '' | undefined): Query {
  const present = kwTest(path, t);
  return missing !== undefined && evalTest(t, missing) ? or([present, not(exists(path))]) : present;
}

function numTest(path: string, t: Test): Query {
  switch (t.t) {
    case 'exists':
      return exists(path);
    case 'in':
      return { terms: { [path]: t.values } };
    case 'cmp': {
      const v = t.value;
      if (t.cmp === '=') return { term: { [path]: v } };
      if (t.cmp === '!=') return { bool: { filter: [exists(path)], must_not: [{ term: { [path]: v } }] } };
      const op = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' }[t.cmp];
      return { range: { [path]: { [op]: v } } };
    }
    default:
      throw new Error(`numeric test ${t.t} on ${path}`);
  }
}

const ipText = (b: Buffer): string => ipaddr.fromByteArray([...b]).toString();
const MAPPED = { gte: ipText(IPV4_MAPPED.lo), lte: ipText(IPV4_MAPPED.hi) };

function ipIn(path: string, ranges: IpRange[]): Query {
  return or(
    ranges.map((r) => {
      const q = { range: { [path]: { gte: ipText(r.lo), lte: ipText(r.hi) } } };
      // An IPv6 range never holds IPv4 addresses in the engine, even ::/0.
      return r.v6only ? { bool: { filter: [q], must_not: [{ range: { [path]: MAPPED } }] } } : q;
    }),
  );
}

/** A container id as the language has it (its first 12 characters), tested in a script. */
const SHORT_SCRIPT = `
String s = doc[params.path].value;
if (s.length() > 12) { s = s.substring(0, 12); }
String op = params.op;
if (op == 'eq') return s == params.v;
if (op == 'ne') return s != params.v;
if (op == 'in_str') return params.vs.contains(s);
if (op == 'startswith') return s.startsWith(params.v);
if (op == 'endswith') return s.endsWith(params.v);
if (op == 'contains') return s.contains(params.v);
if (op == 'icontains') return s.toLowerCase().contains(params.v.toLowerCase());
if (op == 'pmatch') { for (def p : params.vs) { if (s == p || s.startsWith(p + '/')) return true; } return false; }
return s != '';`;

function shortTest(path: string, t: Test): Query {
  if (t.t === 'glob') {
    // The glob's language L over the stored full id: ids of at most 12 characters in L, or longer
    // ones whose first 12 are (Lucene's intersection operator, on with the ALL flags).
    const l = globToLucene(t.value);
    return { regexp: { [path]: { value: `((${l})&.{0,12})|(((${l})&.{12}).+)`, flags: 'ALL', max_determinized_states: 100000 } } };
  }
  const params: Record<string, unknown> = { op: t.t, path };
  if ('value' in t) params.v = t.value;
  if ('values' in t) params.vs = t.t === 'pmatch' ? t.values.map((v) => v.replace(/\/+$/, '')) : t.values;
  return { script: { script: { source: SHORT_SCRIPT, lang: 'painless', params } } };
}

/** One case of a field: the documents it covers that pass the test. */
function caseQuery(c: Case, t: Test): Query | undefined {
  const v: Value = c.value;
  let q: Query | undefined;
  if ('const' in v) q = evalTest(t, v.const) ? MATCH_ALL : undefined;
  else if ('short' in v) q = shortTest(v.short, t);
  else if ('lookup' in v) throw new Error('lookup fields are resolved by the caller');
  else if (v.type === 'ip' && v.missing !== undefined) {
    // Absent: '' (net.local_ip), in no range. A string test (net.dst_ip) reads the text field instead.
    if (t.t === 'exists') q = exists(v.path);
    else if (t.t !== 'ip') q = kwTest(v.path, t);
    else q = t.negate ? not(ipIn(v.path, t.ranges)) : ipIn(v.path, t.ranges);
  } else if (v.type === 'ip') {
    // Absent: no value (fd.lip): every test needs the field, its negation included.
    if (t.t === 'exists') q = exists(v.path);
    else if (t.t !== 'ip') q = kwTest(v.path, t);
    else q = t.negate ? and([exists(v.path), not(ipIn(v.path, t.ranges))]) : ipIn(v.path, t.ranges);
  } else {
    const present =
      v.type === 'kw' ? kwTest(v.path, t) : v.type === 'num' ? numTest(v.path, t) : t.t === 'exists' ? exists(v.path) : { term: { [v.path]: (t as { value: boolean }).value } };
    q = v.missing !== undefined && evalTest(t, v.missing) ? or([present, not(exists(v.path))]) : present;
  }
  if (!q) return undefined;
  const guards = [...(c.when ? [c.when] : []), ...(q === MATCH_ALL ? [] : [q])];
  const base = guards.length ? and(guards) : MATCH_ALL;
  return c.unless ? { bool: { filter: base === MATCH_ALL ? [] : [base], must_not: [c.unless] } } : base;
}

function testQuery(nt: NTest, kind: EventKind, lookup: LookupResolver): Query {
  const t = nt.test;
  const cases = osField(nt.field, kind, t.t === 'ip');
  if (!cases) throw unsupported(nt, 'the OpenSearch store has no field for it');
  if (cases.length === 1 && 'lookup' in cases[0].value) return lookup(nt, kind);
  return or(cases.map((c) => caseQuery(c, t)).filter((q): q is Query => q !== undefined));
}

/** DSL for a condition already specialized to `kind` (see forKind). */
export function toDsl(c: NCond, kind: EventKind, lookup: LookupResolver): Query {
  switch (c.op) {
    case 'const':
      return c.value ? MATCH_ALL : MATCH_NONE;
    case 'not':
      return not(toDsl(c.arg, kind, lookup));
    case 'and':
      return and(c.args.map((a) => toDsl(a, kind, lookup)));
    case 'or':
      return or(c.args.map((a) => toDsl(a, kind, lookup)));
    case 'test':
      return testQuery(c, kind, lookup);
  }
}
