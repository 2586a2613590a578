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
import { ipv4Number } from '../../common/ipv4';
import type { AuditEvent } from '../../schemas/types';
import { RuleError, type Locator } from './errors';
import { resolveField, type FieldDef } from './fields';
import type { EvalContext } from './process-tree';
import { tableKey, TablePool, ValueTable } from './value-table';
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

interface Leaf<S> {
  state: S;
  /** The last key value (the slot it hangs in may hold it alone, with no map of its own). */
  last: unknown;
  /** The maps from the root down to this leaf's, with the key in each. */
  path: [Map<unknown, unknown>, unknown][];
  alive: boolean;
}

/** Map keys' equality (SameValueZero). */
const same = (a: unknown, b: unknown): boolean => a === b || (a !== a && b !== b);

/**
 * Per-key state nested by host id, then each `by` value as it is: numbers stay numbers, so no key
 * string is built and hashed per event (that was most of an aggregate's cost). The last level is
 * folded into the one above while it has one key (a pid has one start time but at pid reuse): one
 * map lookup less per event, and no map per key, whose cold memory the lookups mostly waited on.
 * Bounded: past maxKeys the oldest key goes, and is counted.
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
    /** Called with a leaf's state when the leaf goes (fired, or dropped at the cap). */
    private readonly drop?: (state: S) => void,
  ) {}

  /** The leaf of ev's key, created with `make` when new. */
  find(ev: AuditEvent, ctx: EvalContext, make: () => S): Leaf<S> {
    const gets = this.gets;
    const n = gets.length;
    let m = this.root;
    let k: unknown = ev.event.host.id;
    if (n === 0) return (m.get(k) as Leaf<S> | undefined) ?? this.add(ev, ctx, m, k, undefined, make());
    for (let i = 0; i < n - 1; i++) {
      let next = m.get(k) as Map<unknown, unknown> | undefined;
      if (!next) m.set(k, (next = new Map()));
      m = next;
      k = gets[i](ev, ctx);
    }
    const last = gets[n - 1](ev, ctx);
    const slot = m.get(k) as Leaf<S> | Map<unknown, unknown> | undefined;
    if (slot === undefined) return this.add(ev, ctx, m, k, undefined, make(), last);
    if (slot instanceof Map) return (slot.get(last) as Leaf<S> | undefined) ?? this.add(ev, ctx, m, k, slot, make(), last);
    if (same(slot.last, last)) return slot;
    // A second key under this slot: the slot becomes a map of both.
    const sub = new Map<unknown, unknown>([[slot.last, slot]]);
    m.set(k, sub);
    slot.path.push([sub, slot.last]);
    return this.add(ev, ctx, m, k, sub, make(), last);
  }

  /** A new leaf in slot (m, k), or in the slot's own map `sub` under `last`. */
  private add(ev: AuditEvent, ctx: EvalContext, m: Map<unknown, unknown>, k: unknown, sub: Map<unknown, unknown> | undefined, state: S, last?: unknown): Leaf<S> {
    const path: [Map<unknown, unknown>, unknown][] = [];
    let pm = this.root;
    let pk: unknown = ev.event.host.id;
    for (let i = 0; pm !== m; i++) {
      path.push([pm, pk]);
      pm = pm.get(pk) as Map<unknown, unknown>;
      pk = this.gets[i](ev, ctx);
    }
    path.push([m, k]);
    const leaf: Leaf<S> = { state, last, path, alive: true };
    if (sub) {
      path.push([sub, last]);
      sub.set(last, leaf);
    } else m.set(k, leaf);
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
    this.drop?.(leaf.state);
    for (let i = leaf.path.length - 1; i >= 0; i--) {
      const [m, k] = leaf.path[i];
      m.delete(k);
      if (m.size > 0) break;
    }
  }
}

/**
 * Field values as one key, equal exactly when the values are: one number field as the number, an
 * address and a port (IPv4) as one number, anything else as a string (several joined; none: "").
 * A number never equals a string in a Map, so the forms cannot collide. Numbers, not strings built
 * per event: no string to allocate, flatten and hash, and a window keeps 16 bytes per value.
 */
type ValueKey = (ev: AuditEvent, ctx: EvalContext) => number | string;

