/**
 * A compiled condition as a tree of tests (expr), turned into one JavaScript function per rule.
 *
 * Why generated code and not closures that call closures: every comparison of every rule used to
 * be a closure made by the same few function literals (`(ev, c) => { const v = get(ev, c); return
 * v !== undefined && t(v); }`), and V8 keeps one call-target feedback per literal, not per closure.
 * Those call sites saw every field getter and every test of the rule pack, so they went
 * megamorphic: each getter and test was a full call, nothing was inlined, and the `and`/`or` chains
 * added a call per operand. A function generated for the rule has a call site of its own for each
 * getter and test; each site sees one target, which the optimizing compiler inlines.
 *
 * The generated source holds no text from a rule: only the operators below, names it makes up
 * (b0, b1 ... for the getters, tests and sets it is given in an array) and the event kinds, which
 * are checked against the three known names at load. Values from rules (strings, lists, regexes)
 * stay in the closures and sets that are passed in, so no rule can inject code.
 */
import { EVENT_KINDS, type AuditEvent, type EventKind } from '../../schemas/types';
import type { FieldValue } from './field-def';
import type { EvalContext } from './process-tree';

export type Predicate = (ev: AuditEvent, ctx: EvalContext) => boolean;
export type Getter = (ev: AuditEvent, ctx: EvalContext) => FieldValue;

export type Expr =
  | { t: 'and' | 'or'; args: Expr[] }
  | { t: 'not'; arg: Expr }
  | { t: 'const'; v: boolean }
  /** The event's kind is one of these. */
  | { t: 'kind'; kinds: EventKind[] }
  /**
   * A field's value passes a test: `test(v)` when the getter gives a value (of `type`, when given,
   * as typeof says). A getter's undefined means the field does not apply, and then the test is false.
   */
  | { t: 'value'; get: Getter; type?: 'string' | 'number'; test: (v: never) => boolean; inline?: Inline }
  /** Any other test, called as it is. */
  | { t: 'call'; fn: Predicate };

/**
 * A value test simple enough to write out where it is used, instead of calling `test`: a comparison
 * with a constant, membership in a Set, or one of the string methods. `test` must mean the same.
 */
export type Inline = { op: '===' | '!==' | '<' | '<=' | '>' | '>='; value: string | number | boolean } | { method: 'has' | 'startsWith' | 'endsWith' | 'includes'; value: unknown };

const OPS = new Set(['===', '!==', '<', '<=', '>', '>=']);
const METHODS = new Set(['startsWith', 'endsWith', 'includes']);

/** `a and b`, flattened when either side is itself an `and` (so a chain is one list). */
export function join(op: 'and' | 'or', l: Expr, r: Expr): Expr {
  const args = (x: Expr): Expr[] => (x.t === op ? x.args : [x]);
  return { t: op, args: [...args(l), ...args(r)] };
}

/** The expression as one function: see the module's comment. */
export function toPredicate(expr: Expr): Predicate {
  if (expr.t === 'const') return expr.v ? () => true : () => false;
  if (expr.t === 'call') return expr.fn;
  const bound: unknown[] = [];
  const bind = (x: unknown): string => {
    bound.push(x);
    return `b${bound.length - 1}`;
  };
  const emit = (e: Expr): string => {
    switch (e.t) {
      case 'const':
        return e.v ? 'true' : 'false';
      case 'and':
      case 'or':
        return `(${e.args.map(emit).join(e.t === 'and' ? ' && ' : ' || ')})`;
      case 'not':
        return `!${emit(e.arg)}`;
      case 'kind':
        for (const k of e.kinds) if (!EVENT_KINDS.includes(k)) throw new Error(`not an event kind: ${k}`);
        return `(${e.kinds.map((k) => `ev.kind === "${k}"`).join(' || ')})`;
      case 'value': {
        // One variable serves every test: each is read and tested before the next is read.
        const get = `(v = ${bind(e.get)}(ev, c))`;
        const guard = e.type ? `typeof ${get} === "${e.type}"` : `${get} !== undefined`;
        return `(${guard} && ${e.inline ? inline(e.inline) : `${bind(e.test)}(v)`})`;
      }
      case 'call':
        return `${bind(e.fn)}(ev, c)`;
    }
  };
  // Operators and method names are checked against fixed sets: nothing else reaches the source.
  const inline = (i: Inline): string => {
    if ('op' in i) {
      if (!OPS.has(i.op)) throw new Error(`not an operator: ${i.op}`);
      return `v ${i.op} ${bind(i.value)}`;
    }
    if (i.method === 'has') return `${bind(i.value)}.has(v)`;
    if (!METHODS.has(i.method)) throw new Error(`not a string method: ${i.method}`);
    return `v.${i.method}(${bind(i.value)})`;
  };
  const body = emit(expr);
  // The bound values arrive as one array (a rule with tens of thousands of comparisons, a long
  // exception list, would pass the limit on arguments) and are copied into names of their own:
  // constants of the closure, as parameters would be.
  const names = bound.length ? `const ${bound.map((_, i) => `b${i} = b[${i}]`).join(', ')};` : '';
  // A new Function is a script of its own: its call sites get their own feedback (the point).
  const make = new Function('b', `"use strict"; ${names} return function condition(ev, c) { let v; return ${body}; };`) as (b: unknown[]) => Predicate;
  return make(bound);
}
