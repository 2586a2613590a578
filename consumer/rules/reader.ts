/**
 * Reading rule files: YAML to a sequence of items (engine and plugin requirements, lists, macros,
 * rules and their updates), each with its place in the file, in Falco's format
 * (falco/userspace/engine/rule_loader_reader.cpp): `priority` or this project's `severity`,
 * `desc` or `description`, `exceptions`, `override` (append or replace per key), the deprecated
 * `append: true`, `enabled`-only entries, `source`, `skip-if-unknown-filter`, plus `aggregate`.
 * Nothing is resolved here: collector.ts applies the items in order, compiler.ts compiles them.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { RuleError, type Locator, type Position } from './errors';
import { scalarLocator, type FileCtx } from './text';

/** A string of the file with a map from its offsets to the file's lines and columns. */
export interface Text {
  value: string;
  loc: Locator;
}

export type Op = 'append' | 'replace';

export interface ExceptionInfo {
  name: string;
  /** One field (comps then defaults to "in"), or a tuple (comps default to "="). */
  fields: string | string[] | undefined;
  comps: string | string[] | undefined;
  /** One value per field of the tuple; a value may itself be a list. */
  values: (string | (string | string[])[])[];
  pos: Position;
}

export interface RuleFields {
  condition?: Text;
  output?: Text;
  desc?: string;
  /** A severity, or a Falco priority, as written. */
  priority?: { value: string; falco: boolean; pos: Position };
  source?: string;
  enabled?: boolean;
  tags?: string[];
  exceptions?: ExceptionInfo[];
  skipIfUnknownFilter?: boolean;
  aggregate?: Text;
}

export type Item =
  | { t: 'engine'; version: string; pos: Position }
  | { t: 'plugins'; plugins: { name: string; version: string }[][]; pos: Position }
  | { t: 'list'; name: string; items: string[]; op?: Op; pos: Position }
  | { t: 'macro'; name: string; condition: Text; op?: Op; pos: Position }
  | { t: 'rule'; name: string; fields: RuleFields; pos: Position; update?: Record<string, Op>; enableOnly?: boolean }
  | { t: 'warning'; message: string; pos: Position };

const RULE_KEYS = [
  'rule',
  'condition',
  'output',
  'desc',
  'description',
  'priority',
  'severity',
  'source',
  'enabled',
  'tags',
  'exceptions',
  'override',
  'append',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
  'warn_evttypes',
  'aggregate',
];
const APPENDABLE = ['condition', 'output', 'desc', 'description', 'tags', 'exceptions'];
const REPLACEABLE = [
  'condition',
  'output',
  'desc',
  'description',
  'priority',
  'severity',
  'tags',
  'exceptions',
  'enabled',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
  'warn_evttypes',
  'aggregate',
];

class Entry {
  readonly keys = new Map<string, Pair<Scalar, YNode>>();
  constructor(
    readonly c: FileCtx,
    readonly map: YAMLMap<Scalar, YNode>,
  ) {
    for (const pair of map.items) this.keys.set(String(pair.key?.value), pair);
  }

  at(node: YNode | null | undefined): Position {
    return this.c.pos(node?.range?.[0] ?? this.map.range?.[0] ?? 0);
  }

  node(k: string): YNode | undefined {
    return this.keys.get(k)?.value ?? undefined;
  }

  has(k: string): boolean {
    return this.keys.has(k);
  }

  str(k: string, what = k): string {
    const n = this.node(k);
    if (!isScalar(n) || n.value === null || typeof n.value === 'object' || String(n.value) === '') throw new RuleError(`${what} must be a non-empty string`, this.at(n));
    return String(n.value);
  }

  text(k: string): Text {
    const n = this.node(k);
    const value = this.str(k);
    return { value, loc: scalarLocator(this.c, n as Scalar) };
  }

  bool(k: string): boolean {
    const n = this.node(k);
    if (!isScalar(n) || typeof n.value !== 'boolean') throw new RuleError(`${k} must be true or false`, this.at(n));
    return n.value;
  }

  strings(k: string): string[] {
    const n = this.node(k);
    if (n === undefined || (isScalar(n) && n.value === null)) return [];
    return strings(this.c, n, k);
  }
}

function strings(c: FileCtx, n: YNode | undefined, what: string): string[] {
  if (!isSeq(n)) throw new RuleError(`${what} must be a list such as [a, b]`, c.pos(n?.range?.[0] ?? 0));
  return n.items.map((it) => {
    if (!isScalar(it) || it.value === null || typeof it.value === 'object') throw new RuleError(`${what} items must be plain values`, c.pos((it as YNode).range?.[0] ?? 0));
    return String(it.value);
  });
}

