/**
 * Conditions compiled once into closures: each comparison becomes a function that reads one field
 * and tests it against constants prepared at load, so nothing is parsed or interpreted per event.
 * Also works out which event kinds and types a condition can match (the engine runs a rule only on
 * those), and folds what is known at load: a comparison on data not captured here is false (as in
 * Falco when a field has no value), and the rule says so (`gaps`) instead of silently never firing.
 */
import { EVENT_KINDS, type EventKind } from '../../schemas/types';
import { RuleError, type Locator } from './errors';
import { BY_NAME, checkType, typeName, TYPE_ALIASES } from './event-types';
import type { FieldType } from './fields';
import { rawres } from './fields-evt';
import { NAME_FIELDS } from './fields-fd';
import { operandOf, type Operand as Value } from './operands';
import type { Cmp, Node, ValueItem } from './syntax';
import { ipSetTest, numTest, strTest, type Test } from './tests';
import { join, toPredicate, type Expr, type Inline, type Predicate } from './expr';

export type { Predicate } from './expr';

export interface Macro {
  ast: Node;
  loc: Locator;
}

export interface CompileEnv {
  macros: ReadonlyMap<string, Macro>;
  /** Lists by name; items may name other lists. */
  lists: ReadonlyMap<string, string[]>;
  /** Domain names that fd.*ip.name comparisons need resolved (filled while compiling). */
  hostnames: Set<string>;
  /** Macros referred to (filled while compiling). */
  used?: Set<string>;
}

/** A condition or a part of one, as compiled so far: parts combine (andOf, orOf, notOf) into a rule's. */
export interface Part {
  /** The tests, as a tree (expr.ts makes the rule's function of it). */
  expr: Expr;
  /** The kinds the condition can be true for. */
  kinds: Set<EventKind>;
  /** The event types (Falco's names) it can be true for; undefined: any of `kinds`. */
  types?: Set<string>;
  /** Known at load: the condition is always (true) or never (false) true here. */
  constant?: boolean;
  /** What is not captured here, by name, with why: parts of the condition that are then false. */
  gaps: Map<string, string>;
  /** For a condition known false: the gaps that make it so. */
  why?: Map<string, string>;
}

/** A whole condition, with its test as one function. */
export interface Compiled extends Part {
  pred: Predicate;
}

const STR_OPS = new Set([
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'intersects',
  'startswith',
  'endswith',
  'contains',
  'icontains',
  'bcontains',
  'bstartswith',
  'glob',
  'iglob',
  'regex',
  'pmatch',
  'exists',
]);
const OPS: Record<FieldType, Set<string>> = {
  str: STR_OPS,
  res: STR_OPS,
  num: new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'exists']),
  bool: new Set(['=', '!=', 'in', 'intersects', 'exists']),
  ip: new Set(['=', '!=', 'in', 'intersects', 'exists']),
};
const MULTI = new Set(['in', 'intersects', 'pmatch']);
const ORDER = new Set(['<', '<=', '>', '>=']);
const NUMBER = /^[+-]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)$/;

const FALSE: Expr = { t: 'const', v: false };
const TRUE: Expr = { t: 'const', v: true };
const never = (gaps: Map<string, string>, why = gaps): Part => ({ expr: FALSE, kinds: new Set(), types: new Set(), constant: false, gaps, why });
const always = (gaps: Map<string, string>): Part => ({ expr: TRUE, kinds: new Set(EVENT_KINDS), constant: true, gaps });
const call = (fn: Predicate): Expr => ({ t: 'call', fn });
const merge = (a: Map<string, string>, b: Map<string, string>): Map<string, string> => (b.size ? new Map([...a, ...b]) : a);

/** A list's items, nested list names expanded. */
function listItems(name: string, env: CompileEnv, seen: string[] = []): string[] | undefined {
  const items = env.lists.get(name);
  if (!items || seen.includes(name)) return undefined;
  return items.flatMap((it) => listItems(it, env, [...seen, name]) ?? [it]);
}

/** The comparison's values, list names expanded where a list may stand. */
function values(node: Cmp, env: CompileEnv, loc: Locator): ValueItem[] {
  const listCtx = node.list || MULTI.has(node.op) || node.mod !== undefined;
  const out: ValueItem[] = [];
  for (const it of node.values) {
    const items = listCtx && !it.quoted ? listItems(it.v, env) : undefined;
    if (items) out.push(...items.map((v) => ({ v, quoted: true, at: it.at })));
    else if (!node.list && listCtx) throw new RuleError(`unknown list "${it.v}"`, loc(it.at));
    else out.push(it);
  }
  if (!MULTI.has(node.op) && !node.mod && out.length !== 1) {
    throw new RuleError(`operator "${node.op}" takes one value, not a list of ${out.length}`, loc(node.values[0]?.at ?? node.opAt));
  }
  return out;
}

