/**
 * Stateful rules: what a rule's `aggregate` says to count, and the windows that count it.
 *
 *   count > 20 within 10s by proc.pid
 *   distinct(net.dst_port) > 20 within 10s by proc.pid, proc.start
 *   first_seen(net.dst_ip, net.dst_port) by proc.exepath learning 10m
 *
 * Time is the events' own time (time_ns), never the wall clock: replays, tests and a lagging
 * consumer raise the same alerts as a live one. All state is keyed by host first; as events are
 * keyed by host in Kafka, each host lives in one partition, and a consumer group spread over the
 * partitions holds exactly the state one consumer would.
 */
import type { AuditEvent } from '../../schemas/types';
import { RuleError, type Locator } from './errors';
import { resolveField, type FieldDef } from './fields';
import type { EvalContext } from './process-tree';
import { parseAggregate as parseAst, SyntaxError_, type FieldRef } from './syntax';

export { parseDuration } from './syntax';

export type AggregateSpec =
  | { kind: 'count'; threshold: number; windowMs: number; by: FieldDef[] }
  | { kind: 'distinct'; of: FieldDef[]; threshold: number; windowMs: number; by: FieldDef[] }
  | { kind: 'first_seen'; of: FieldDef[]; learningMs: number; by: FieldDef[] };

/** An aggregate's text, parsed by the one parser (syntax.ts), with its fields resolved. */
export function parseAggregate(src: string, loc: Locator): AggregateSpec {
  let ast;
  try {
    ast = parseAst(src);
  } catch (err) {
    if (err instanceof SyntaxError_) throw new RuleError(err.message, loc(err.offset));
    throw err;
  }
  const field = (f: FieldRef): FieldDef => {
    const r = resolveField(f.name, f.arg);
    if ('error' in r) throw new RuleError(r.error, loc(f.at));
    if (r.def.missing) throw new RuleError(`cannot aggregate on ${r.def.name}: ${r.def.missing}`, loc(f.at));
    return r.def;
  };
  const fields = (fs: FieldRef[]): FieldDef[] => fs.map(field);
  switch (ast.kind) {
    case 'count':
      return { ...ast, by: fields(ast.by) };
    case 'distinct':
      return { ...ast, of: fields(ast.of), by: fields(ast.by) };
    case 'first_seen':
      return { ...ast, of: fields(ast.of), by: fields(ast.by) };
  }
}

/**
 * A fired aggregate: how many events (or distinct values) it covered, and the event that crossed
 * the threshold. Earlier events are not kept: holding events per key until an alert made them
 * survive into the old generation, and garbage collection then cost more than the rules.
 */
export interface AggregateHit {
  count: number;
  events: AuditEvent[];
}

export interface AggregateState {
  /** Feed an event that matched the rule's condition; a hit when the aggregate fires. */
  observe(ev: AuditEvent, ctx: EvalContext): AggregateHit | undefined;
  /** Keys held, and keys dropped at the cap (oldest first). */
  stats(): { keys: number; evicted: number };
}

type KeyFn = (ev: AuditEvent, ctx: EvalContext) => string;

interface Leaf<S> {
  state: S;
  /** The maps from the root down to this leaf's, with the key in each. */
  path: [Map<unknown, unknown>, unknown][];
  alive: boolean;
}

/**
 * Per-key state nested by host id, then each `by` value as it is: numbers stay numbers, so no key
 * string is built and hashed per event (that was most of an aggregate's cost). Bounded: past
 * maxKeys the oldest key goes, and is counted.
 */
class KeyTree<S> {
  private readonly root = new Map<unknown, unknown>();
  private fifo: Leaf<S>[] = [];
  private head = 0;
  size = 0;
  evicted = 0;

  constructor(
    private readonly gets: FieldDef['get'][],
    private readonly maxKeys: number,
  ) {}

  /** The leaf of ev's key, created with `make` when new. */
  find(ev: AuditEvent, ctx: EvalContext, make: () => S): Leaf<S> {
    let m = this.root;
    let k: unknown = ev.event.host.id;
    for (const get of this.gets) {
      let next = m.get(k) as Map<unknown, unknown> | undefined;
      if (!next) m.set(k, (next = new Map()));
      m = next;
      k = get(ev, ctx);
    }
    const found = m.get(k) as Leaf<S> | undefined;
    return found ?? this.add(ev, ctx, make());
  }

  private add(ev: AuditEvent, ctx: EvalContext, state: S): Leaf<S> {
    const path: [Map<unknown, unknown>, unknown][] = [];
    let m = this.root;
    let k: unknown = ev.event.host.id;
    for (const get of this.gets) {
      path.push([m, k]);
      m = m.get(k) as Map<unknown, unknown>;
      k = get(ev, ctx);
    }
    path.push([m, k]);
    const leaf: Leaf<S> = { state, path, alive: true };
    m.set(k, leaf);
    this.fifo.push(leaf);
    if (++this.size > this.maxKeys) {
      while (!this.fifo[this.head].alive) this.head++;
      this.delete(this.fifo[this.head++]);
      this.evicted++;
    }
    if (this.head > 1024 && (this.head * 2 > this.fifo.length || this.fifo.length > 4 * this.size)) {
      this.fifo = this.fifo.slice(this.head).filter((l) => l.alive);
      this.head = 0;
    }
    return leaf;
  }

