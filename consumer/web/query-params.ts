/**
 * Query-string parameters of the API, checked and bounded: a bad value is a 400 naming the
 * parameter. Times are ISO 8601, a duration back from now (15m, 24h, 7d) or ms since the epoch;
 * every range is capped by --max-range and every row count by a fixed ceiling.
 */
import { parseSince } from '../core/input/since';
import { ConditionRejected, parseKinds } from './condition';
import type { EventKind } from '../../schemas/types';

export class BadRequest extends Error {
  readonly statusCode = 400;
}

export type Query = Record<string, string | string[] | undefined>;

/** One value of a parameter (the last, if repeated). */
export function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A comma-separated or repeated list parameter. */
export function list(q: Query, name: string): string[] {
  const v = q[name];
  const raw = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return raw
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s);
}

export function timeMs(name: string, v: string, now: number): number {
  if (/^\d{10,16}$/.test(v)) return Number(v);
  try {
    return parseSince(v, now);
  } catch (err) {
    throw new BadRequest(`${name}: ${(err as Error).message}`);
  }
}

export interface Range {
  sinceNs: bigint;
  untilNs: bigint;
}

/** since (default: 1h back) and until (default: now), at most maxRangeMs apart. */
export function range(q: Query, maxRangeMs: number, now = Date.now()): Range {
  const since = timeMs('since', one(q, 'since') ?? '1h', now);
  const until = one(q, 'until') === undefined ? now : timeMs('until', one(q, 'until')!, now);
  if (until < since) throw new BadRequest('until is before since');
  if (until - since > maxRangeMs) throw new BadRequest(`the range is longer than the console allows (--max-range, ${Math.round(maxRangeMs / 3_600_000)} h): narrow it`);
  return { sinceNs: BigInt(since) * 1_000_000n, untilNs: BigInt(until) * 1_000_000n + 999_999n };
}

export function count(q: Query, name: string, dflt: number, max: number): number {
  const v = one(q, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new BadRequest(`${name}: "${v}" is not a positive whole number`);
  return Math.min(Number(v), max);
}

export function kinds(q: Query): EventKind[] {
  try {
    return parseKinds(one(q, 'kinds'));
  } catch (err) {
    throw new BadRequest((err as ConditionRejected).message);
  }
}
