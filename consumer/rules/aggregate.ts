/**
 * Stateful rules: what a rule's `aggregate` says to count, and the windows that count it.
 *
 *   count > 20 within 10s by proc.pid
 *   distinct(net.dst_port) > 20 within 10s by proc.pid, proc.start
 *   first_seen(net.dst_ip, net.dst_port) by proc.exe learning 10m
 *
 * Time is the events' own time (time_ns), never the wall clock: replays, tests and a lagging
 * consumer raise the same alerts as a live one. All state is keyed by host first; as events are
 * keyed by host in Kafka, each host lives in one partition, and a consumer group spread over the
 * partitions holds exactly the state one consumer would.
 */
import type { AuditEvent } from '../../schemas/types';
import { FIELDS, type FieldDef, type ProcessLookup } from './fields';
import { RuleError, type Locator } from './errors';
import { tokenize, type Tok } from './syntax';

export type AggregateSpec =
  | { kind: 'count'; threshold: number; windowMs: number; by: FieldDef[] }
  | { kind: 'distinct'; of: FieldDef[]; threshold: number; windowMs: number; by: FieldDef[] }
  | { kind: 'first_seen'; of: FieldDef[]; learningMs: number; by: FieldDef[] };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(s: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

export function parseAggregate(src: string, loc: Locator): AggregateSpec {
  let toks: Tok[];
  try {
    toks = tokenize(src);
  } catch (err) {
    throw new RuleError((err as Error).message, loc((err as { offset: number }).offset));
  }
  let p = 0;
  const fail = (msg: string, tok: Tok = toks[p]): never => {
    throw new RuleError(msg, loc(tok.at));
  };
  const word = (): string => {
    const t = toks[p];
    if (t.t !== 'word') fail(`expected a word, found ${t.t === 'end' ? 'the end' : `"${'v' in t ? t.v : t.t}"`}`);
    p++;
    return (t as { v: string }).v;
  };
  const expect = (v: string): void => {
    const t = toks[p];
    if ((t.t === 'word' || t.t === 'op') && t.v === v) p++;
    else if (t.t === v) p++;
    else fail(`expected "${v}"`);
  };
  const field = (): FieldDef => {
    const t = toks[p];
    const name = word();
    const f = FIELDS.get(name);
    if (!f) fail(`unknown field "${name}"`, t);
    return f!;
  };
  const fieldList = (): FieldDef[] => {
    const out = [field()];
    while (toks[p].t === ',') {
      p++;
      out.push(field());
    }
    return out;
  };
  const duration = (): number => {
    const t = toks[p];
    const ms = parseDuration(word());
    if (ms === undefined || ms <= 0) fail('expected a duration such as 500ms, 10s, 5m, 1h or 1d', t);
    return ms!;
  };
  const threshold = (): number => {
    const t = toks[p];
    if (t.t !== 'op' || (t.v !== '>' && t.v !== '>=')) fail('expected ">" or ">=" and a number');
    p++;
    const nTok = toks[p];
    const n = word();
    if (!/^\d+$/.test(n)) fail(`expected a whole number, found "${n}"`, nTok);
    return (t as { v: string }).v === '>' ? Number(n) + 1 : Number(n);
  };
  const by = (): FieldDef[] => {
    if (toks[p].t === 'word' && (toks[p] as { v: string }).v === 'by') {
      p++;
      return fieldList();
    }
    return [];
  };

  const head = toks[p];
  const kind = word();
  let spec: AggregateSpec;
  if (kind === 'count') {
    const n = threshold();
    expect('within');
    spec = { kind: 'count', threshold: n, windowMs: duration(), by: by() };
  } else if (kind === 'distinct' || kind === 'first_seen') {
    expect('(');
    const of = fieldList();
    expect(')');
    if (kind === 'distinct') {
      const n = threshold();
      expect('within');
      spec = { kind, of, threshold: n, windowMs: duration(), by: by() };
    } else {
      const scope = by();
      expect('learning');
      spec = { kind, of, learningMs: duration(), by: scope };
    }
  } else {
    return fail(`an aggregate starts with count, distinct(...) or first_seen(...), not "${kind}"`, head);
  }
  if (toks[p].t !== 'end') fail('unexpected text after the aggregate');
  return spec;
}

/** A fired aggregate: how many events it covered and the last few of them. */
export interface AggregateHit {
  count: number;
  events: AuditEvent[];
}

export interface AggregateState {
  /** Feed an event that matched the rule's condition; a hit when the aggregate fires. */
  observe(ev: AuditEvent, ctx: ProcessLookup): AggregateHit | undefined;
  /** Keys held, and keys dropped at the cap (oldest first). */
  stats(): { keys: number; evicted: number };
}

/** Events kept per key to show in an alert. */
const KEEP = 3;

function keyOf(ev: AuditEvent, fields: FieldDef[], ctx: ProcessLookup): string {
  let k = ev.event.host.id;
  for (const f of fields) k += `\u0000${String(f.get(ev, ctx))}`;
  return k;
}

/** Event time in ms (precise enough for windows of milliseconds and up). */
const msOf = (ev: AuditEvent): number => Number(ev.event.time_ns / 1_000_000n);

export function createAggregateState(spec: AggregateSpec, opts: { maxKeys: number; learningMs?: number }): AggregateState {
  const maxKeys = opts.maxKeys;
  let evicted = 0;

  /** Insert as newest; past the cap drop the oldest key (Maps iterate in insertion order). */
  function touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > maxKeys) {
      map.delete(map.keys().next().value as string);
      evicted++;
    }
  }

  const remember = (list: AuditEvent[], ev: AuditEvent): void => {
    list.push(ev);
    if (list.length > KEEP) list.shift();
  };

  if (spec.kind === 'count') {
    const state = new Map<string, { times: number[]; events: AuditEvent[] }>();
    return {
      observe(ev, ctx) {
        const key = keyOf(ev, spec.by, ctx);
        const t = msOf(ev);
        const s = state.get(key) ?? { times: [], events: [] };
        s.times.push(t);
        while (s.times.length && t - s.times[0] > spec.windowMs) s.times.shift();
        remember(s.events, ev);
        if (s.times.length >= spec.threshold) {
          state.delete(key); // fire once, then count afresh
          return { count: s.times.length, events: s.events };
        }
        touch(state, key, s);
        return undefined;
      },
      stats: () => ({ keys: state.size, evicted }),
    };
  }
  if (spec.kind === 'distinct') {
    const state = new Map<string, { seen: Map<string, number>; events: AuditEvent[] }>();
    return {
      observe(ev, ctx) {
        const key = keyOf(ev, spec.by, ctx);
        const value = keyOf(ev, spec.of, ctx);
        const t = msOf(ev);
        const s = state.get(key) ?? { seen: new Map<string, number>(), events: [] };
        s.seen.delete(value);
        s.seen.set(value, t); // most recent last
        for (const [v, seenAt] of s.seen) {
          if (t - seenAt <= spec.windowMs) break;
          s.seen.delete(v);
        }
        if (s.seen.size > 4 * spec.threshold) s.seen.delete(s.seen.keys().next().value as string);
        remember(s.events, ev);
        if (s.seen.size >= spec.threshold) {
          state.delete(key);
          return { count: s.seen.size, events: s.events };
        }
        touch(state, key, s);
        return undefined;
      },
      stats: () => ({ keys: state.size, evicted }),
    };
  }
  const learningMs = opts.learningMs ?? spec.learningMs;
  // Per host: when its learning ends (from its first event), and what it has seen.
  const hosts = new Map<string, { learnUntil: number; seen: Map<string, true> }>();
  let keys = 0;
  return {
    observe(ev, ctx) {
      const t = msOf(ev);
      const hostId = ev.event.host.id;
      let h = hosts.get(hostId);
      if (!h) {
        h = { learnUntil: t + learningMs, seen: new Map() };
        hosts.set(hostId, h);
      }
      const key = `${keyOf(ev, spec.by, ctx)}\u0001${keyOf(ev, spec.of, ctx)}`;
      if (h.seen.has(key)) return undefined;
      h.seen.set(key, true);
      keys++;
      if (keys > maxKeys) {
        h.seen.delete(h.seen.keys().next().value as string);
        keys--;
        evicted++;
      }
      return t < h.learnUntil ? undefined : { count: 1, events: [ev] };
    },
    stats: () => ({ keys, evicted }),
  };
}