function typed(t: FieldType): string {
  return { str: 'string', res: 'string', num: 'numeric', bool: 'boolean', ip: 'address' }[t];
}

/** The test of one value against the (already expanded) constants. */
function valueTest(lhs: Value, node: Cmp, items: ValueItem[], loc: Locator): Test<unknown> {
  const op = node.op;
  const type = lhs.type;
  if (node.mod) {
    const tests = items.map((it) => valueTest(lhs, { ...node, mod: undefined }, [it], loc));
    return node.mod === 'allof' ? (x) => tests.every((f) => f(x)) : (x) => tests.some((f) => f(x));
  }
  const vs = items.map((it) => it.v);
  switch (type) {
    case 'num': {
      const nums = items.map((it) => {
        if (!NUMBER.test(it.v)) throw new RuleError(`${lhs.name} is a number; "${it.v}" is not`, loc(it.at));
        return Number(it.v);
      });
      const t = numTest(op, nums);
      return (x) => typeof x === 'number' && t(x);
    }
    case 'bool': {
      for (const it of items) if (it.v !== 'true' && it.v !== 'false') throw new RuleError(`${lhs.name} is true or false; "${it.v}" is neither`, loc(it.at));
      const want = new Set(items.map((it) => it.v === 'true'));
      return op === '!=' ? (x) => !want.has(x as boolean) : (x) => want.has(x as boolean);
    }
    case 'ip': {
      const set = ipSetTest(vs, (bad) => {
        throw new RuleError(`"${bad}" is not an IP address or CIDR range`, loc(items.find((it) => it.v === bad)!.at));
      });
      return op === '!=' ? (x) => !set(x as string) : (x) => set(x as string);
    }
    default: {
      let t: Test<string>;
      try {
        t = strTest(op, vs);
      } catch (err) {
        throw new RuleError(`bad value for ${op}: ${(err as Error).message}`, loc(items[0].at));
      }
      return (x) => typeof x === 'string' && t(x);
    }
  }
}