/** One value of an exception: a string or a list of strings. */
function exceptionValue(c: FileCtx, n: unknown): string | string[] {
  if (isScalar(n) && n.value !== null && typeof n.value !== 'object') return String(n.value);
  if (isSeq(n)) return strings(c, n, 'exception values');
  throw new RuleError('exception values must be strings or lists of strings', c.pos((n as YNode)?.range?.[0] ?? 0));
}

function exceptions(e: Entry): ExceptionInfo[] {
  const n = e.node('exceptions');
  if (n === undefined || (isScalar(n) && n.value === null)) return [];
  if (!isSeq(n)) throw new RuleError('exceptions must be a list of mappings with name, fields, comps and values', e.at(n));
  return n.items.map((it) => {
    if (!isMap(it)) throw new RuleError('a rule exception must be a mapping', e.at(it as YNode));
    const x = new Entry(e.c, it as YAMLMap<Scalar, YNode>);
    for (const k of x.keys.keys())
      if (!['name', 'fields', 'comps', 'values'].includes(k))
        throw new RuleError(`unknown key "${k}" in an exception (allowed: name, fields, comps, values)`, x.at(x.keys.get(k)!.key));
    const one = (k: string): string | string[] | undefined => (x.has(k) ? exceptionValue(e.c, x.node(k)) : undefined);
    const vals = x.node('values');
    if (vals !== undefined && !isSeq(vals)) throw new RuleError('exception values must be a list', x.at(vals));
    return {
      name: x.str('name', 'exception name'),
      fields: one('fields'),
      comps: one('comps'),
      pos: x.at(it as YNode),
      values: vals ? (vals as { items: unknown[] }).items.map((v) => (isSeq(v) ? v.items.map((w) => exceptionValue(e.c, w)) : exceptionValue(e.c, v))) : [],
    };
  });
}

function ruleFields(e: Entry, only?: string[]): RuleFields {
  const want = (k: string): boolean => e.has(k) && (!only || only.includes(k));
  const f: RuleFields = {};
  if (want('condition')) f.condition = e.text('condition');
  if (want('output')) f.output = e.text('output');
  for (const k of ['desc', 'description']) if (want(k)) f.desc = e.str(k);
  for (const k of ['priority', 'severity']) {
    if (want(k)) f.priority = { value: e.str(k), falco: k === 'priority', pos: e.at(e.node(k)) };
  }
  if (want('source')) f.source = e.str('source');
  if (want('enabled')) f.enabled = e.bool('enabled');
  if (want('tags')) f.tags = e.strings('tags');
  if (want('exceptions')) f.exceptions = exceptions(e);
  if (want('skip-if-unknown-filter')) f.skipIfUnknownFilter = e.bool('skip-if-unknown-filter');
  if (want('aggregate')) f.aggregate = e.text('aggregate');
  return f;
}

function overrides(e: Entry, allowed: { append: string[]; replace: string[] }): Record<string, Op> | undefined {
  if (!e.has('override')) return undefined;
  const n = e.node('override');
  if (!isMap(n)) throw new RuleError('override must be a mapping of keys to append or replace', e.at(n));
  const out: Record<string, Op> = {};
  for (const pair of (n as YAMLMap<Scalar, YNode>).items) {
    const k = String(pair.key?.value);
    const op = isScalar(pair.value) ? String(pair.value.value) : '';
    if (op !== 'append' && op !== 'replace') throw new RuleError(`override of "${k}" must be append or replace, not "${op}"`, e.at(pair.value));
    if (!allowed[op].includes(k)) throw new RuleError(`"${k}" cannot be ${op === 'append' ? 'appended to' : 'replaced'} (${op}: ${allowed[op].join(', ')})`, e.at(pair.key));
    if (!e.has(k)) throw new RuleError(`override of "${k}" but the entry has no ${k}`, e.at(pair.key));
    out[k] = op;
  }
  for (const k of e.keys.keys()) {
    if (!['rule', 'macro', 'list', 'override', 'source'].includes(k) && !(k in out)) {
      throw new RuleError(`"${k}" has no entry under override (add ${k}: append or ${k}: replace)`, e.at(e.keys.get(k)!.key));
    }
  }
  return out;
}

function checkKeys(e: Entry, what: string, allowed: string[]): void {
  for (const [k, pair] of e.keys) if (!allowed.includes(k)) throw new RuleError(`unknown key "${k}" in a ${what} (allowed: ${allowed.join(', ')})`, e.at(pair.key));
}

