/**
 * Capture filters as the user gives them (flags or a JSON file): parsed, validated against the
 * kernel's limits, merged. producer/bpf/filter-maps.ts turns a spec into the kernel's rule maps.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../common/errors';
import { COMM_LEN, PATH_KEY_LEN } from '../bpf/layout';

export type ResultFilter = 'all' | 'failed' | 'successful';

export interface RuleSet {
  pid: number[];
  uid: number[];
  comm: string[];
  path: string[];
}

export interface FilterSpec {
  include: RuleSet;
  exclude: RuleSet;
  result: ResultFilter;
}

export const emptyRules = (): RuleSet => ({ pid: [], uid: [], comm: [], path: [] });
export const emptyFilter = (): FilterSpec => ({ include: emptyRules(), exclude: emptyRules(), result: 'all' });

function ids(what: string, values: unknown[]): number[] {
  return values.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff || String(v).trim() === '') throw new ConfigError(`${what}: "${v}" is not a non-negative integer`);
    return n;
  });
}

function comms(what: string, values: unknown[]): string[] {
  return values.map((v) => {
    const s = String(v);
    if (s.length === 0 || Buffer.byteLength(s) >= COMM_LEN) throw new ConfigError(`${what}: comm "${s}" must be 1-${COMM_LEN - 1} bytes (the kernel's comm)`);
    return s;
  });
}

function paths(what: string, values: unknown[]): string[] {
  return values.map((v) => {
    const s = String(v);
    if (!s.startsWith('/')) throw new ConfigError(`${what}: path prefix "${s}" must be absolute`);
    if (Buffer.byteLength(s) > PATH_KEY_LEN) throw new ConfigError(`${what}: path prefix "${s}" is longer than ${PATH_KEY_LEN} bytes`);
    return s;
  });
}

/** Validate a rule set (from flags or a file); `where` names the source in errors. */
export function parseRules(raw: Partial<Record<keyof RuleSet, unknown>>, where: string): RuleSet {
  const list = (k: keyof RuleSet): unknown[] => {
    const v = raw[k];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new ConfigError(`${where}.${k} must be a list`);
    return v;
  };
  for (const k of Object.keys(raw)) if (!['pid', 'uid', 'comm', 'path'].includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (pid, uid, comm, path)`);
  // Flags are named --include-path; a filter file's keys include.path.
  const name = (k: string): string => (where.startsWith('--') ? `${where}-${k}` : `${where}.${k}`);
  return { pid: ids(name('pid'), list('pid')), uid: ids(name('uid'), list('uid')), comm: comms(name('comm'), list('comm')), path: paths(name('path'), list('path')) };
}

/** Read a filter file: {"include": {...}, "exclude": {...}, "result": "all|failed|successful"}. */
export function readFilterFile(file: string): FilterSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`filter file ${file}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`filter file ${file}: must be a JSON object`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['include', 'exclude', 'result'].includes(k)) throw new ConfigError(`filter file ${file}: unknown key "${k}" (include, exclude, result)`);
  const result = (o.result ?? 'all') as ResultFilter;
  if (!['all', 'failed', 'successful'].includes(result)) throw new ConfigError(`filter file ${file}: result must be all, failed or successful`);
  return {
    include: parseRules((o.include ?? {}) as Record<string, unknown>, `${file}: include`),
    exclude: parseRules((o.exclude ?? {}) as Record<string, unknown>, `${file}: exclude`),
    result,
  };
}

/** Flags and file together: lists are joined; a result filter may be set once. */
export function mergeFilters(a: FilterSpec, b: FilterSpec): FilterSpec {
  const join = (x: RuleSet, y: RuleSet): RuleSet => ({ pid: [...x.pid, ...y.pid], uid: [...x.uid, ...y.uid], comm: [...x.comm, ...y.comm], path: [...x.path, ...y.path] });
  if (a.result !== 'all' && b.result !== 'all' && a.result !== b.result) throw new ConfigError(`conflicting result filters: ${a.result} and ${b.result}`);
  return { include: join(a.include, b.include), exclude: join(a.exclude, b.exclude), result: a.result !== 'all' ? a.result : b.result };
}
