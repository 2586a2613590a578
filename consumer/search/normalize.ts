/**
 * A condition of the rules' language in a backend-neutral normal form: macros expanded, lists
 * resolved, values parsed to their field's type (numbers, booleans, address ranges), each field's
 * type and kinds known, every node with its place in the source for errors. Each search backend
 * (SQLite here; OpenSearch's query DSL next) emits its query from this form, so the language's
 * meaning is decided once, here, the way the rule engine's compile.ts decides it.
 *
 * The condition is first compiled by the rule engine's compiler (the same errors, positions and
 * exit code as tail --where and detect), then walked again here. What the engine evaluates over a
 * small closed set is rewritten here into tests the stores hold: evt.type names (Falco's execve,
 * procexit) become the stored ones (exec, exit), evt.res text ("SUCCESS", "ENOENT") becomes tests
 * of the number. Transformers, val(), oneof/anyof/allof and fields the stores do not keep are
 * refused with their place.
 */
import * as ipaddr from 'ipaddr.js';
import { EVENT_KINDS, type EventKind } from '../../schemas/types';
import { RuleError, type Locator, type Position } from '../rules/errors';
import * as os from 'node:os';
import { CAPTURED, TYPE_ALIASES } from '../rules/event-types';
import { resolveField, TYPE_KINDS, type FieldType } from '../rules/fields';
import type { CompileEnv } from '../rules/compile';
import type { Cmp, Node, ValueItem } from '../rules/syntax';
import { strTest } from '../rules/tests';

export type StrOp = 'startswith' | 'endswith' | 'contains' | 'icontains' | 'glob';

/** An address range, both ends as 16 bytes (IPv4 as ::ffff:a.b.c.d). */
export interface IpRange {
  /** As written (10.0.0.0/8, fd00::/8, 1.2.3.4). */
  text: string;
  lo: Buffer;
  hi: Buffer;
  /**
   * An IPv6 range that does not match IPv4 addresses even where it covers ::ffff:0:0/96 (as in
   * the rule engine, which tests IPv4 addresses against IPv4 ranges only).
   */
  v6only: boolean;
}

export type Test =
  | { t: 'exists' }
  | { t: 'cmp'; cmp: '=' | '!=' | '<' | '<=' | '>' | '>='; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'in'; values: number[] }
  | { t: 'eq'; value: string }
  | { t: 'ne'; value: string }
  | { t: 'in_str'; values: string[] }
  | { t: StrOp; value: string }
  | { t: 'pmatch'; values: string[] }
  /** Address membership (in, = and != on an address field): any of the ranges. */
  | { t: 'ip'; ranges: IpRange[]; negate: boolean };

export interface NTest {
  op: 'test';
  field: string;
  type: FieldType;
  kinds: readonly EventKind[];
  test: Test;
  /** Where the field was named (a --where column, or a macro's place in its rule file). */
  pos: Position;
}

export type NCond = { op: 'and' | 'or'; args: NCond[] } | { op: 'not'; arg: NCond } | { op: 'const'; value: boolean } | NTest;

const TRUE: NCond = { op: 'const', value: true };
const FALSE: NCond = { op: 'const', value: false };

const MAPPED_LO = Buffer.from('00000000000000000000ffff00000000', 'hex');
const MAPPED_HI = Buffer.from('00000000000000000000ffffffffffff', 'hex');
export const IPV4_MAPPED = { lo: MAPPED_LO, hi: MAPPED_HI };

function rangeOf(text: string): IpRange {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let bits: number;
  if (text.includes('/')) [addr, bits] = ipaddr.parseCIDR(text);
  else {
    addr = ipaddr.parse(text);
    bits = addr.kind() === 'ipv4' ? 32 : 128;
  }
  let v6only = false;
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    // v4-mapped folds to IPv4, as in the engine
  } else if (addr.kind() === 'ipv6') v6only = true;
  const bytes = addr.kind() === 'ipv4' ? (addr as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : (addr as ipaddr.IPv6).toByteArray();
  const prefix = addr.kind() === 'ipv4' ? bits + 96 : bits;
  const lo = Buffer.from(bytes);
  const hi = Buffer.from(bytes);
  for (let i = 0; i < 128; i++) {
    if (i < prefix) continue;
    const byte = i >> 3;
    const bit = 0x80 >> (i & 7);
    lo[byte] &= ~bit;
    hi[byte] |= bit;
  }
  return { text, lo, hi, v6only };
}

const LIST_OPS = new Set(['in', 'intersects', 'pmatch']);

/** The items of a comparison: a bare word naming a list expands to its items (as compile.ts does). */
function items(node: Cmp, env: CompileEnv): ValueItem[] {
  const out: ValueItem[] = [];
  const expand = (name: string, seen: string[]): string[] | undefined => {
    const l = env.lists.get(name);
    if (!l || seen.includes(name)) return undefined;
    return l.flatMap((it) => expand(it, [...seen, name]) ?? [it]);
  };
  const listCtx = node.list || LIST_OPS.has(node.op);
  for (const it of node.values) {
    const list = listCtx && !it.quoted ? expand(it.v, []) : undefined;
    if (list) out.push(...list.map((v) => ({ v, quoted: true, at: it.at })));
    else out.push(it);
  }
  return out;
}

