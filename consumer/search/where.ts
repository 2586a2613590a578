/**
 * A search's filter: the condition (rules' language, default pack's macros and lists), the time
 * window, hosts and kinds, compiled once; and the SQL it becomes for one kind's table of one day.
 */
import { EVENT_KINDS, type EventKind } from '../../schemas/types';
import { ConfigError } from '../../common/errors';
import type { CompileEnv } from '../rules/compile';
import type { Locator } from '../rules/errors';
import { compileExpression } from '../rules/loader';
import { parseCondition, type Node } from '../rules/syntax';
import type { DayReader } from './day-reader';
import { fieldsOf, forKind, kindsOf, normalize, unsupported, type NCond } from './normalize';
import { toSql, type IdLookup } from './sql';
import { notSearchableReason, searchable } from './sql-fields';
import { BLOCK, BLOCK_INDEXED, TABLES } from '../store/schema';

export interface Filter {
  cond: NCond;
  kinds: EventKind[];
  sinceNs: bigint;
  untilNs: bigint;
  /** Host ids or names; empty: every host. */
  hosts: string[];
}

export interface FilterOptions {
  where?: string;
  kinds?: EventKind[];
  sinceNs?: bigint;
  untilNs?: bigint;
  hosts?: string[];
}

const MAX_NS = 2n ** 63n - 1n;

/** Check that the store can evaluate every field of a condition (else a RuleError naming it, exit 2). */
export function checkSearchable(cond: NCond): void {
  for (const t of fieldsOf(cond)) if (!searchable(t.field)) throw unsupported(t, notSearchableReason(t.field));
}

/** A condition's AST (parsed and checked by the rule compiler first: same errors as tail --where) in normal form. */
export function normalizeWhere(where: string, env: CompileEnv, what = '--where'): NCond {
  compileExpression(where, env, what);
  const loc: Locator = (offset) => ({ file: what, line: 1, col: offset + 1 });
  const cond = normalize(parseCondition(where) as Node, env, loc);
  checkSearchable(cond);
  return cond;
}

export function makeFilter(o: FilterOptions, env: CompileEnv): Filter {
  const cond: NCond = o.where === undefined ? { op: 'const', value: true } : normalizeWhere(o.where, env);
  let kinds = (o.kinds?.length ? o.kinds : [...EVENT_KINDS]).filter((k) => kindsOf(cond).includes(k));
  if (o.where !== undefined && kinds.length === 0) throw new ConfigError(`--where "${o.where}" can never match an event of the selected kinds`);
  kinds = kinds.filter((k) => EVENT_KINDS.includes(k));
  return { cond, kinds, sinceNs: o.sinceNs ?? 0n, untilNs: o.untilNs ?? MAX_NS, hosts: o.hosts ?? [] };
}

/** FROM and WHERE for one kind's table of one day; undefined when nothing there can match. */
export function tableQuery(r: DayReader, f: Filter, kind: EventKind, cond: NCond = f.cond): { from: string; where: string; params: unknown[] } | undefined {
  const c = forKind(cond, kind);
  if (c.op === 'const' && !c.value) return undefined;
  if (f.untilNs < r.startNs || f.sinceNs >= r.endNs) return undefined;
  const params: unknown[] = [];
  const parts: string[] = [];
  const ids = (sql: string, ps: unknown[]): number[] =>
    r.db
      .prepare(sql)
      .pluck()
      .all(...ps) as number[];
  let ranges: [bigint, bigint][] | undefined;
  if (f.sinceNs > r.startNs || f.untilNs < r.endNs - 1n) {
    ranges = r.idRanges(kind, f.sinceNs, f.untilNs);
    if (ranges && ranges.length === 0) return undefined;
    if (ranges) {
      parts.push(`(${ranges.map(() => 'e.id BETWEEN ? AND ?').join(' OR ')})`);
      for (const [a, b] of ranges) params.push(a, b);
    }
    parts.push('e.time_ns BETWEEN ? AND ?');
    params.push(f.sinceNs, f.untilNs);
  }
  const ranged = ranges !== undefined;
  const blocks = r.blocks(kind, ranges);
  if (blocks === '') return undefined; // no rows
  if (f.hosts.length) {
    const marks = f.hosts.map(() => '?').join(', ');
    const hostIds = ids(`SELECT id FROM hosts WHERE host_id IN (${marks}) OR name IN (${marks})`, [...f.hosts, ...f.hosts]);
    if (hostIds.length === 0) return undefined;
    // Within a time window the id ranges drive the scan: a host has a large share of every hour.
    const test = `${ranged ? '+' : ''}e.host IN (${hostIds.map((id) => Math.trunc(Number(id))).join(', ')})`;
    parts.push(!ranged && BLOCK_INDEXED[kind].includes('e.host') ? `(${BLOCK} IN (${blocks}) AND ${test})` : test);
  }
  const lookup: IdLookup = { ids, ranged, blocks };
  if (!(c.op === 'const' && c.value)) parts.push(toSql(c, kind, params, lookup).sql);
  return { from: `${TABLES[kind]} e`, where: parts.length ? parts.join(' AND ') : '1', params };
}
