/**
 * The one parser of the rule language: conditions, output field tokens and aggregates, to ASTs
 * whose nodes keep their offset in the source text (errors point at the exact column).
 *
 * Conditions follow Falco's grammar (libsinsp/filter/parser.cpp), which lexes by context rather
 * than by token:
 *
 *   or      := and ("or" and)*                      and/or need a blank or "(" after them
 *   and     := not ("and" not)*
 *   not     := ("not" blank)* check | "not(" or ")"
 *   check   := "(" or ")" | operand cond | MACRO
 *   operand := FIELD ["[" arg "]"] | TRANSFORMER "(" operand ("," operand)* ")"
 *   cond    := "exists" | NUMOP num-or-operand | STROP (MODIFIER list | str-or-operand)
 *            | LISTOP (list | operand | LISTNAME)
 *   list    := "(" [value ("," value)*] ")"          value: quoted or bare string
 *
 * A field has a dot (proc.name), a macro does not (spawned_process). Bare strings run to a blank,
 * a parenthesis, a quote, "=" or ",", so paths, globs and CIDRs need no quotes. "val(field)" or a
 * transformer on the right compares two fields. Extension kept from this project's first
 * language: "in LIST_NAME" without parentheses.
 */
import { Lexer, RX } from './lexer';

export { SyntaxError_ } from './lexer';

export interface ValueItem {
  /** The value, unquoted and unescaped. */
  v: string;
  quoted: boolean;
  at: number;
}

export interface FieldRef {
  n: 'field';
  name: string;
  /** The text in brackets: proc.aname[2], proc.env[HOME]. */
  arg?: string;
  at: number;
}

export interface Transform {
  n: 'xform';
  fn: string;
  args: (Operand | ValueItem)[];
  at: number;
}

export type Operand = FieldRef | Transform;

export interface Cmp {
  n: 'cmp';
  lhs: Operand;
  op: string;
  opAt: number;
  /** Literal values; empty for exists and for a field on the right. */
  values: ValueItem[];
  /** The values came in parentheses (a list), rather than one value or a list name. */
  list: boolean;
  /** The right side is a field (val(...)) or a transformer. */
  rhs?: Operand;
  /** "startswith oneof (...)": oneof, anyof or allof. */
  mod?: string;
  at: number;
}

export type Node = { n: 'and' | 'or'; left: Node; right: Node; at: number } | { n: 'not'; arg: Node; at: number } | { n: 'ref'; name: string; at: number } | Cmp;

export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'];
const NUM_OPS = ['<=', '<', '>=', '>'];
/** Word operators need a blank after them ("contains "), symbols do not. */
const STR_OPS = ['==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex'];
const MODIFIERS = ['oneof', 'anyof', 'allof'];
const LIST_OPS = ['intersects', 'in', 'pmatch'];
export const OPERATORS = ['exists', ...NUM_OPS, ...STR_OPS.filter((o) => o !== '=='), ...LIST_OPS];
const KEYWORDS = new Set(['and', 'or', 'not']);

/** A field with its optional [arg], or undefined (cursor unmoved). */
function fieldRef(lx: Lexer): FieldRef | undefined {
  const at = lx.pos;
  const name = lx.re(RX.field);
  if (name === undefined) return undefined;
  let arg: string | undefined;
  if (lx.lit('[')) {
    arg = lx.quoted() ?? lx.re(RX.argBare);
    if (arg === undefined) lx.fail('expected a field argument in brackets: a quoted or a bare string');
    if (!lx.lit(']')) lx.fail(`expected "]" after the argument of ${name}`);
  }
  return { n: 'field', name, arg, at };
}

/** TRANSFORMER "(" ... ")" when the cursor is at one; `withVal` also accepts val(). */
function transform(lx: Lexer, withVal: boolean): Transform | undefined {
  const at = lx.pos;
  const fn = [...(withVal ? ['val'] : []), ...TRANSFORMERS].find((t) => lx.src.startsWith(`${t}(`, at));
  if (!fn) return undefined;
  lx.pos += fn.length + 1;
  const args: (Operand | ValueItem)[] = [];
  do {
    lx.blank();
    const a = lx.pos;
    const q = lx.quoted();
    if (q !== undefined) args.push({ v: q, quoted: true, at: a });
    else {
      const num = fn !== 'val' ? (lx.re(RX.hex) ?? lx.re(RX.num)) : undefined;
      if (num !== undefined) args.push({ v: num, quoted: false, at: a });
      else args.push(operand(lx, false) ?? lx.fail(`expected a field inside ${fn}(...), found ${lx.describe()}`));
    }
    lx.blank();
  } while (lx.lit(','));
  if (!lx.lit(')')) lx.fail(`expected ")" to close ${fn}(...), found ${lx.describe()}`);
  return { n: 'xform', fn, args, at };
}