const num = (v: string): number => Number(v);
const NUMBER = /^[+-]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)$/;
const ORDER = new Set(['<', '<=', '>', '>=']);

/** A string test, as the engine runs it, to decide membership in a small closed set of names. */
function passes(op: string, vals: string[], name: string): boolean {
  return strTest(op === 'intersects' ? 'in' : op, vals)(name);
}

const ERRNO_CODES = Object.entries(os.constants.errno);

/**
 * evt.type over its closed set: the names (Falco's, and the stored ones) a test selects, as a test
 * of the stored name. The types not captured never match.
 */
function typeTest(node: Cmp, vals: string[], mk: (t: Test) => NTest): NCond {
  const norm = node.op === '=' || node.op === '!=' || LIST_OPS.has(node.op) ? vals.map((v) => TYPE_ALIASES[v] ?? v) : vals;
  const hit = CAPTURED.filter((t) => passes(node.op === '!=' ? '=' : node.op, norm, t.name)).map((t) => t.internal);
  const t = mk({ t: 'in_str', values: hit });
  return node.op === '!=' ? { op: 'not', arg: t } : t; // every event has a type: != is not-in
}

function normalizeCmp(node: Cmp, env: CompileEnv, loc: Locator): NCond {
  const pos = loc(node.at);
  if (node.lhs.n !== 'field' || node.rhs || node.mod) {
    throw new RuleError('transformers, val() and oneof/anyof/allof are evaluated by the rule engine only: they cannot be searched in the store', pos);
  }
  const r = resolveField(node.lhs.name, node.lhs.arg);
  if ('error' in r) throw new RuleError(r.error, pos);
  const def = r.def;
  if (def.missing) return FALSE; // no value here: the engine's comparison is false too
  const vals = items(node, env).map((it) => it.v);
  const mk = (test: Test, field = def.name, type: FieldType = def.type): NTest => ({ op: 'test', field, type, kinds: def.kinds, test, pos });
  // exists: a value, and not the empty string (as the engine has it).
  if (node.op === 'exists') return def.name === 'evt.res' ? mk({ t: 'exists' }, 'evt.rawres', 'num') : mk({ t: 'exists' });
  if (def.name === 'evt.type') return typeTest(node, vals, mk);
  if (def.name === 'evt.res') {
    if (ORDER.has(node.op) || vals.every((v) => NUMBER.test(v))) return numeric(node, vals.map(num), 'evt.rawres', mk);
    return resText(node, vals, mk);
  }
  if (!['=', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'startswith', 'endswith', 'contains', 'icontains', 'glob', 'pmatch'].includes(node.op)) {
    throw new RuleError(`operator "${node.op}" is evaluated by the rule engine only: it cannot be searched in the store`, pos);
  }
  if (def.type === 'num') return numeric(node, vals.map(num), def.name, mk);
  if (def.type === 'bool') {
    const want = new Set(vals.map((v) => v === 'true'));
    const ors = [...want].map((w) => mk({ t: 'bool', value: node.op === '!=' ? !w : w }));
    return ors.length === 1 ? ors[0] : { op: 'or', args: ors };
  }
  if (def.type === 'ip' && (node.op === 'in' || node.op === 'intersects' || node.op === '=' || node.op === '!=')) {
    return mk({ t: 'ip', ranges: vals.map(rangeOf), negate: node.op === '!=' });
  }
  if (ORDER.has(node.op)) throw new RuleError(`"${node.op}" on a string field is evaluated by the rule engine only: it cannot be searched in the store`, pos);
  switch (node.op) {
    case '=':
      return mk({ t: 'eq', value: vals[0] });
    case '!=':
      return mk({ t: 'ne', value: vals[0] });
    case 'in':
    case 'intersects':
      return mk({ t: 'in_str', values: vals });
    case 'pmatch':
      return mk({ t: 'pmatch', values: vals });
    default:
      return mk({ t: node.op as StrOp, value: vals[0] });
  }
}

function numeric(node: Cmp, ns: number[], field: string, mk: (t: Test, field?: string, type?: FieldType) => NTest): NCond {
  if (node.op === 'in' || node.op === 'intersects') return mk({ t: 'in', values: ns }, field, 'num');
  return mk({ t: 'cmp', cmp: node.op as '=', value: ns[0] }, field, 'num');
}

/**
 * evt.res as text: "SUCCESS" for a result of 0 or more (and every exit), else the error's name. A
 * test over these names becomes a test of the number: SUCCESS, and each known errno name it passes.
 */
function resText(node: Cmp, vals: string[], mk: (t: Test, field?: string, type?: FieldType) => NTest): NCond {
  const op = node.op === '!=' ? '=' : node.op;
  const codes = ERRNO_CODES.filter(([name]) => passes(op, vals, name)).map(([, n]) => -n);
  const parts: NCond[] = [];
  // Exit codes are never negative: an exit's SUCCESS is its rawres >= 0 too.
  if (passes(op, vals, 'SUCCESS')) parts.push(mk({ t: 'cmp', cmp: '>=', value: 0 }, 'evt.rawres', 'num'));
  if (codes.length) parts.push(mk({ t: 'in', values: codes }, 'evt.rawres', 'num'));
  const any: NCond = parts.length === 0 ? FALSE : parts.length === 1 ? parts[0] : { op: 'or', args: parts };
  return node.op === '!=' ? { op: 'not', arg: any } : any;
}

