/**
 * A condition of the rules' language in a backend-neutral normal form: macros expanded, lists
 * resolved, values parsed to their field's type (numbers, booleans, address ranges), each field's
 * type and kinds known, every node with its place in the source for errors. Each search backend
 * (SQLite here; OpenSearch's query DSL next) emits its query from this form, so the language's
 * meaning is decided once, here, the way the rule engine's compile.ts decides it.
 *
 * The condition is first compiled by the rule engine's compiler (the same errors, positions and
 * exit code as tail --where and detect), then walked again here.
 */
import * as ipaddr from 'ipaddr.js';
import { EVENT_KINDS, type EventKind } from '../../schemas/types';
import { RuleError, type Locator, type Position } from '../rules/errors';
import { FIELDS, TYPE_KINDS, type FieldType } from '../rules/fields';
import type { CompileEnv } from '../rules/compile';
import type { Node, ValueItem } from '../rules/syntax';

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

/** The items of a comparison: a bare word naming a list expands to its items (as compile.ts does). */
function items(node: Extract<Node, { n: 'cmp' }>, env: CompileEnv): ValueItem[] {
  const out: ValueItem[] = [];
  for (const it of node.values) {
    const list = !it.quoted ? env.lists.get(it.v) : undefined;
    if (list) out.push(...list.map((v) => ({ v, quoted: true, at: it.at })));
    else out.push(it);
  }
  return out;
}

const num = (v: string): number => (v.startsWith('-') ? -Number(v.slice(1)) : Number(v));

function normalizeCmp(node: Extract<Node, { n: 'cmp' }>, env: CompileEnv, loc: Locator): NCond {
  const def = FIELDS.get(node.field)!;
  const pos = loc(node.fieldAt);
  const mk = (test: Test): NTest => ({ op: 'test', field: def.name, type: def.type, kinds: def.kinds, test, pos });
  if (node.op === 'exists') return mk({ t: 'exists' });
  const vals = items(node, env).map((it) => it.v);
  // evt.kind is known per table: a constant once the kind is (see forKind).
  if (def.type === 'num') {
    const ns = vals.map(num);
    return mk(node.op === 'in' ? { t: 'in', values: ns } : { t: 'cmp', cmp: node.op as '=', value: ns[0] });
  }
  if (def.type === 'bool') return mk({ t: 'bool', value: (vals[0] === 'true') === (node.op === '=') });
  if (def.type === 'ip' && (node.op === 'in' || node.op === '=' || node.op === '!=')) {
    return mk({ t: 'ip', ranges: vals.map(rangeOf), negate: node.op === '!=' });
  }
  switch (node.op) {
    case '=':
      return mk({ t: 'eq', value: vals[0] });
    case '!=':
      return mk({ t: 'ne', value: vals[0] });
    case 'in':
      return mk({ t: 'in_str', values: vals });
    case 'pmatch':
      return mk({ t: 'pmatch', values: vals });
    default:
      return mk({ t: node.op as StrOp, value: vals[0] });
  }
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
