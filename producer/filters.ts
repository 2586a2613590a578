/**
 * Capture filters: what the user asks for (flags or a JSON file) and how it becomes the kernel's
 * rule maps (bpf/events.h). The kernel applies them; nothing filtered crosses the ring buffer.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../common/errors';
import { COMM_LEN, FLT, PATH_KEY_LEN, RULE } from './decode/layout';

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

/** One map write: rule map name, key bytes, value. */
export interface RuleEntry {
  map: 'pid_rules' | 'uid_rules' | 'comm_rules' | 'path_rules';
  key: Buffer;
  value: number;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const commKey = (s: string): Buffer => {
  const b = Buffer.alloc(COMM_LEN);
  b.write(s, 'utf8');
  return b;
};
/** struct ea_path_key: prefix length in bits, then the bytes. */
export const pathKey = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'utf8');
  const b = Buffer.alloc(4 + PATH_KEY_LEN);
  b.writeUInt32LE(bytes.length * 8);
  bytes.copy(b, 4);
  return b;
};

/** The kernel form of a spec: the flags word and every rule-map entry. */
export function compileFilter(spec: FilterSpec): { flags: number; entries: RuleEntry[] } {
  const entries: RuleEntry[] = [];
  const add = (set: RuleSet, value: number): void => {
    for (const p of set.pid) entries.push({ map: 'pid_rules', key: u32(p), value });
    for (const u of set.uid) entries.push({ map: 'uid_rules', key: u32(u), value });
    for (const c of set.comm) entries.push({ map: 'comm_rules', key: commKey(c), value });
    for (const p of set.path) entries.push({ map: 'path_rules', key: pathKey(p), value });
  };
  // Includes first, so an exclude of the same key wins (the later write).
  add(spec.include, RULE.include);
  add(spec.exclude, RULE.exclude);
  const { include: i, exclude: e } = spec;
  let flags = 0;
  if (i.pid.length) flags |= FLT.PID_INCLUDE;
  if (i.uid.length) flags |= FLT.UID_INCLUDE;
  if (i.comm.length) flags |= FLT.COMM_INCLUDE;
  if (i.path.length) flags |= FLT.PATH_INCLUDE;
  if (i.pid.length + i.uid.length + i.comm.length + e.pid.length + e.uid.length + e.comm.length) flags |= FLT.TASK_RULES;
  if (i.path.length + e.path.length) flags |= FLT.PATH_RULES;
  if (spec.result === 'failed') flags |= FLT.FAILED_ONLY;
  if (spec.result === 'successful') flags |= FLT.SUCCESS_ONLY;
  return { flags, entries };
}