const INLINE_OPS: Record<string, '===' | '!==' | '<' | '<=' | '>' | '>='> = { '=': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const STRING_METHODS: Record<string, 'startsWith' | 'endsWith' | 'includes'> = { startswith: 'startsWith', endswith: 'endsWith', contains: 'includes' };

/**
 * The comparison written out in the rule's function (expr.ts), when it is that simple: the same
 * meaning as valueTest's closure (which has checked the values), without the call. Undefined: the
 * closure is called. With an inline form the caller guards the value's type as valueTest does.
 */
function inlineOf(type: FieldType, op: string, items: ValueItem[]): Inline | undefined {
  const vs = items.map((it) => it.v);
  if (type === 'bool') return (op === '=' || op === '!=') && vs.length === 1 ? { op: INLINE_OPS[op], value: vs[0] === 'true' } : undefined;
  if (type === 'num') {
    if (op === 'in' || op === 'intersects') return { method: 'has', value: new Set(vs.map(Number)) };
    return INLINE_OPS[op] && { op: INLINE_OPS[op], value: Number(vs[0]) };
  }
  if (type !== 'str' && type !== 'res') return undefined;
  if (op === 'in' || op === 'intersects') return vs.length === 1 ? { op: '===', value: vs[0] } : { method: 'has', value: new Set(vs) };
  if (INLINE_OPS[op]) return { op: INLINE_OPS[op], value: vs[0] };
  return STRING_METHODS[op] && { method: STRING_METHODS[op], value: vs[0] };
}

function compileType(node: Cmp, lhs: Value, items: ValueItem[], loc: Locator): Part {
  const uncaptured = new Map<string, string>();
  const names: string[] = [];
  for (const it of items) {
    const c = checkType(it.v);
    if ('captured' in c) names.push(c.captured.name);
    else if ('uncaptured' in c) uncaptured.set(`evt.type ${c.uncaptured}`, c.uncaptured === 'execveat' ? 'execs read as execve here' : 'this event type is not captured');
    else throw new RuleError(`evt.type is never "${it.v}"; captured here: ${[...BY_NAME.keys()].join(', ')} (and Falco's other event types)`, loc(it.at));
  }
  // `evt.type in (execve, execveat)` works for what is captured: only a list with nothing captured is a gap.
  const gaps = names.length ? new Map<string, string>() : uncaptured;
  if (node.op === '=' || node.op === 'in' || node.op === 'intersects') {
    if (names.length === 0) return never(gaps);
    const set = new Set(names);
    return { expr: call((ev) => set.has(typeName(ev))), kinds: new Set(names.map((n) => BY_NAME.get(n)!.kind)), types: set, gaps };
  }
  const norm = items.map((it) => ({ ...it, v: TYPE_ALIASES[it.v] ?? it.v }));
  const t = valueTest({ ...lhs, missing: undefined }, node, norm, loc);
  return { expr: call((ev) => t(typeName(ev))), kinds: new Set(EVENT_KINDS), gaps };
}

function compileNames(node: Cmp, lhs: Value, items: ValueItem[], env: CompileEnv, loc: Locator): Part {
  if (!['=', '!=', 'in'].includes(node.op)) throw new RuleError(`${lhs.name} takes =, != or in (the name is resolved and the address compared)`, loc(node.opAt));
  const ipOf = NAME_FIELDS[lhs.name];
  const names = items.map((it) => it.v);
  names.forEach((n) => env.hostnames.add(n));
  const neg = node.op === '!=';
  return {
    kinds: new Set(['net']),
    gaps: new Map(),
    expr: call((ev, ctx) => {
      const ip = ev.kind === 'net' ? ipOf(ev.event) : undefined;
      if (ip === undefined) return false;
      const hit = names.some((n) => ctx.names.matches(n, ip));
      return neg ? !hit : hit;
    }),
  };
}

function compileCmp(node: Cmp, env: CompileEnv, loc: Locator): Part {
  const lhs = operandOf(node.lhs, loc);
  if (lhs.missing) return never(new Map([[lhs.name, lhs.missing]]));
  if (!OPS[lhs.type].has(node.op)) {
    throw new RuleError(`operator "${node.op}" does not apply to ${typed(lhs.type)} field ${lhs.name} (use ${[...OPS[lhs.type]].join(', ')})`, loc(node.opAt));
  }
  const kinds = new Set(lhs.kinds);
  const { get, all } = lhs;
  // exists: the field has a value, and (as this language always had it) not the empty string.
  const present = (v: unknown): boolean => v !== undefined && v !== '';
  if (node.op === 'exists') {
    if (lhs.some) {
      const some = lhs.some;
      return { kinds, gaps: new Map(), expr: call((ev, c) => some(ev, c, present)) };
    }
    if (all) return { kinds, gaps: new Map(), expr: call((ev, c) => all(ev, c).some(present)) };
    return { kinds, gaps: new Map(), expr: call((ev, c) => present(get(ev, c))) };
  }
  if (node.rhs) return compileFieldPair(node, lhs, operandOf(node.rhs, loc), loc);
  const items = values(node, env, loc);
  if (lhs.name === 'evt.type') return compileType(node, lhs, items, loc);
  if (lhs.name in NAME_FIELDS) return compileNames(node, lhs, items, env, loc);
  if (lhs.name === 'evt.kind') {
    for (const it of items) {
      if (!(EVENT_KINDS as readonly string[]).includes(it.v)) throw new RuleError(`evt.kind is never "${it.v}"; it is one of ${EVENT_KINDS.join(', ')}`, loc(it.at));
    }
    if (node.op === '=' || node.op === 'in') {
      const set = new Set(items.map((it) => it.v as EventKind));
      return { kinds: set, gaps: new Map(), expr: { t: 'kind', kinds: [...set] } };
    }
  }
  // evt.res is Falco's text ("SUCCESS", "ENOENT"); compared with numbers or by order, it is evt.rawres.
  const numericRes = lhs.type === 'res' && (ORDER.has(node.op) || items.every((it) => NUMBER.test(it.v)));
  const type = numericRes ? 'num' : lhs.type;
  const t = valueTest({ ...lhs, type }, node, items, loc);
  const inline = node.mod ? undefined : inlineOf(type, node.op, items);
  if (numericRes) return { kinds, gaps: new Map(), expr: { t: 'value', get: rawres, type: 'number', test: t, inline } };
  const { some } = lhs;
  if (some) {
    const pass = (v: unknown): boolean => v !== undefined && t(v);
    return { kinds, gaps: new Map(), expr: call((ev, c) => some(ev, c, pass)) };
  }
  if (all) {
    return {
      kinds,
      gaps: new Map(),
      expr: call((ev, c) => {
        for (const v of all(ev, c)) if (v !== undefined && t(v)) return true;
        return false;
      }),
    };
  }
  const guard = type === 'num' ? 'number' : type === 'str' || type === 'res' ? 'string' : undefined;
  return { kinds, gaps: new Map(), expr: { t: 'value', get, type: inline ? guard : undefined, test: t, inline } };
}

/** `fd.name = val(proc.cwd)`, `tolower(proc.name) = val(proc.pname)`: two values of the event. */
function compileFieldPair(node: Cmp, lhs: Value, rhs: Value, loc: Locator): Part {
  if (rhs.missing) return never(new Map([[rhs.name, rhs.missing]]));
  const cmp: Record<string, (a: string | number | boolean, b: string | number | boolean) => boolean> = {
    '=': (a, b) => a === b,
    '!=': (a, b) => a !== b,
    '<': (a, b) => a < b,
    '<=': (a, b) => a <= b,
    '>': (a, b) => a > b,
    '>=': (a, b) => a >= b,
    in: (a, b) => a === b,
    contains: (a, b) => String(a).includes(String(b)),
    icontains: (a, b) => String(a).toLowerCase().includes(String(b).toLowerCase()),
    startswith: (a, b) => String(a).startsWith(String(b)),
    endswith: (a, b) => String(a).endsWith(String(b)),
  };
  const f = cmp[node.op];
  if (!f) throw new RuleError(`operator "${node.op}" with a field on the right is not supported (use ${Object.keys(cmp).join(', ')})`, loc(node.opAt));
  const a = lhs.get;
  const b = rhs.get;
  return {
    kinds: new Set(lhs.kinds.filter((k) => rhs.kinds.includes(k))),
    gaps: new Map(),
    expr: call((ev, c) => {
      const x = a(ev, c);
      const y = b(ev, c);
      return x !== undefined && y !== undefined && f(x, y);
    }),
  };
}

/** Both: kinds and types intersect; a side known false makes it false, one known true drops out. */
export function andOf(l: Part, r: Part): Part {
  const gaps = merge(l.gaps, r.gaps);
  if (l.constant === false || r.constant === false) {
    return never(gaps, merge(l.constant === false ? l.why! : new Map(), r.constant === false ? r.why! : new Map()));
  }
  if (l.constant === true) return { ...r, gaps };
  if (r.constant === true) return { ...l, gaps };
  const kinds = new Set([...l.kinds].filter((k) => r.kinds.has(k)));
  const types = l.types && r.types ? new Set([...l.types].filter((t) => r.types!.has(t))) : (l.types ?? r.types);
  return { kinds, types: types && new Set([...types].filter((t) => kinds.has(BY_NAME.get(t)!.kind))), gaps, expr: join('and', l.expr, r.expr) };
}

/** Either: kinds join; a side with any type of its kinds widens the type set to "any". */
export function orOf(l: Part, r: Part): Part {
  const gaps = merge(l.gaps, r.gaps);
  if (l.constant === true || r.constant === true) return always(gaps);
  if (l.constant === false && r.constant === false) return never(gaps, merge(l.why!, r.why!));
  if (l.constant === false) return { ...r, gaps };
  if (r.constant === false) return { ...l, gaps };
  const types = l.types && r.types ? new Set([...l.types, ...r.types]) : undefined;
  return { kinds: new Set([...l.kinds, ...r.kinds]), types, gaps, expr: join('or', l.expr, r.expr) };
}

export function notOf(x: Part): Part {
  if (x.constant !== undefined) return x.constant ? never(x.gaps) : always(x.gaps);
  return { kinds: new Set(EVENT_KINDS), gaps: x.gaps, expr: { t: 'not', arg: x.expr } };
}

/** Compile a condition into one function (expr.ts). */
export function compile(node: Node, env: CompileEnv, loc: Locator): Compiled {
  const part = compilePart(node, env, loc);
  return { ...part, pred: toPredicate(part.expr) };
}

/** Compile a condition's tests. `stack` holds the macros being expanded, to report cycles. */
export function compilePart(node: Node, env: CompileEnv, loc: Locator, stack: string[] = []): Part {
  switch (node.n) {
    case 'and':
      return andOf(compilePart(node.left, env, loc, stack), compilePart(node.right, env, loc, stack));
    case 'or':
      return orOf(compilePart(node.left, env, loc, stack), compilePart(node.right, env, loc, stack));
    case 'not':
      return notOf(compilePart(node.arg, env, loc, stack));
    case 'ref': {
      const macro = env.macros.get(node.name);
      if (!macro) {
        const hint = env.lists.has(node.name) ? ' (it is a list: use it after "in")' : '';
        throw new RuleError(`unknown macro "${node.name}"${hint}`, loc(node.at));
      }
      if (stack.includes(node.name)) throw new RuleError(`macro "${node.name}" refers to itself (${[...stack, node.name].join(' -> ')})`, loc(node.at));
      env.used?.add(node.name);
      return compilePart(macro.ast, env, macro.loc, [...stack, node.name]);
    }
    case 'cmp':
      return compileCmp(node, env, loc);
  }
}
