/**
 * Compiling what the collector gathered, as Falco's compiler does
 * (falco/userspace/engine/rule_loader_compiler.cpp): lists (quoted items unquoted), macros parsed
 * once, and each rule's condition with its exceptions (`and not (...)`), output and aggregate.
 *
 * A rule that needs what is not available here is skipped with the reason, as Falco skips a rule
 * of an unknown source: another source than syscall, a condition that can only be true on data not
 * captured (container.privileged = true, an event type the producer does not record), or an unknown
 * field under `skip-if-unknown-filter: true`. A rule whose condition only loses an exclusion (`not
 * container.image.repository in (...)`) loads, with a warning that names the field.
 */
import type { EventKind } from '../../schemas/types';
import { parseAggregate, type AggregateSpec } from './aggregate';
import type { Collected, RuleInfo, Warning } from './collector';
import { andOf, compilePart, notOf, type CompileEnv, type Macro, type Part, type Predicate } from './compile';
import { toPredicate } from './expr';
import { RuleError, type Locator, type Position } from './errors';
import type { ExceptionInfo } from './reader';
import { isSeverity, severityOfPriority, type Severity } from './severity';
import { OPERATORS, parseCondition, parseOutputToken, SyntaxError_, type Cmp, type FieldRef, type Node, type ValueItem } from './syntax';
import { compileTemplate, type Template } from './template';
import { fixedLocator } from './text';
import { Lexer } from './lexer';

export interface Rule {
  id: string;
  description: string;
  severity: Severity;
  /** Falco's priority as written, when the rule gave one. */
  priority?: string;
  tags: string[];
  enabled: boolean;
  kinds: Set<EventKind>;
  /** Event types (Falco's names) the rule can match; undefined: any type of its kinds. */
  types?: Set<string>;
  pred: Predicate;
  output: Template;
  aggregate?: AggregateSpec;
  /** Where the rule was (last) defined. */
  source: Position;
  /** The condition's syntax tree, exceptions included, and where its offsets are (search compiles it). */
  condition: Node;
  conditionLoc: Locator;
}

export interface Skipped {
  id: string;
  reason: string;
  pos: Position;
}

export interface Compilation {
  rules: Rule[];
  skipped: Skipped[];
  warnings: Warning[];
  env: CompileEnv;
}

export function parse(src: string, loc: Locator): Node {
  try {
    return parseCondition(src);
  } catch (err) {
    if (err instanceof SyntaxError_) throw new RuleError(err.message, loc(err.offset));
    throw err;
  }
}

/** A list item written with its own quotes ('"75-system-updat"') is the string inside them. */
export function unquote(item: string): { v: string; quoted: boolean } {
  if (item.length >= 2 && (item[0] === '"' || item[0] === "'") && item.endsWith(item[0])) {
    try {
      const lx = new Lexer(item);
      const v = lx.quoted();
      if (v !== undefined && lx.pos === item.length) return { v, quoted: true };
    } catch {
      // not a well-formed quoted string: keep it as written
    }
  }
  return { v: item, quoted: item.includes(' ') };
}

const LIST_OPS = new Set(['in', 'pmatch', 'intersects']);

function fieldOf(s: string, pos: Position): FieldRef {
  const tok = parseOutputToken(s, 0);
  if (!tok || tok.operand.n !== 'field' || tok.end !== s.length) throw new RuleError(`exception field "${s}" is not a field name`, pos);
  return tok.operand;
}

function compOf(s: string, pos: Position): { op: string; mod?: string } {
  const [op, mod, ...rest] = s.trim().split(/\s+/);
  const known = [...OPERATORS, '=='];
  if (!known.includes(op) || rest.length || (mod !== undefined && !['oneof', 'anyof', 'allof'].includes(mod))) {
    throw new RuleError(`"${s}" is not a comparison operator (${OPERATORS.join(', ')})`, pos);
  }
  return { op: op === '==' ? '=' : op, mod };
}

/** One exception as a condition: field(s) compared with each value (tuple); undefined when it has no values. */
function exceptionNode(ex: ExceptionInfo): Node | undefined {
  const cmp = (field: string, comp: string, value: string | string[]): Cmp => {
    const { op, mod } = compOf(comp, ex.pos);
    const item = (v: string): ValueItem => ({ ...unquote(v), at: 0 });
    const list = Array.isArray(value) || LIST_OPS.has(op) || mod !== undefined;
    return { n: 'cmp', lhs: fieldOf(field, ex.pos), op, mod, opAt: 0, at: 0, values: (Array.isArray(value) ? value : [value]).map(item), list };
  };
  const any = (nodes: Node[]): Node | undefined => nodes.reduce<Node | undefined>((acc, n) => (acc ? { n: 'or', left: acc, right: n, at: 0 } : n), undefined);
  if (typeof ex.fields === 'string') {
    const comp = ex.comps ?? 'in';
    if (Array.isArray(comp)) throw new RuleError(`exception "${ex.name}": with one field, comps is one operator`, ex.pos);
    if (!LIST_OPS.has(compOf(comp, ex.pos).op) && !comp.includes(' '))
      throw new RuleError(`exception "${ex.name}": with one field, comps must be in, pmatch or intersects`, ex.pos);
    const vals = ex.values.map((v) => {
      if (typeof v !== 'string') throw new RuleError(`exception "${ex.name}": with one field, each value is a string`, ex.pos);
      return v;
    });
    return vals.length ? cmp(ex.fields, comp, vals) : undefined;
  }
  const fields = ex.fields ?? [];
  const comps = ex.comps === undefined ? fields.map(() => '=') : ex.comps;
  if (!Array.isArray(comps) || comps.length !== fields.length) throw new RuleError(`exception "${ex.name}": fields and comps must be lists of the same length`, ex.pos);
  return any(
    ex.values.map((tuple) => {
      if (!Array.isArray(tuple) || tuple.length !== fields.length) throw new RuleError(`exception "${ex.name}": each value is a list of ${fields.length} (one per field)`, ex.pos);
      return tuple.map((v, i) => cmp(fields[i], comps[i], v) as Node).reduce((acc, n) => ({ n: 'and', left: acc, right: n, at: 0 }));
    }),
  );
}