function valueKey(fields: FieldDef[]): ValueKey {
  const gets = fields.map((f) => f.get);
  if (gets.length === 1) {
    const [g] = gets;
    return (ev, ctx) => {
      const v = g(ev, ctx);
      return typeof v === 'number' ? v : String(v);
    };
  }
  if (gets.length === 2) {
    const [a, b] = gets;
    if (fields[0].type === 'ip' && fields[1].type === 'num') {
      return (ev, ctx) => {
        const ip = a(ev, ctx);
        const port = b(ev, ctx);
        const v4 = typeof ip === 'string' ? ipv4Number(ip) : -1;
        return v4 >= 0 && typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 0xffff ? v4 * 0x10000 + port : `${ip}\u0000${port}`;
      };
    }
    return (ev, ctx) => `${a(ev, ctx)}\u0000${b(ev, ctx)}`;
  }
  return (ev, ctx) => gets.map((g) => String(g(ev, ctx))).join('\u0000');
}

/** Event time in ms, as a double (exact to well under a microsecond at today's epoch). */
const msOf = (ev: AuditEvent): number => Number(ev.event.time_ns) / 1e6;

export function createAggregateState(spec: AggregateSpec, opts: { maxKeys: number }): AggregateState {
  // At least one: a key evicted as it is added would hand back a table still in use.
  const maxKeys = Math.max(1, opts.maxKeys);
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
    const pool = new TablePool();
    const tree = new KeyTree<ValueTable>(gets, maxKeys, (seen) => seen.dispose());
    let now = 0;
    const fresh = (): ValueTable => new ValueTable(now, pool);
    return {
      observe(ev, ctx) {
        const t = (now = msOf(ev));
        const leaf = tree.find(ev, ctx, fresh);
        const seen = leaf.state;
        seen.set(tableKey(value(ev, ctx)), t);
        // Pruning walks the table: do it when the count matters (exact at the threshold) and
        // once per window otherwise, which bounds the table by the threshold.
        if (seen.size >= spec.threshold || t - seen.prunedAt > window) seen.prune(t, window);
        const count = seen.size;
        if (count < spec.threshold) return undefined;
        tree.delete(leaf); // its table goes back to the pool
        return { count, events: [ev] };
      },
      stats: () => ({ keys: tree.size, evicted: tree.evicted }),
    };
  }

  let evicted = 0;
  const pool = new TablePool();
  const key = valueKey(spec.by);
  const value = valueKey(spec.of);
  const { learningMs } = spec;
  /** The tuples seen for one `by` key on one host, and where that set hangs (to drop it when empty). */
  interface Seen {
    tuples: ValueTable;
    owner: Map<number | string, Seen>;
    key: number | string;
  }
  // Per host: when its learning ends (from its first event), and per `by` key the tuples seen.
  // Nested, not one string per tuple: the tables hold the tuples' keys (value-table.ts).
  const hosts = new Map<string, { learnUntil: number; byKey: Map<number | string, Seen> }>();
  // Every tuple in the order it was learned, across hosts: the cap drops the oldest of all, never
  // the one a host has just learned (which would then be new again on every event).
  // Two parallel arrays, not one of pairs: no allocation per tuple (the keys are unboxed doubles).
  let orderSeen: Seen[] = [];
  let orderValues: number[] = [];
  let head = 0;
  let keys = 0;
  return {
    observe(ev, ctx) {
      const t = msOf(ev);
      const hostId = ev.event.host.id;
      let h = hosts.get(hostId);
      if (!h) hosts.set(hostId, (h = { learnUntil: t + learningMs, byKey: new Map() }));
      const k = key(ev, ctx);
      let seen = h.byKey.get(k);
      if (!seen) h.byKey.set(k, (seen = { tuples: new ValueTable(0, pool), owner: h.byKey, key: k }));
      const v = tableKey(value(ev, ctx));
      if (seen.tuples.has(v)) return undefined;
      seen.tuples.set(v, 0);
      orderSeen.push(seen);
      orderValues.push(v);
      if (++keys > maxKeys) {
        const old = orderSeen[head];
        old.tuples.delete(orderValues[head]);
        // Each tuple has one place in the order, so an empty set has none left: drop it.
        if (old.tuples.size === 0) {
          old.owner.delete(old.key);
          old.tuples.dispose();
        }
        head++;
        keys--;
        evicted++;
        if (head > 1024 && head * 2 > orderValues.length) {
          orderSeen = orderSeen.slice(head);
          orderValues = orderValues.slice(head);
          head = 0;
        }
      }
      return t < h.learnUntil ? undefined : { count: 1, events: [ev] };
    },
    stats: () => ({ keys, evicted }),
  };
}
