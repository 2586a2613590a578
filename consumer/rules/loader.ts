/**
 * Rule files: YAML sequences of lists, macros and rules, in Falco's shape.
 *
 *   - list: shells
 *     items: [bash, sh, zsh]
 *   - macro: outbound
 *     condition: evt.type = connect and net.family in (inet, inet6)
 *   - rule: shell-connect
 *     description: A shell opened a network connection
 *     severity: high                       # info | low | medium | high | critical
 *     condition: outbound and proc.name in (shells)
 *     output: "Shell connected out (proc=%proc.name dst=%net.dst_ip:%net.dst_port)"
 *     tags: [T1059]
 *     enabled: true
 *     aggregate: count > 3 within 10s by proc.pid      # optional: see aggregate.ts
 *
 * Files load in order into one namespace: a later list or macro replaces an earlier one of the
 * same name (a list with `append: true` extends it), and a later rule replaces the rule with its
 * id, or only switches it on or off when it gives nothing but `enabled`. Conditions are compiled
 * after every file is read, so they can use macros and lists from any of them. Every error names
 * file:line:column.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { EventKind } from '../../schemas/types';
import { parseAggregate, type AggregateSpec } from './aggregate';
import { compile, type CompileEnv, type Compiled, type Macro, type Predicate } from './compile';
import { RuleError, type Locator, type Position } from './errors';
import { parseCondition, SyntaxError_, type Node } from './syntax';
import { compileTemplate, type Template } from './template';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Rule {
  id: string;
  description: string;
  severity: Severity;
  tags: string[];
  enabled: boolean;
  kinds: Set<EventKind>;
  pred: Predicate;
  output: Template;
  aggregate?: AggregateSpec;
  /** Where the rule was (last) defined. */
  source: Position;
  /** The condition's syntax tree and where its offsets are (search compiles it to SQL). */
  condition: Node;
  conditionLoc: Locator;
}

export interface RuleFile {
  path: string;
  text: string;
}

/** The default rule pack, beside this module in the source tree, three levels up from dist/. */
export const DEFAULT_RULES = [__dirname, path.resolve(__dirname, '../../../consumer/rules')]
  .map((d) => path.join(d, 'default-rules.yaml'))
  .find((f) => fs.existsSync(f)) ?? path.resolve(__dirname, '../../../consumer/rules/default-rules.yaml');

export function readRuleFile(file: string): RuleFile {
  try {
    return { path: file, text: fs.readFileSync(file, 'utf8') };
  } catch (err) {
    throw new RuleError(`cannot read rule file: ${(err as Error).message}`, { file, line: 1, col: 1 });
  }
}

interface Ctx {
  file: string;
  src: string;
  lc: LineCounter;
}

function posOf(c: Ctx, offset: number): Position {
  const p = c.lc.linePos(offset);
  return { file: c.file, line: p.line, col: p.col };
}

function at(c: Ctx, node: YNode | null | undefined): Position {
  return posOf(c, node?.range?.[0] ?? 0);
}

/**
 * Map offsets in a scalar's value to the file. Walks the value and its source text together:
 * equal characters advance both; quotes, escapes, indentation and line folds exist only in the
 * source and are skipped. Exact for one-line and literal scalars, right to the token for folded ones.
 */
function scalarLocator(c: Ctx, node: Scalar): Locator {
  const [start, end] = node.range ?? [0, 0];
  const text = c.src.slice(start, end);
  const value = String(node.value);
  let first = 0;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') first = text.indexOf('\n') + 1;
  else if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') first = 1;
  return (offset) => {
    let v = 0;
    let j = first;
    while (j < text.length && (v < offset || (/\s/.test(text[j]) && !/\s/.test(value[v] ?? '')))) {
      if (v < offset && text[j] === value[v]) {
        v++;
        j++;
      } else if (text[j] === '\\' || /\s/.test(text[j]) || (node.type === 'QUOTE_SINGLE' && text[j] === "'")) j++;
      else if (v < offset) v++;
      else break;
    }
    return posOf(c, start + j);
  };
}