function operand(lx: Lexer, withVal: boolean): Operand | undefined {
  return transform(lx, withVal) ?? fieldRef(lx);
}

/** The right side of a comparison is a field only inside val() or a transformer: a bare
 * `proc.cwd` there is a string, as in Falco. */
function rhsOperand(lx: Lexer): Operand | undefined {
  return transform(lx, true);
}

/** An operator from `ops` at the cursor; word operators need a blank after them. */
function operator(lx: Lexer, ops: string[]): string | undefined {
  for (const op of ops) {
    if (/^[a-z]/.test(op) ? lx.word(op, ops === LIST_OPS ? '(' : '') : lx.lit(op)) return op;
  }
  return undefined;
}

function value(lx: Lexer, what: string): ValueItem {
  const at = lx.pos;
  const q = lx.quoted();
  if (q !== undefined) return { v: q, quoted: true, at };
  const b = lx.re(RX.bare);
  if (b === undefined) lx.fail(`expected ${what}, found ${lx.describe()}`);
  return { v: b, quoted: false, at };
}

function list(lx: Lexer): ValueItem[] {
  const values: ValueItem[] = [];
  lx.blank();
  if (lx.lit(')')) return values;
  for (;;) {
    values.push(value(lx, 'a list value'));
    lx.blank();
    if (lx.lit(')')) return values;
    if (!lx.lit(',')) lx.fail(`expected "," or ")" in the list, found ${lx.describe()}`);
    lx.blank();
  }
}

function condition(lx: Lexer, lhs: Operand, at: number): Cmp {
  lx.blank();
  const opAt = lx.pos;
  const base = { n: 'cmp' as const, lhs, opAt, at, values: [] as ValueItem[], list: false };
  if (lx.word('exists', ')')) return { ...base, op: 'exists' };
  let op = operator(lx, NUM_OPS);
  if (op !== undefined) {
    lx.blank();
    const rhs = rhsOperand(lx);
    if (rhs) return { ...base, op, rhs };
    const a = lx.pos;
    const n = lx.re(RX.hex) ?? lx.re(RX.num) ?? lx.fail(`"${op}" takes a number, found ${lx.describe()}`);
    return { ...base, op, values: [{ v: n, quoted: false, at: a }] };
  }
  op = operator(lx, STR_OPS);
  if (op !== undefined) {
    if (op === '==') op = '=';
    lx.blank();
    const save = lx.pos;
    const mod = operator(lx, MODIFIERS);
    if (mod !== undefined) {
      lx.blank();
      if (lx.lit('(')) return { ...base, op, mod, values: list(lx), list: true };
      const a = lx.pos;
      const name = lx.re(RX.ident);
      if (name !== undefined && !KEYWORDS.has(name)) return { ...base, op, mod, values: [{ v: name, quoted: false, at: a }] };
      lx.pos = save; // "contains oneof" where oneof is the value
    }
    const rhs = rhsOperand(lx);
    if (rhs) return { ...base, op, rhs };
    return { ...base, op, values: [value(lx, `a value after "${op}"`)] };
  }
  op = operator(lx, LIST_OPS);
  if (op !== undefined) {
    lx.blank();
    if (lx.lit('(')) return { ...base, op, values: list(lx), list: true };
    const rhs = rhsOperand(lx);
    if (rhs) return { ...base, op, rhs };
    const a = lx.pos;
    const name = lx.re(RX.ident);
    if (name === undefined) lx.fail(`"${op}" takes a list: "(a, b)" or a list name, found ${lx.describe()}`);
    return { ...base, op, values: [{ v: name, quoted: false, at: a }] };
  }
  return lx.fail(`expected an operator after ${lhs.n === 'field' ? lhs.name : `${lhs.fn}(...)`} (${OPERATORS.join(', ')}), found ${lx.describe()}`);
}

function check(lx: Lexer): Node {
  lx.blank();
  const at = lx.pos;
  if (lx.lit('(')) return embedded(lx, at);
  const lhs = operand(lx, false);
  if (lhs) return condition(lx, lhs, at);
  const name = lx.re(RX.ident);
  if (name !== undefined && !KEYWORDS.has(name)) return { n: 'ref', name, at };
  lx.pos = at;
  return lx.fail(`expected a field, a macro, "not" or "(", found ${lx.describe()}`);
}

function embedded(lx: Lexer, open: number): Node {
  const e = or(lx);
  lx.blank();
  if (!lx.lit(')')) lx.fail(`expected ")" to close the "(" at column ${open + 1}, found ${lx.describe()}`);
  return e;
}

