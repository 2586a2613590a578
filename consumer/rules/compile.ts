/**
 * Conditions compiled once into closures: each comparison becomes a function that reads one field
 * and tests it against constants prepared at load (sets, regexes, parsed CIDRs), so nothing is
 * parsed or interpreted per event. Also works out which event kinds a condition can match, so the
 * engine only runs a rule on the kinds it is about.
 */
import * as ipaddr from 'ipaddr.js';
import { EVENT_KINDS, type AuditEvent, type EventKind } from '../../schemas/types';
import { FIELDS, TYPE_KINDS, type FieldDef, type FieldValue, type ProcessLookup } from './fields';
import { RuleError, type Locator } from './errors';
import type { Node, ValueItem } from './syntax';

export type Predicate = (ev: AuditEvent, ctx: ProcessLookup) => boolean;

export interface Macro {
  ast: Node;
  loc: Locator;
}

export interface CompileEnv {
  macros: ReadonlyMap<string, Macro>;
  /** Lists with every item a plain string (nested list names already expanded). */
  lists: ReadonlyMap<string, string[]>;
}

export interface Compiled {
  pred: Predicate;
  /** The kinds the condition can be true for. */
  kinds: Set<EventKind>;
}

const ALL = (): Set<EventKind> => new Set(EVENT_KINDS);
const STR_OPS = new Set(['=', '!=', 'in', 'startswith', 'endswith', 'contains', 'icontains', 'glob', 'pmatch', 'exists']);
const NUM_OPS = new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'exists']);
const BOOL_OPS = new Set(['=', '!=', 'exists']);

/** Fields a name could have meant: same namespace. */
function suggest(name: string): string {
  const ns = name.split('.')[0];
  const same = [...FIELDS.keys()].filter((f) => f.startsWith(`${ns}.`));
  return same.length ? `; fields of "${ns}": ${same.join(', ')}` : `; namespaces: ${[...new Set([...FIELDS.keys()].map((f) => f.split('.')[0]))].join(', ')}`;
}

/** Glob to an anchored regex: * any run of characters (slashes too), ? one character, [...] a class. */
export function globToRegExp(glob: string): RegExp {
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
      let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** A bounded memo for per-address answers: addresses repeat, parsing them does not need to. */
function memo(fn: (s: string) => boolean, max = 4096): (s: string) => boolean {
  const cache = new Map<string, boolean>();
  return (s) => {
    let r = cache.get(s);
    if (r === undefined) {
      r = fn(s);
      if (cache.size >= max) cache.clear();
      cache.set(s, r);
    }
    return r;
  };
}

type Test = (v: string) => boolean;

/** Dotted-quad IPv4 to a uint32, or -1: the producer writes IPv4 (v4-mapped too) this way. */
function ipv4(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : -1;
}

/**
 * Address membership. ipaddr.js parses the rule's addresses and ranges (IPv4, IPv6, v4-mapped
 * folded to IPv4); events' IPv4 addresses, nearly all of them, are then tested with integer masks
 * and no parsing library; IPv6 ones go through ipaddr.js, memoized.
 */
function ipTest(items: ValueItem[], loc: Locator): Test {
  const nets6: [ipaddr.IPv6, number][] = [];
  const nets4: [number, number][] = []; // [network, mask] as uint32
  const addrs = new Set<string>();
  for (const it of items) {
    try {
      if (it.v.includes('/')) {
        let [a, bits] = ipaddr.parseCIDR(it.v);
        if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) [a, bits] = [(a as ipaddr.IPv6).toIPv4Address(), bits - 96];
        if (a.kind() === 'ipv4') {
          const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
          nets4.push([(ipv4(a.toString()) & mask) >>> 0, mask]);
        } else nets6.push([a as ipaddr.IPv6, bits]);
      } else addrs.add(ipaddr.process(it.v).toNormalizedString());
    } catch {
      throw new RuleError(`"${it.v}" is not an IP address or CIDR range`, loc(it.at));
    }
  }
  const v6 = memo((s) => {
    if (!ipaddr.isValid(s)) return false;
    const a = ipaddr.process(s);
    if (addrs.has(a.toNormalizedString())) return true;
    if (a.kind() === 'ipv4') return v4(ipv4(a.toString()));
    for (const [net, bits] of nets6) if (a.match(net, bits)) return true;
    return false;
  });
  const v4 = (n: number): boolean => {
    for (const [net, mask] of nets4) if ((n & mask) >>> 0 === net) return true;
    return false;
  };
  return (s) => {
    const n = ipv4(s);
    if (n < 0) return v6(s);
    return (addrs.size > 0 && addrs.has(s)) || v4(n);
  };
}

