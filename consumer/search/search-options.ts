/** The search command's flags to a typed request; every bad value names its flag (exit 2). */
import { ConfigError } from '../../common/errors';
import { EVENT_KINDS, type EventKind } from '../../schemas/types';
import { parseSince } from '../core/input/since';
import { FIELDS } from '../rules/fields';
import { SEARCH_OUTPUTS, type SearchOutput } from './format';
import type { ProcessRef } from './process-story';
import { searchable } from './sql-fields';

export interface SearchFlags {
  db: string;
  since?: string;
  until?: string;
  where?: string;
  kind: string[];
  host: string[];
  limit: string;
  output: string;
  count: boolean;
  top?: string;
  topN: string;
  histogram?: string;
  process?: string;
  rule: string[];
  rules: string[];
  timeout?: string;
}

export type SearchMode =
  | { mode: 'events' }
  | { mode: 'count' }
  | { mode: 'top'; fields: string[]; n: number }
  | { mode: 'histogram'; bucketNs: bigint }
  | { mode: 'process'; ref: ProcessRef }
  | { mode: 'hunt'; ruleIds: string[]; ruleFiles: string[] };

export interface SearchRequest {
  dir: string;
  where?: string;
  kinds: EventKind[];
  hosts: string[];
  sinceNs?: bigint;
  untilNs?: bigint;
  limit: number;
  output: SearchOutput;
  timeoutMs?: number;
  what: SearchMode;
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_NS = { s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n };

function time(flag: string, v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  try {
    return BigInt(parseSince(v)) * 1_000_000n;
  } catch (err) {
    throw new ConfigError(`${flag}: ${(err as Error).message}`);
  }
}

/** HOST:PID or HOST:PID@START (START: the process start time in ns since boot, as search prints it). */
export function parseProcessRef(v: string): ProcessRef {
  const m = /^(.+):(\d+)(?:@(\d+))?$/.exec(v);
  if (!m) throw new ConfigError(`--process: "${v}" is not HOST:PID or HOST:PID@START`);
  return { host: m[1], pid: Number(m[2]), startNs: m[3] === undefined ? undefined : BigInt(m[3]) };
}

export function searchRequest(o: SearchFlags): SearchRequest {
  if (!(SEARCH_OUTPUTS as readonly string[]).includes(o.output)) throw new ConfigError(`--output must be ${SEARCH_OUTPUTS.join(', ')}, got "${o.output}"`);
  for (const k of o.kind) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new ConfigError(`--kind must be ${EVENT_KINDS.join(', ')}, got "${k}"`);
  if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1) throw new ConfigError(`--limit: "${o.limit}" is not a positive whole number`);
  if (o.timeout !== undefined && !/^\d+$/.test(o.timeout)) throw new ConfigError(`--timeout: "${o.timeout}" is not a whole number of seconds`);
  const sinceNs = time('--since', o.since);
  const untilNs = time('--until', o.until);
  if (sinceNs !== undefined && untilNs !== undefined && untilNs < sinceNs) throw new ConfigError('--until is before --since');
  const modes: SearchMode[] = [];
  if (o.count) modes.push({ mode: 'count' });
  if (o.top !== undefined) {
    const fields = o.top.split(',').map((s) => s.trim());
    if (fields.length < 1 || fields.length > 2)
      throw new ConfigError(`--top takes one field, or two (FIELD,FIELD: the first ranked by distinct values of the second), got "${o.top}"`);
    for (const f of fields) {
      if (!FIELDS.has(f)) throw new ConfigError(`--top: unknown field "${f}"`);
      if (!searchable(f)) throw new ConfigError(`--top: field "${f}" cannot be searched in the store`);
    }
    if (!/^\d+$/.test(o.topN) || Number(o.topN) < 1) throw new ConfigError(`--top-n: "${o.topN}" is not a positive whole number`);
    modes.push({ mode: 'top', fields, n: Number(o.topN) });
  }
  if (o.histogram !== undefined) {
    const m = DURATION.exec(o.histogram);
    if (!m || Number(m[1]) < 1) throw new ConfigError(`--histogram: "${o.histogram}" is not an interval such as 1m, 10s or 1h`);
    modes.push({ mode: 'histogram', bucketNs: BigInt(m[1]) * UNIT_NS[m[2] as 's'] });
  }
  if (o.process !== undefined) modes.push({ mode: 'process', ref: parseProcessRef(o.process) });
  if (o.rule.length || o.rules.length) modes.push({ mode: 'hunt', ruleIds: o.rule, ruleFiles: o.rules });
  if (modes.length > 1) throw new ConfigError('--count, --top, --histogram, --process and --rule/--rules exclude each other');
  return {
    dir: o.db,
    where: o.where,
    kinds: o.kind as EventKind[],
    hosts: o.host,
    sinceNs,
    untilNs,
    limit: Number(o.limit),
    output: o.output as SearchOutput,
    timeoutMs: o.timeout === undefined ? undefined : Number(o.timeout) * 1000,
    what: modes[0] ?? { mode: 'events' },
  };
}