function describeGaps(gaps: Map<string, string>): string {
  return [...gaps].map(([what, why]) => `${what} (${why})`).join('; ');
}

function compileRule(r: RuleInfo, env: CompileEnv, opts: CompileOptions, warnings: Warning[]): Rule | Skipped {
  if (r.source !== undefined && r.source !== 'syscall') return { id: r.name, reason: `source "${r.source}" is not available here (syscall events only)`, pos: r.pos };
  const p = r.priority;
  const severity = p.falco ? severityOfPriority(p.value) : isSeverity(p.value) ? p.value : undefined;
  if (!severity) {
    throw new RuleError(
      p.falco
        ? `priority "${p.value}" is not one of emergency, alert, critical, error, warning, notice, informational, debug`
        : `severity must be one of info, low, medium, high, critical, not "${p.value}"`,
      p.pos,
    );
  }
  let compiled: Part;
  let condition: Node;
  let output;
  try {
    condition = parse(r.condition.value, r.condition.loc);
    compiled = compilePart(condition, env, r.condition.loc);
    for (const ex of r.exceptions ?? []) {
      const node = exceptionNode(ex);
      if (!node) continue;
      compiled = andOf(compiled, notOf(compilePart(node, env, fixedLocator(ex.pos))));
      condition = { n: 'and', left: condition, right: { n: 'not', arg: node, at: 0 }, at: 0 };
    }
    output = compileTemplate(r.output.value, r.output.loc);
  } catch (err) {
    if (err instanceof RuleError && err.code === 'unknown-field' && r.skipIfUnknownFilter) return { id: r.name, reason: `${err.reason} (skip-if-unknown-filter)`, pos: err.pos };
    throw err;
  }
  if (compiled.constant === false) return { id: r.name, reason: `it needs what is not captured here: ${describeGaps(compiled.why ?? compiled.gaps)}`, pos: r.pos };
  if (compiled.kinds.size === 0) throw new RuleError(`rule "${r.name}" can never match: its condition requires two different event kinds at once`, r.condition.loc(0));
  if (compiled.gaps.size) warnings.push({ message: `rule "${r.name}": parts of its condition are false here: ${describeGaps(compiled.gaps)}`, pos: r.pos });
  let aggregate: AggregateSpec | undefined;
  if (r.aggregate) {
    aggregate = parseAggregate(r.aggregate.value, r.aggregate.loc);
    if (aggregate.kind === 'first_seen' && opts.learningMs !== undefined) aggregate = { ...aggregate, learningMs: opts.learningMs };
  }
  for (const f of output.missing.keys()) if (!opts.outputGaps.has(f)) opts.outputGaps.set(f, r.output.loc(0));
  return {
    id: r.name,
    description: r.desc ?? '',
    severity,
    priority: p.falco ? p.value : undefined,
    tags: r.tags ?? [],
    enabled: r.enabled ?? true,
    kinds: compiled.kinds,
    types: compiled.types,
    pred: toPredicate(compiled.expr),
    output: output.render,
    aggregate,
    source: r.pos,
    condition,
    conditionLoc: r.condition.loc,
  };
}

interface CompileOptions {
  learningMs?: number;
  /** Fields outputs name that print <NA> here, with the first place (collected for one warning). */
  outputGaps: Map<string, Position>;
}

export function compileCollected(c: Collected, opts: { learningMs?: number } = {}): Compilation {
  const lists = new Map([...c.lists].map(([name, l]) => [name, l.items.map((it) => unquote(it).v)]));
  const macros = new Map<string, Macro>();
  for (const [name, m] of c.macros) macros.set(name, { ast: parse(m.condition.value, m.condition.loc), loc: m.condition.loc });
  const env: CompileEnv = { macros, lists, hostnames: new Set(), used: new Set() };
  const warnings = [...c.warnings];
  const rules: Rule[] = [];
  const skipped: Skipped[] = [];
  const copts: CompileOptions = { learningMs: opts.learningMs, outputGaps: new Map() };
  for (const info of c.rules.values()) {
    const r = compileRule(info, env, copts, warnings);
    if ('pred' in r) rules.push(r);
    else skipped.push(r);
  }
  // Macros no rule uses are compiled on their own, so a broken one is reported all the same.
  for (const [name, m] of macros) if (!env.used!.has(name)) compilePart(m.ast, env, m.loc, [name]);
  if (copts.outputGaps.size) {
    const [first] = copts.outputGaps.values();
    warnings.push({ message: `outputs print <NA> for fields not captured here: ${[...copts.outputGaps.keys()].join(', ')}`, pos: first });
  }
  return { rules, skipped, warnings, env: { ...env, used: undefined } };
}