function strTest(op: string, values: string[]): Test {
  const v = values[0];
  switch (op) {
    case '=':
      return (s) => s === v;
    case '!=':
      return (s) => s !== v;
    case 'in': {
      const set = new Set(values);
      return (s) => set.has(s);
    }
    case 'startswith':
      return (s) => s.startsWith(v);
    case 'endswith':
      return (s) => s.endsWith(v);
    case 'contains':
      return (s) => s.includes(v);
    case 'icontains': {
      const lower = v.toLowerCase();
      return (s) => s.toLowerCase().includes(lower);
    }
    case 'glob': {
      const re = globToRegExp(v);
      return (s) => re.test(s);
    }
    case 'pmatch': {
      // Path prefixes: /etc matches /etc and /etc/x, not /etcetera.
      const dirs = values.map((p) => (p.endsWith('/') ? p : `${p}/`));
      const exact = new Set(values.map((p) => p.replace(/\/+$/, '')));
      return (s) => exact.has(s) || dirs.some((d) => s.startsWith(d));
    }
  }
  throw new Error(`unhandled string operator ${op}`);
}

function numTest(op: string, values: number[]): (n: number) => boolean {
  const v = values[0];
  switch (op) {
    case '=':
      return (n) => n === v;
    case '!=':
      return (n) => n !== v;
    case '<':
      return (n) => n < v;
    case '<=':
      return (n) => n <= v;
    case '>':
      return (n) => n > v;
    case '>=':
      return (n) => n >= v;
    case 'in': {
      const set = new Set(values);
      return (n) => set.has(n);
    }
  }
  throw new Error(`unhandled numeric operator ${op}`);
}