function readEntry(e: Entry): Item {
  const pos = e.at(e.map);
  if (e.has('required_engine_version')) {
    const n = e.node('required_engine_version');
    return { t: 'engine', version: isScalar(n) ? String(n.value) : '', pos: e.at(n) };
  }
  if (e.has('required_plugin_versions')) {
    const n = e.node('required_plugin_versions');
    if (!isSeq(n)) throw new RuleError('required_plugin_versions must be a list', e.at(n));
    const plugins = n.items.map((it) => {
      if (!isMap(it)) throw new RuleError('a required plugin must be a mapping with name and version', e.at(it as YNode));
      const p = new Entry(e.c, it as YAMLMap<Scalar, YNode>);
      const alts = p.has('alternatives') && isSeq(p.node('alternatives')) ? (p.node('alternatives') as { items: unknown[] }).items : [];
      return [
        { name: p.str('name'), version: p.str('version') },
        ...alts.map((a) => {
          const q = new Entry(e.c, a as YAMLMap<Scalar, YNode>);
          return { name: q.str('name'), version: q.str('version') };
        }),
      ];
    });
    return { t: 'plugins', plugins, pos };
  }
  const kinds = (['rule', 'macro', 'list'] as const).filter((t) => e.has(t));
  if (kinds.length === 0) return { t: 'warning', message: `unknown top-level item (keys: ${[...e.keys.keys()].join(', ')}): ignored`, pos };
  if (kinds.length > 1) throw new RuleError(`an entry has one of rule:, macro: or list:, not ${kinds.join(' and ')}`, pos);
  const t = kinds[0];
  const name = e.str(t, `${t} name`);
  const legacyAppend = e.has('append') && e.bool('append');
  if (t === 'list') {
    checkKeys(e, 'list', ['list', 'items', 'append', 'override']);
    const ov = overrides(e, { append: ['items'], replace: ['items'] });
    if (ov && legacyAppend) throw new RuleError('override and append: true exclude each other (use override: {items: append})', pos);
    return { t, name, items: e.strings('items'), op: legacyAppend ? 'append' : ov?.items, pos };
  }
  if (t === 'macro') {
    checkKeys(e, 'macro', ['macro', 'condition', 'append', 'override']);
    const ov = overrides(e, { append: ['condition'], replace: ['condition'] });
    if (ov && legacyAppend) throw new RuleError('override and append: true exclude each other (use override: {condition: append})', pos);
    return { t, name, condition: e.text('condition'), op: legacyAppend ? 'append' : ov?.condition, pos };
  }
  checkKeys(e, 'rule', RULE_KEYS);
  const update = overrides(e, { append: APPENDABLE, replace: REPLACEABLE });
  if (update && legacyAppend) throw new RuleError('override and append: true exclude each other (use override: {condition: append})', pos);
  if (update) return { t, name, fields: ruleFields(e), update, pos };
  if (legacyAppend) return { t, name, fields: ruleFields(e, ['condition', 'exceptions', 'source']), update: { condition: 'append', exceptions: 'append' }, pos };
  if (!['condition', 'output', 'desc', 'description', 'priority', 'severity'].some((k) => e.has(k))) {
    if (!e.has('enabled')) throw new RuleError(`rule "${name}" has neither a condition nor enabled`, pos);
    return { t, name, fields: ruleFields(e, ['enabled']), enableOnly: true, pos };
  }
  for (const k of ['condition', 'output']) if (!e.has(k)) throw new RuleError(`rule "${name}" has no ${k}`, pos);
  if (!e.has('priority') && !e.has('severity')) throw new RuleError(`rule "${name}" has no priority (or severity)`, pos);
  if (e.has('priority') && e.has('severity')) throw new RuleError(`rule "${name}" has both priority and severity: keep one`, e.at(e.node('severity')));
  if (e.has('desc') && e.has('description')) throw new RuleError(`rule "${name}" has both desc and description: keep one`, e.at(e.node('description')));
  return { t, name, fields: ruleFields(e), pos };
}

/** Every item of a rule file, in order. */
export function readItems(file: string, text: string): Item[] {
  const lc = new LineCounter();
  const c: FileCtx = {
    file,
    src: text,
    pos: (offset) => {
      const p = lc.linePos(offset);
      return { file, line: p.line, col: p.col };
    },
  };
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const items: Item[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) {
      const err = doc.errors[0];
      throw new RuleError(`YAML: ${err.message.split('\n')[0]}`, c.pos(err.pos[0]));
    }
    if (doc.contents === null) continue; // an empty document defines nothing
    if (!isSeq(doc.contents)) throw new RuleError('a rule file is a YAML list of "- rule:", "- macro:" and "- list:" entries', c.pos(doc.contents.range?.[0] ?? 0));
    for (const it of doc.contents.items) {
      if (isScalar(it) && it.value === null) continue;
      if (!isMap(it)) throw new RuleError('each entry must be a mapping starting with rule:, macro: or list:', c.pos((it as YNode).range?.[0] ?? 0));
      items.push(readEntry(new Entry(c, it as YAMLMap<Scalar, YNode>)));
    }
  }
  return items;
}