/**
 * The normal form of a parsed condition. Assumes the condition compiled (compileExpression or the
 * rule loader checked fields, operators, values and macros); `loc` places its offsets.
 */
export function normalize(node: Node, env: CompileEnv, loc: Locator): NCond {
  switch (node.n) {
    case 'and':
    case 'or':
      return { op: node.n, args: [normalize(node.left, env, loc), normalize(node.right, env, loc)] };
    case 'not':
      return { op: 'not', arg: normalize(node.arg, env, loc) };
    case 'ref': {
      const m = env.macros.get(node.name)!;
      return normalize(m.ast, env, m.loc);
    }
    case 'cmp':
      return normalizeCmp(node, env, loc);
  }
}

/** Does a test on evt.kind / evt.type hold for every event of `kind`? undefined: it depends on the event. */
function kindConstant(t: NTest, kind: EventKind): boolean | undefined {
  if (t.field !== 'evt.kind') return undefined;
  const x = t.test;
  switch (x.t) {
    case 'eq':
      return x.value === kind;
    case 'ne':
      return x.value !== kind;
    case 'in_str':
      return x.values.includes(kind);
    case 'exists':
      return true;
    case 'startswith':
      return kind.startsWith(x.value);
    case 'endswith':
      return kind.endsWith(x.value);
    case 'contains':
      return kind.includes(x.value);
    case 'icontains':
      return kind.includes(x.value.toLowerCase());
    default:
      return undefined; // glob, pmatch: left to the backend
  }
}

/**
 * The condition for the events of one kind: tests of fields that do not apply to it are false
 * (and their negations true, as in the engine), evt.kind is a constant, constants are folded.
 * The const false result means no event of the kind can match: its table need not be read.
 */
export function forKind(c: NCond, kind: EventKind): NCond {
  switch (c.op) {
    case 'const':
      return c;
    case 'not': {
      const a = forKind(c.arg, kind);
      return a.op === 'const' ? { op: 'const', value: !a.value } : { op: 'not', arg: a };
    }
    case 'and':
    case 'or': {
      const args: NCond[] = [];
      for (const a of c.args.map((x) => forKind(x, kind))) {
        if (a.op === 'const') {
          if (a.value === (c.op === 'or')) return a; // true in an or, false in an and
          continue;
        }
        args.push(a);
      }
      if (args.length === 0) return c.op === 'and' ? TRUE : FALSE;
      return args.length === 1 ? args[0] : { op: c.op, args };
    }
    case 'test': {
      if (!c.kinds.includes(kind)) return FALSE;
      const k = kindConstant(c, kind);
      if (k !== undefined) return k ? TRUE : FALSE;
      if (c.field === 'evt.type' && (c.test.t === 'eq' || c.test.t === 'in_str')) {
        const types = c.test.t === 'eq' ? [c.test.value] : c.test.values;
        if (!types.some((t) => TYPE_KINDS[t] === kind)) return FALSE;
      }
      return c;
    }
  }
}

/** The kinds a condition can match. */
export function kindsOf(c: NCond): EventKind[] {
  return EVENT_KINDS.filter((k) => !(forKind(c, k).op === 'const' && !(forKind(c, k) as { value: boolean }).value));
}

/** Every field a condition names, with where (for "cannot search this field" errors). */
export function fieldsOf(c: NCond, out: NTest[] = []): NTest[] {
  if (c.op === 'test') out.push(c);
  else if (c.op === 'not') fieldsOf(c.arg, out);
  else if (c.op === 'and' || c.op === 'or') for (const a of c.args) fieldsOf(a, out);
  return out;
}

export function unsupported(t: NTest, why: string): RuleError {
  return new RuleError(`field "${t.field}" cannot be searched in the store: ${why}`, t.pos);
}

/**
 * The condition with tests of fields a store cannot evaluate (proc.aname: ancestors above the
 * parent) widened so that it matches a superset of the events: such a test becomes true where the
 * condition needs it to hold and false where it is negated. exact says whether anything was
 * widened; when not, the caller re-checks each event found with the rule engine's predicate.
 */
export function relax(c: NCond, ok: (field: string) => boolean): { cond: NCond; exact: boolean } {
  let exact = true;
  const walk = (x: NCond, positive: boolean): NCond => {
    switch (x.op) {
      case 'const':
        return x;
      case 'not':
        return { op: 'not', arg: walk(x.arg, !positive) };
      case 'and':
      case 'or':
        return { op: x.op, args: x.args.map((a) => walk(a, positive)) };
      case 'test':
        if (ok(x.field)) return x;
        exact = false;
        return positive ? TRUE : FALSE;
    }
  };
  const cond = walk(c, true);
  return { cond, exact };
}
