/**
 * Collecting: the items of every file applied in order into one namespace, as Falco's collector
 * does (falco/userspace/engine/rule_loader_collector.cpp). A later list, macro or rule of the same
 * name replaces the earlier one; `append` extends a list's items, a macro's or a rule's condition
 * (joined by a space, as text), a rule's output, description and tags, and adds exception values;
 * `replace` swaps single keys; an entry with only `enabled` switches a rule on or off.
 */
import { RuleError, type Position } from './errors';
import type { ExceptionInfo, Item, Op, RuleFields, Text } from './reader';
import { joinTexts } from './text';

/** The Falco rule-language version this engine implements: files may require it or older. */
export const ENGINE_VERSION = '0.57.0';

export interface Warning {
  message: string;
  pos: Position;
}

export interface RuleInfo extends RuleFields {
  name: string;
  condition: Text;
  output: Text;
  priority: NonNullable<RuleFields['priority']>;
  pos: Position;
}

export interface Collected {
  lists: Map<string, { items: string[]; pos: Position }>;
  macros: Map<string, { condition: Text; pos: Position }>;
  rules: Map<string, RuleInfo>;
  warnings: Warning[];
}

const semver = (v: string): number[] | undefined => {
  const m = /^(\d+)(?:\.(\d+)\.(\d+))?$/.exec(v.trim());
  if (!m) return undefined;
  // A bare integer is the old numbering: engine version N is 0.N.0.
  return m[2] === undefined ? [0, Number(m[1]), 0] : [Number(m[1]), Number(m[2]), Number(m[3])];
};

function checkEngine(version: string, pos: Position): void {
  const want = semver(version);
  if (!want) throw new RuleError(`required_engine_version "${version}" is not a version such as 0.57.0`, pos);
  const have = semver(ENGINE_VERSION)!;
  const newer = want[1] > have[1] || (want[1] === have[1] && want[2] > have[2]);
  if (want[0] !== have[0] || newer) throw new RuleError(`the file requires Falco rule engine ${want.join('.')}; this one implements the language of ${ENGINE_VERSION}`, pos);
}

function pluginWarning(name: string): string {
  if (name === 'container') {
    return 'required plugin "container": its container.id and container.full_id come from the cgroup here; the runtime metadata (image, name, privileged, k8s.*) is not collected';
  }
  return `required plugin "${name}" is not available here: rules that need its fields or its source are skipped`;
}

function mergeExceptions(prev: ExceptionInfo[], add: ExceptionInfo[]): ExceptionInfo[] {
  const out = prev.map((e) => ({ ...e, values: [...e.values] }));
  for (const ex of add) {
    const old = out.find((e) => e.name === ex.name);
    if (!old) {
      if (ex.fields === undefined) throw new RuleError(`exception "${ex.name}" is new here and needs fields`, ex.pos);
      out.push(ex);
    } else {
      if (ex.fields !== undefined || ex.comps !== undefined) throw new RuleError(`exception "${ex.name}" exists: only values can be appended to it, not fields or comps`, ex.pos);
      old.values.push(...ex.values);
    }
  }
  return out;
}

function update(prev: RuleInfo, f: RuleFields, ops: Record<string, Op>, pos: Position): void {
  const op = (k: string): Op | undefined => ops[k] ?? (k === 'desc' ? ops.description : k === 'priority' ? ops.severity : undefined);
  if (f.source !== undefined && prev.source !== undefined && f.source !== prev.source) throw new RuleError(`rule "${prev.name}" is redefined with another source`, pos);
  if (f.condition) prev.condition = op('condition') === 'append' ? joinTexts(prev.condition, f.condition) : f.condition;
  if (f.output) prev.output = op('output') === 'append' ? joinTexts(prev.output, f.output) : f.output;
  if (f.desc !== undefined) prev.desc = op('desc') === 'append' && prev.desc ? `${prev.desc} ${f.desc}` : f.desc;
  if (f.tags) prev.tags = op('tags') === 'append' ? [...new Set([...(prev.tags ?? []), ...f.tags])] : f.tags;
  if (f.exceptions) prev.exceptions = op('exceptions') === 'append' ? mergeExceptions(prev.exceptions ?? [], f.exceptions) : f.exceptions;
  if (f.priority) prev.priority = f.priority;
  if (f.enabled !== undefined) prev.enabled = f.enabled;
  if (f.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = f.skipIfUnknownFilter;
  if (f.aggregate) prev.aggregate = f.aggregate;
}

export function collect(items: Item[], into?: Collected): Collected {
  const c: Collected = into ?? { lists: new Map(), macros: new Map(), rules: new Map(), warnings: [] };
  for (const it of items) {
    switch (it.t) {
      case 'engine':
        checkEngine(it.version, it.pos);
        break;
      case 'plugins':
        for (const alts of it.plugins) c.warnings.push({ message: pluginWarning(alts[0].name), pos: it.pos });
        break;
      case 'warning':
        c.warnings.push({ message: it.message, pos: it.pos });
        break;
      case 'list': {
        const prev = c.lists.get(it.name);
        if (it.op === 'append' && !prev) throw new RuleError(`list "${it.name}" appends to no earlier list of that name`, it.pos);
        c.lists.set(it.name, { items: it.op === 'append' && prev ? [...prev.items, ...it.items] : it.items, pos: it.pos });
        break;
      }
      case 'macro': {
        const prev = c.macros.get(it.name);
        if (it.op === 'append' && !prev) throw new RuleError(`macro "${it.name}" appends to no earlier macro of that name`, it.pos);
        c.macros.set(it.name, { condition: it.op === 'append' && prev ? joinTexts(prev.condition, it.condition) : it.condition, pos: it.pos });
        break;
      }
      case 'rule': {
        const prev = c.rules.get(it.name);
        if (it.enableOnly || it.update) {
          if (!prev) throw new RuleError(it.enableOnly ? `no rule "${it.name}" to switch on or off` : `rule "${it.name}" updates no earlier rule of that name`, it.pos);
          update(prev, it.fields, it.update ?? {}, it.pos);
        } else {
          if (prev && prev.source !== undefined && it.fields.source !== undefined && prev.source !== it.fields.source) {
            throw new RuleError(`rule "${it.name}" is redefined with another source`, it.pos);
          }
          c.rules.set(it.name, { ...it.fields, name: it.name, pos: it.pos } as RuleInfo);
        }
        break;
      }
    }
  }
  return c;
}
