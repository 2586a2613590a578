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

type KeyFn = (ev: AuditEvent, ctx: ProcessLookup) => string;

/** The state key: always the host first (see above), then the `by` fields. */
function byKey(fields: FieldDef[]): KeyFn {
  const gets = fields.map((f) => f.get);
  if (gets.length === 0) return (ev) => ev.event.host.id;
  if (gets.length === 1) {
    const [g] = gets;
    return (ev, ctx) => `${ev.event.host.id}\u0000${g(ev, ctx)}`;
  }
  return (ev, ctx) => {
    let k = ev.event.host.id;
    for (const g of gets) k += `\u0000${g(ev, ctx)}`;
    return k;
  };
}

/** The counted value: one field as it is, several joined. */
function valueKey(fields: FieldDef[]): KeyFn {
  const gets = fields.map((f) => f.get);
  if (gets.length === 1) {
    const [g] = gets;
    return (ev, ctx) => String(g(ev, ctx));
  }
  return (ev, ctx) => gets.map((g) => String(g(ev, ctx))).join('\u0000');
}

/** Event time in ms, as a double (exact to well under a microsecond at today's epoch). */
const msOf = (ev: AuditEvent): number => Number(ev.event.time_ns) / 1e6;

const remember = (list: AuditEvent[], ev: AuditEvent): void => {
  list.push(ev);
  if (list.length > KEEP) list.shift();
};

export function createAggregateState(spec: AggregateSpec, opts: { maxKeys: number; learningMs?: number }): AggregateState {
  const maxKeys = opts.maxKeys;
  let evicted = 0;
  const key = byKey(spec.by);

  /** A new key; past the cap the oldest key goes (Maps iterate in insertion order). */
  function insert<V>(map: Map<string, V>, k: string, value: V): void {
    map.set(k, value);
    if (map.size > maxKeys) {
      map.delete(map.keys().next().value as string);
      evicted++;
    }
  }

  if (spec.kind === 'count') {
    const state = new Map<string, { times: number[]; events: AuditEvent[] }>();
    return {
      observe(ev, ctx) {
        const k = key(ev, ctx);
        const t = msOf(ev);
        let s = state.get(k);
        if (!s) insert(state, k, (s = { times: [], events: [] }));
        const { times } = s;
        times.push(t);
        while (t - times[0] > spec.windowMs) times.shift();
        remember(s.events, ev);
        if (times.length < spec.threshold) return undefined;
        state.delete(k); // fire once, then count afresh
        return { count: times.length, events: s.events };
      },
      stats: () => ({ keys: state.size, evicted }),
    };
  }

  if (spec.kind === 'distinct') {
    const value = valueKey(spec.of);
    const window = spec.windowMs;
    interface Distinct {
      /** value -> last seen (ms); insertion order = recency, as each sighting re-inserts. */
      seen: Map<string, number>;
      prunedAt: number;
      events: AuditEvent[];
    }
    /** Drop values not seen within the window: the oldest come first. */
    const prune = (s: Distinct, t: number): void => {
      s.prunedAt = t;
      for (const [v, at] of s.seen) {
        if (t - at <= window) break;
        s.seen.delete(v);
      }
    };
    const state = new Map<string, Distinct>();
    return {
      observe(ev, ctx) {
        const k = key(ev, ctx);
        const t = msOf(ev);
        let s = state.get(k);
        if (!s) insert(state, k, (s = { seen: new Map(), prunedAt: t, events: [] }));
        const v = value(ev, ctx);
        s.seen.delete(v);
        s.seen.set(v, t);
        remember(s.events, ev);
        // Pruning walks the map: do it when the count matters (exact at the threshold) and
        // once per window otherwise, which bounds the map by the threshold.
        if (s.seen.size >= spec.threshold || t - s.prunedAt > window) prune(s, t);
        if (s.seen.size < spec.threshold) return undefined;
        state.delete(k);
        return { count: s.seen.size, events: s.events };
      },
      stats: () => ({ keys: state.size, evicted }),
    };
  }

  const value = valueKey(spec.of);
  const learningMs = opts.learningMs ?? spec.learningMs;
  // Per host: when its learning ends (from its first event), and what it has seen.
  const hosts = new Map<string, { learnUntil: number; seen: Set<string> }>();
  let keys = 0;
  return {
    observe(ev, ctx) {
      const t = msOf(ev);
      const hostId = ev.event.host.id;
      let h = hosts.get(hostId);
      if (!h) hosts.set(hostId, (h = { learnUntil: t + learningMs, seen: new Set() }));
      const k = `${key(ev, ctx)}\u0001${value(ev, ctx)}`;
      if (h.seen.has(k)) return undefined;
      h.seen.add(k);
      if (++keys > maxKeys) {
        h.seen.delete(h.seen.values().next().value as string);
        keys--;
        evicted++;
      }
      return t < h.learnUntil ? undefined : { count: 1, events: [ev] };
    },
    stats: () => ({ keys, evicted }),
  };
}