function str(c: Ctx, node: YNode | null | undefined, what: string): Scalar & { value: string } {
  if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') throw new RuleError(`${what} must be a non-empty string`, at(c, node));
  return node as Scalar & { value: string };
}

function bool(c: Ctx, node: YNode | null | undefined, what: string): boolean {
  if (!isScalar(node) || typeof node.value !== 'boolean') throw new RuleError(`${what} must be true or false`, at(c, node));
  return node.value;
}

function strings(c: Ctx, node: YNode | null | undefined, what: string): string[] {
  if (!isSeq(node)) throw new RuleError(`${what} must be a list such as [a, b]`, at(c, node));
  return node.items.map((it) => {
    if (!isScalar(it) || it.value === null || typeof it.value === 'object') throw new RuleError(`${what} items must be plain values`, at(c, it as YNode));
    return String(it.value);
  });
}

function parse(src: string, loc: Locator): Node {
  try {
    return parseCondition(src);
  } catch (err) {
    if (err instanceof SyntaxError_) throw new RuleError(err.message, loc(err.offset));
    throw err;
  }
}

const KEYS: Record<'rule' | 'macro' | 'list', string[]> = {
  rule: ['rule', 'description', 'severity', 'condition', 'output', 'tags', 'enabled', 'aggregate'],
  macro: ['macro', 'condition'],
  list: ['list', 'items', 'append'],
};

interface RuleDraft {
  id: string;
  fields: Map<string, Pair<Scalar, YNode>>;
  c: Ctx;
  source: Position;
}

export interface LoadOptions {
  /** Replaces the learning period of every first_seen aggregate. */
  learningMs?: number;
}

export interface LoadedRules {
  rules: Rule[];
  macros: number;
  lists: number;
  /** The macros and lists, for expressions outside rule files (tail --where). */
  env: CompileEnv;
}