function compileCmp(node: Extract<Node, { n: 'cmp' }>, env: CompileEnv, loc: Locator): Compiled {
  const field: FieldDef | undefined = FIELDS.get(node.field);
  if (!field) throw new RuleError(`unknown field "${node.field}"${suggest(node.field)}`, loc(node.fieldAt));
  const { get } = field;
  const ops = field.type === 'num' ? NUM_OPS : field.type === 'bool' ? BOOL_OPS : STR_OPS;
  if (!ops.has(node.op)) {
    throw new RuleError(`operator "${node.op}" does not apply to ${field.type === 'num' ? 'numeric' : field.type === 'bool' ? 'boolean' : 'string'} field ${field.name} (use ${[...ops].join(', ')})`, loc(node.opAt));
  }
  let kinds = new Set(field.kinds);
  if (node.op === 'exists') {
    return { kinds, pred: (ev, c) => { const v = get(ev, c); return v !== undefined && v !== ''; } };
  }

  // Items: a bare word naming a list expands to its items, in lists and after in/pmatch alike.
  const items: ValueItem[] = [];
  for (const it of node.values) {
    const list = !it.quoted ? env.lists.get(it.v) : undefined;
    if (list) items.push(...list.map((v) => ({ v, quoted: true, at: it.at })));
    else if (!node.list && (node.op === 'in' || node.op === 'pmatch')) throw new RuleError(`unknown list "${it.v}"`, loc(it.at));
    else items.push(it);
  }
  if (node.op !== 'in' && node.op !== 'pmatch' && items.length !== 1) {
    throw new RuleError(`operator "${node.op}" takes one value; "${node.values[0]?.v}" is a list of ${items.length}`, loc(node.values[0].at));
  }

  if (field.name === 'evt.kind' || field.name === 'evt.type') {
    const valid = field.name === 'evt.kind' ? new Set<string>(EVENT_KINDS) : new Set(Object.keys(TYPE_KINDS));
    for (const it of items) {
      if (!valid.has(it.v)) throw new RuleError(`${field.name} is never "${it.v}"; it is one of ${[...valid].join(', ')}`, loc(it.at));
    }
    if (node.op === '=' || node.op === 'in') {
      kinds = new Set(items.map((it) => (field.name === 'evt.kind' ? (it.v as EventKind) : TYPE_KINDS[it.v])));
    }
  }

  if (field.type === 'num') {
    const nums = items.map((it) => {
      if (!/^-?(\d+|0x[0-9a-fA-F]+)$/.test(it.v)) throw new RuleError(`${field.name} is a number; "${it.v}" is not`, loc(it.at));
      return it.v.startsWith('-') ? -Number(it.v.slice(1)) : Number(it.v);
    });
    const t = numTest(node.op, nums);
    return { kinds, pred: (ev, c) => { const v = get(ev, c) as number | undefined; return v !== undefined && t(v); } };
  }
  if (field.type === 'bool') {
    const it = items[0];
    if (it.v !== 'true' && it.v !== 'false') throw new RuleError(`${field.name} is true or false; "${it.v}" is neither`, loc(it.at));
    const want = (it.v === 'true') === (node.op === '=');
    return { kinds, pred: (ev, c) => { const v = get(ev, c); return v !== undefined && v === want; } };
  }
  let t: Test;
  if (field.type === 'ip' && (node.op === 'in' || node.op === '=' || node.op === '!=')) {
    const inSet = ipTest(items, loc);
    t = node.op === '!=' ? (s) => !inSet(s) : inSet;
  } else {
    t = strTest(node.op, items.map((it) => it.v));
  }
  return { kinds, pred: (ev, c) => { const v = get(ev, c) as FieldValue; return v !== undefined && t(v as string); } };
}

/** Compile a condition. `stack` holds the macros being expanded, to report cycles. */
export function compile(node: Node, env: CompileEnv, loc: Locator, stack: string[] = []): Compiled {
  switch (node.n) {
    case 'and': {
      const l = compile(node.left, env, loc, stack);
      const r = compile(node.right, env, loc, stack);
      const [a, b] = [l.pred, r.pred];
      return { kinds: new Set([...l.kinds].filter((k) => r.kinds.has(k))), pred: (ev, c) => a(ev, c) && b(ev, c) };
    }
    case 'or': {
      const l = compile(node.left, env, loc, stack);
      const r = compile(node.right, env, loc, stack);
      const [a, b] = [l.pred, r.pred];
      return { kinds: new Set([...l.kinds, ...r.kinds]), pred: (ev, c) => a(ev, c) || b(ev, c) };
    }
    case 'not': {
      const inner = compile(node.arg, env, loc, stack).pred;
      return { kinds: ALL(), pred: (ev, c) => !inner(ev, c) };
    }
    case 'ref': {
      const macro = env.macros.get(node.name);
      if (!macro) {
        const hint = FIELDS.has(node.name) ? ` (${node.name} is a field: compare it, e.g. "${node.name} = value")` : env.lists.has(node.name) ? ' (it is a list: use it after "in")' : '';
        throw new RuleError(`unknown macro "${node.name}"${hint}`, loc(node.at));
      }
      if (stack.includes(node.name)) throw new RuleError(`macro "${node.name}" refers to itself (${[...stack, node.name].join(' -> ')})`, loc(node.at));
      return compile(macro.ast, env, macro.loc, [...stack, node.name]);
    }
    case 'cmp':
      return compileCmp(node, env, loc);
  }
}