  /** Remove a leaf, and the maps it leaves empty. */
  delete(leaf: Leaf<S>): void {
    if (!leaf.alive) return;
    leaf.alive = false;
    this.size--;
    for (let i = leaf.path.length - 1; i >= 0; i--) {
      const [m, k] = leaf.path[i];
      m.delete(k);
      if (m.size > 0) break;
    }
  }
}

/** Field values as one string: one field as it is, several joined (none: ""). */
function valueKey(fields: FieldDef[]): KeyFn {
  const gets = fields.map((f) => f.get);
  if (gets.length === 1) {
    const [g] = gets;
    return (ev, ctx) => String(g(ev, ctx));
  }
  if (gets.length === 2) {
    const [a, b] = gets;
    return (ev, ctx) => `${a(ev, ctx)}\u0000${b(ev, ctx)}`;
  }
  return (ev, ctx) => gets.map((g) => String(g(ev, ctx))).join('\u0000');
}

/** Event time in ms, as a double (exact to well under a microsecond at today's epoch). */
const msOf = (ev: AuditEvent): number => Number(ev.event.time_ns) / 1e6;

export function createAggregateState(spec: AggregateSpec, opts: { maxKeys: number }): AggregateState {
  const maxKeys = opts.maxKeys;
  const gets = spec.by.map((f) => f.get);

  if (spec.kind === 'count') {
    const tree = new KeyTree<number[]>(gets, maxKeys);
    const fresh = (): number[] => [];
    return {
      observe(ev, ctx) {
        const leaf = tree.find(ev, ctx, fresh);
        const times = leaf.state;
        const t = msOf(ev);
        times.push(t);
        while (t - times[0] > spec.windowMs) times.shift();
        if (times.length < spec.threshold) return undefined;
        tree.delete(leaf); // fire once, then count afresh
        return { count: times.length, events: [ev] };
      },
      stats: () => ({ keys: tree.size, evicted: tree.evicted }),
    };
  }

  if (spec.kind === 'distinct') {
    const value = valueKey(spec.of);
    const window = spec.windowMs;
    interface Distinct {
      /** value -> last seen (ms). */
      seen: Map<string, number>;
      prunedAt: number;
    }
    /** Drop values not seen within the window (a walk over at most `threshold` entries). */
    const prune = (s: Distinct, t: number): void => {
      s.prunedAt = t;
      for (const [v, at] of s.seen) if (t - at > window) s.seen.delete(v);
    };
    const tree = new KeyTree<Distinct>(gets, maxKeys);
    let now = 0;
    const fresh = (): Distinct => ({ seen: new Map(), prunedAt: now });
    return {
      observe(ev, ctx) {
        const t = (now = msOf(ev));
        const leaf = tree.find(ev, ctx, fresh);
        const s = leaf.state;
        const v = value(ev, ctx);
        s.seen.set(v, t); // one hash operation per event: no re-insertion to keep an order
        // Pruning walks the map: do it when the count matters (exact at the threshold) and
        // once per window otherwise, which bounds the map by the threshold.
        if (s.seen.size >= spec.threshold || t - s.prunedAt > window) prune(s, t);
        if (s.seen.size < spec.threshold) return undefined;
        tree.delete(leaf);
        return { count: s.seen.size, events: [ev] };
      },
      stats: () => ({ keys: tree.size, evicted: tree.evicted }),
    };
  }

  let evicted = 0;
  // The sets are per host already: the key is the `by` values, then the tuple.
  const key = valueKey(spec.by);
  const value = valueKey(spec.of);
  const { learningMs } = spec;
  // Per host: when its learning ends (from its first event), and what it has seen.
  const hosts = new Map<string, { learnUntil: number; seen: Set<string> }>();
  // Every key in the order it was learned, across hosts: the cap drops the oldest of all, never
  // the one a host has just learned (which would then be new again on every event).
  // Two parallel arrays, not one of pairs: no allocation per key beyond the key itself.
  let orderSets: Set<string>[] = [];
  let orderKeys: string[] = [];
  let head = 0;
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
      orderSets.push(h.seen);
      orderKeys.push(k);
      if (++keys > maxKeys) {
        orderSets[head].delete(orderKeys[head]);
        head++;
        keys--;
        evicted++;
        if (head > 1024 && head * 2 > orderKeys.length) {
          orderSets = orderSets.slice(head);
          orderKeys = orderKeys.slice(head);
          head = 0;
        }
      }
      return t < h.learnUntil ? undefined : { count: 1, events: [ev] };
    },
    stats: () => ({ keys, evicted }),
  };
}