export function loadRules(files: RuleFile[], opts: LoadOptions = {}): LoadedRules {
  const lists = new Map<string, { items: string[]; c: Ctx; node: YNode }>();
  const macros = new Map<string, { cond: Scalar & { value: string }; c: Ctx }>();
  const drafts = new Map<string, RuleDraft>();

  for (const f of files) {
    const lc = new LineCounter();
    const doc = parseDocument(f.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    const c: Ctx = { file: f.path, src: f.text, lc };
    if (doc.errors.length) {
      const e = doc.errors[0];
      throw new RuleError(`YAML: ${e.message.split('\n')[0]}`, posOf(c, e.pos[0]));
    }
    if (doc.contents === null) continue; // an empty file defines nothing
    if (!isSeq(doc.contents)) throw new RuleError('a rule file is a YAML list of "- rule:", "- macro:" and "- list:" entries', at(c, doc.contents));
    const seenHere = new Map<string, Position>();
    for (const item of doc.contents.items) {
      if (!isMap(item)) throw new RuleError('each entry must be a mapping starting with rule:, macro: or list:', at(c, item as YNode));
      const map = item as YAMLMap<Scalar, YNode>;
      const fields = new Map<string, Pair<Scalar, YNode>>();
      for (const pair of map.items) fields.set(String(pair.key?.value), pair);
      const type = (['rule', 'macro', 'list'] as const).filter((t) => fields.has(t));
      if (type.length !== 1) throw new RuleError(`each entry needs exactly one of rule:, macro: or list: (found ${type.length ? type.join(', ') : 'none'})`, at(c, map));
      const t = type[0];
      for (const [k, pair] of fields) {
        if (!KEYS[t].includes(k)) throw new RuleError(`unknown key "${k}" in a ${t} (allowed: ${KEYS[t].join(', ')})`, at(c, pair.key));
      }
      const nameNode = str(c, fields.get(t)!.value, `${t} name`);
      const name = nameNode.value;
      const here = `${t}:${name}`;
      if (seenHere.has(here)) {
        const prev = seenHere.get(here)!;
        throw new RuleError(`${t} "${name}" is defined twice in this file (first at line ${prev.line})`, at(c, nameNode));
      }
      seenHere.set(here, at(c, nameNode));
      if (t === 'list') {
        const items = strings(c, fields.get('items')?.value, `list "${name}": items`);
        const append = fields.has('append') && bool(c, fields.get('append')!.value, 'append');
        const prev = lists.get(name);
        if (append && !prev) throw new RuleError(`list "${name}" has append: true but no earlier list of that name`, at(c, nameNode));
        lists.set(name, { items: append && prev ? [...prev.items, ...items] : items, c, node: nameNode });
      } else if (t === 'macro') {
        macros.set(name, { cond: str(c, fields.get('condition')?.value, `macro "${name}": condition`), c });
      } else {
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new RuleError(`rule id "${name}" must be letters, digits, ".", "_" and "-"`, at(c, nameNode));
        const onlyToggle = fields.size === 2 && fields.has('enabled');
        const prev = drafts.get(name);
        if (onlyToggle) {
          if (!prev) throw new RuleError(`no rule "${name}" to switch on or off`, at(c, nameNode));
          bool(c, fields.get('enabled')!.value, 'enabled'); // checked here, where the file is known
          prev.fields.set('enabled', fields.get('enabled')!);
          continue;
        }
        for (const k of ['condition', 'output', 'severity']) {
          if (!fields.has(k)) throw new RuleError(`rule "${name}" has no ${k}`, at(c, nameNode));
        }
        drafts.set(name, { id: name, fields, c, source: at(c, nameNode) });
      }
    }
  }

  // Lists may name earlier lists among their items: expand them once, here.
  const flat = new Map<string, string[]>();
  for (const [name, l] of lists) flat.set(name, l.items.flatMap((it) => (it !== name && flat.has(it) ? flat.get(it)! : [it])));
  const macroAsts = new Map<string, Macro>();
  for (const [name, m] of macros) {
    const loc = scalarLocator(m.c, m.cond);
    macroAsts.set(name, { ast: parse(m.cond.value, loc), loc });
  }
  const env = { macros: macroAsts, lists: flat };
  // Compile every macro on its own too, so a broken one is reported even when no rule uses it.
  for (const [name, m] of macroAsts) compile(m.ast, env, m.loc, [name]);

  const rules: Rule[] = [];
  for (const d of drafts.values()) {
    const { c, fields } = d;
    const get = (k: string): YNode | undefined => fields.get(k)?.value ?? undefined;
    const cond = str(c, get('condition'), 'condition');
    const loc = scalarLocator(c, cond);
    const condition = parse(cond.value, loc);
    const compiled = compile(condition, env, loc);
    const out = str(c, get('output'), 'output');
    const sev = str(c, get('severity'), 'severity');
    if (!(SEVERITIES as readonly string[]).includes(sev.value)) throw new RuleError(`severity must be one of ${SEVERITIES.join(', ')}, not "${sev.value}"`, at(c, sev));
    let aggregate: AggregateSpec | undefined;
    if (fields.has('aggregate')) {
      const agg = str(c, get('aggregate'), 'aggregate');
      aggregate = parseAggregate(agg.value, scalarLocator(c, agg));
      if (aggregate.kind === 'first_seen' && opts.learningMs !== undefined) aggregate = { ...aggregate, learningMs: opts.learningMs };
    }
    if (compiled.kinds.size === 0) throw new RuleError(`rule "${d.id}" can never match: its condition requires two different event kinds at once`, loc(0));
    rules.push({
      id: d.id,
      description: fields.has('description') ? str(c, get('description'), 'description').value : '',
      severity: sev.value as Severity,
      tags: fields.has('tags') ? strings(c, get('tags'), 'tags') : [],
      enabled: fields.has('enabled') ? bool(c, get('enabled'), 'enabled') : true,
      kinds: compiled.kinds,
      pred: compiled.pred,
      output: compileTemplate(out.value, scalarLocator(c, out)),
      aggregate,
      source: d.source,
      condition,
      conditionLoc: loc,
    });
  }
  return { rules, macros: macros.size, lists: lists.size, env };
}

/** Compile a condition given on the command line (`--where`), with the macros and lists of `env`. */
export function compileExpression(expr: string, env: CompileEnv, what = '--where'): Compiled {
  const loc: Locator = (offset) => ({ file: what, line: 1, col: offset + 1 });
  return compile(parse(expr, loc), env, loc);
}