function not(lx: Lexer): Node {
  lx.blank();
  const at = lx.pos;
  let negate = false;
  for (;;) {
    if (lx.word('not')) {
      negate = !negate;
      lx.blank();
    } else if (lx.lit('not(')) {
      const e = embedded(lx, lx.pos - 1);
      return negate ? e : { n: 'not', arg: e, at };
    } else break;
  }
  const e = check(lx);
  return negate ? { n: 'not', arg: e, at } : e;
}

function chain(lx: Lexer, kw: 'and' | 'or', sub: (lx: Lexer) => Node): Node {
  let left = sub(lx);
  for (;;) {
    lx.blank();
    const at = lx.pos;
    if (!lx.word(kw, '(')) return left;
    left = { n: kw, left, right: sub(lx), at };
  }
}

function and(lx: Lexer): Node {
  return chain(lx, 'and', not);
}

function or(lx: Lexer): Node {
  return chain(lx, 'or', and);
}

export function parseCondition(src: string): Node {
  const lx = new Lexer(src);
  if (src.trim() === '') lx.fail('the condition is empty');
  const root = or(lx);
  lx.blank();
  if (lx.pos < src.length) lx.fail(`unexpected ${lx.describe()}: expected "and", "or" or the end`);
  return root;
}

/**
 * The field (or transformer) of an output token that starts at `offset` (just after the "%"),
 * and where it ends. Falco's forms: %proc.name, %proc.aname[2], %evt.arg.flags, %tolower(proc.name).
 */
export function parseOutputToken(src: string, offset: number): { operand: Operand; end: number } | undefined {
  const lx = new Lexer(src);
  lx.pos = offset;
  const op = operand(lx, false);
  return op ? { operand: op, end: lx.pos } : undefined;
}

/** Stateful rules' `aggregate:` text. Fields stay names here; aggregate.ts resolves them. */
export type AggregateAst =
  | { kind: 'count'; threshold: number; windowMs: number; by: FieldRef[] }
  | { kind: 'distinct'; of: FieldRef[]; threshold: number; windowMs: number; by: FieldRef[] }
  | { kind: 'first_seen'; of: FieldRef[]; learningMs: number; by: FieldRef[] };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(s: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

/**
 *   count > 20 within 10s by proc.pid
 *   distinct(net.dst_port) > 20 within 10s by proc.pid, proc.start
 *   first_seen(net.dst_ip, net.dst_port) by proc.exepath learning 10m
 */
export function parseAggregate(src: string): AggregateAst {
  const lx = new Lexer(src);
  const kw = (w: string): boolean => {
    lx.blank();
    return lx.word(w, '(');
  };
  const expect = (w: string): void => {
    if (!(w === '(' || w === ')' ? (lx.blank(), lx.lit(w)) : kw(w))) lx.fail(`expected "${w}", found ${lx.describe()}`);
  };
  const fields = (): FieldRef[] => {
    const out: FieldRef[] = [];
    do {
      lx.blank();
      out.push(fieldRef(lx) ?? lx.fail(`expected a field, found ${lx.describe()}`));
      lx.blank();
    } while (lx.lit(','));
    return out;
  };
  const duration = (): number => {
    lx.blank();
    const at = lx.pos;
    const ms = parseDuration(lx.re(RX.word) ?? '');
    if (ms === undefined || ms <= 0) return lx.fail('expected a duration such as 500ms, 10s, 5m, 1h or 1d', at);
    return ms;
  };
  const threshold = (): number => {
    lx.blank();
    const op = lx.lit('>=') ? '>=' : lx.lit('>') ? '>' : lx.fail(`expected ">" or ">=" and a number, found ${lx.describe()}`);
    lx.blank();
    const at = lx.pos;
    const n = lx.re(RX.word) ?? '';
    if (!/^\d+$/.test(n)) lx.fail(`expected a whole number, found "${n}"`, at);
    return op === '>' ? Number(n) + 1 : Number(n);
  };
  const by = (): FieldRef[] => (kw('by') ? fields() : []);

  lx.blank();
  let ast: AggregateAst;
  if (kw('count')) {
    const n = threshold();
    expect('within');
    ast = { kind: 'count', threshold: n, windowMs: duration(), by: by() };
  } else if (kw('distinct') || kw('first_seen')) {
    const kind = src.startsWith('distinct', lx.pos - 'distinct'.length) ? 'distinct' : 'first_seen';
    expect('(');
    const of = fields();
    expect(')');
    if (kind === 'distinct') {
      const n = threshold();
      expect('within');
      ast = { kind, of, threshold: n, windowMs: duration(), by: by() };
    } else {
      const scope = by();
      expect('learning');
      ast = { kind, of, learningMs: duration(), by: scope };
    }
  } else {
    return lx.fail(`an aggregate starts with count, distinct(...) or first_seen(...), not ${lx.describe()}`);
  }
  lx.blank();
  if (lx.pos < src.length) lx.fail(`unexpected ${lx.describe()} after the aggregate`);
  return ast;
}
