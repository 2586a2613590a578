/**
 * The left side of a comparison (and an output token): a field, or Falco's transformers over
 * fields: tolower, toupper, b64 (base64-decode), basename, len, concat, and val() on the right.
 */
import * as path from 'node:path';
import type { AuditEvent, EventKind } from '../../schemas/types';
import { RuleError, type Locator } from './errors';
import { resolveField, type FieldDef, type FieldType, type FieldValue } from './fields';
import type { EvalContext } from './process-tree';
import type { Operand as Ast, ValueItem } from './syntax';

/** A readable value: a field, or a transformer of fields. */
export interface Operand {
  name: string;
  type: FieldType;
  kinds: readonly EventKind[];
  get(ev: AuditEvent, ctx: EvalContext): FieldValue;
  all?(ev: AuditEvent, ctx: EvalContext): FieldValue[];
  some?(ev: AuditEvent, ctx: EvalContext, test: (v: FieldValue) => boolean): boolean;
  /** Set when a field it reads is not captured here: why. */
  missing?: string;
}

type Map1 = (v: FieldValue) => FieldValue;

const STRING_FNS: Record<string, Map1> = {
  tolower: (v) => (typeof v === 'string' ? v.toLowerCase() : undefined),
  toupper: (v) => (typeof v === 'string' ? v.toUpperCase() : undefined),
  b64: (v) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined),
  basename: (v) => (typeof v === 'string' ? path.posix.basename(v) : undefined),
};

function field(def: FieldDef): Operand {
  return { name: def.name, type: def.type, kinds: def.kinds, get: def.get, all: def.all, some: def.some, missing: def.missing };
}

export function operandOf(ast: Ast, loc: Locator): Operand {
  if (ast.n === 'field') {
    const r = resolveField(ast.name, ast.arg);
    if ('error' in r) throw new RuleError(r.error, loc(ast.at), r.error.startsWith('unknown field') ? 'unknown-field' : undefined);
    return field(r.def);
  }
  const args = ast.args.map((a) => ('n' in a ? operandOf(a, loc) : literal(a)));
  const name = `${ast.fn}(${args.map((a) => a.name).join(', ')})`;
  const missing = args.find((a) => a.missing)?.missing;
  const kinds = args.reduce<readonly EventKind[]>((ks, a) => ks.filter((k) => a.kinds.includes(k)), ['file', 'net', 'process']);
  if (ast.fn === 'val') return { ...args[0], name };
  if (ast.fn === 'concat') {
    const gets = args.map((a) => a.get);
    return {
      name,
      type: 'str',
      kinds,
      missing,
      get: (ev, c) => {
        let out = '';
        for (const g of gets) {
          const v = g(ev, c);
          if (v === undefined) return undefined;
          out += String(v);
        }
        return out;
      },
    };
  }
  if (args.length !== 1) throw new RuleError(`${ast.fn}() takes one field`, loc(ast.at));
  const [a] = args;
  if (ast.fn === 'len') {
    const { get, all } = a;
    return {
      name,
      type: 'num',
      kinds,
      missing,
      get: all
        ? (ev, c) => all(ev, c).length
        : (ev, c) => {
            const v = get(ev, c);
            return typeof v === 'string' ? v.length : undefined;
          },
    };
  }
  const fn = STRING_FNS[ast.fn];
  if (!fn) throw new RuleError(`the ${ast.fn}() transformer is not supported (supported: ${Object.keys(STRING_FNS).join(', ')}, len, concat, val)`, loc(ast.at));
  if (a.type !== 'str' && a.type !== 'res') throw new RuleError(`${ast.fn}() takes a string field; ${a.name} is not one`, loc(ast.at));
  const { get, all, some } = a;
  return {
    name,
    type: 'str',
    kinds,
    missing,
    get: (ev, c) => fn(get(ev, c)),
    all: all && ((ev, c) => all(ev, c).map(fn)),
    some: some && ((ev, c, t) => some(ev, c, (v) => t(fn(v)))),
  };
}

function literal(v: ValueItem): Operand {
  return { name: JSON.stringify(v.v), type: 'str', kinds: ['file', 'net', 'process'], get: () => v.v };
}
