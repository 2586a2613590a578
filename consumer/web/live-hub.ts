/**
 * The live feed: every event the Kafka consumer reads goes through here to the pages that watch.
 * Each page's stream has its own filter (kinds, hosts, a condition) and gets, every tick, a batch
 * with matching rows and the counts of what arrived, matched and was left out. Nothing grows with
 * the event rate: a stream holds at most one batch of rows per tick (a uniform sample of the
 * tick's matches; the others are counted as sampled), a congested connection skips rows instead of buffering them,
 * and the hub keeps a fixed ring of recent events so a new or re-filtered page starts filled.
 */
import type { AuditEvent, EventKind } from '../../schemas/types';
import type { Compiled } from '../rules/compile';
import { createProcessTree } from '../rules/process-tree';
import type { AlertRow, LiveBatch } from './api-types';
import { eventRow } from './event-row';

export interface LiveFilter {
  kinds: ReadonlySet<EventKind>;
  /** Host ids or names; empty: every host. */
  hosts: ReadonlySet<string>;
  cond?: Compiled;
  /** False: alerts and status only (the alerts page). */
  events: boolean;
}

/** Where a stream's messages go; returns false when the connection is congested. */
export type LiveSink = (type: 'batch' | 'alert' | 'status', data: unknown) => boolean;

export interface LiveHubOptions {
  /** Milliseconds between batches. */
  tickMs?: number;
  /** Rows a stream gets per batch at most (the latest ones). */
  rowsPerTick?: number;
  /** Recent events kept for new streams. */
  recent?: number;
  maxClients: number;
}

export interface LiveHub {
  publish(ev: AuditEvent): void;
  publishAlert(a: AlertRow): void;
  /** Attach a stream; undefined when the client limit is reached. Returns the detach function. */
  attach(filter: LiveFilter, sink: LiveSink): (() => void) | undefined;
  stats(): { clients: number; published: number };
  stop(): void;
}

interface Client {
  filter: LiveFilter;
  sink: LiveSink;
  /** A uniform sample of this tick's matching events. */
  ring: AuditEvent[];
  size: number;
  matched: number;
  sampled: number;
  alerts: AlertRow[];
}

const MAX_ALERTS_PER_TICK = 50;

export function createLiveHub(opts: LiveHubOptions): LiveHub {
  const tickMs = opts.tickMs ?? 250;
  const perTick = opts.rowsPerTick ?? 60;
  const keep = opts.recent ?? 2000;
  const clients = new Set<Client>();
  // proc.cmdline and proc.pname in filters: known from the exec events seen, as in tail --where.
  const procs = createProcessTree({ maxProcesses: 65536 });
  const recent: AuditEvent[] = [];
  let recentHead = 0;
  let arrived = 0;
  let published = 0;
  let last = Date.now();

  const matches = (f: LiveFilter, ev: AuditEvent): boolean =>
    f.events && f.kinds.has(ev.kind) && (f.hosts.size === 0 || f.hosts.has(ev.event.host.id) || f.hosts.has(ev.event.host.name)) && (!f.cond || f.cond.pred(ev, procs));

  /** Reservoir sampling: every matching event of the tick has the same chance to be shown. */
  function push(c: Client, ev: AuditEvent): void {
    c.matched++;
    if (c.size < perTick) c.ring[c.size++] = ev;
    else {
      c.sampled++;
      const j = Math.floor(Math.random() * c.matched);
      if (j < perTick) c.ring[j] = ev;
    }
  }

  function flush(): void {
    const now = Date.now();
    const ms = now - last;
    last = now;
    for (const c of clients) {
      const evs = c.ring.slice(0, c.size);
      // Kinds travel in separate topics: within a batch, put them back in time order.
      evs.sort((a, b) => (a.event.time_ns < b.event.time_ns ? -1 : a.event.time_ns > b.event.time_ns ? 1 : 0));
      const rows = evs.map(eventRow);
      const batch: LiveBatch = { rows, arrived, matched: c.matched, sampled: c.sampled, ms };
      if (!c.sink('batch', batch)) {
        // The page is not reading fast enough: nothing queues up, the rows count as sampled.
        c.sink('batch', { rows: [], arrived, matched: c.matched, sampled: c.sampled + rows.length, ms } satisfies LiveBatch);
      }
      c.size = c.matched = c.sampled = 0;
      c.ring.length = 0;
      for (const a of c.alerts) c.sink('alert', a);
      c.alerts.length = 0;
    }
    arrived = 0;
  }
  const timer = setInterval(flush, tickMs);
  timer.unref();

  return {
    publish(ev) {
      procs.observe(ev);
      arrived++;
      published++;
      if (recent.length < keep) recent.push(ev);
      else {
        recent[recentHead] = ev;
        recentHead = (recentHead + 1) % keep;
      }
      for (const c of clients) if (matches(c.filter, ev)) push(c, ev);
    },
    publishAlert(a) {
      for (const c of clients) if (c.alerts.length < MAX_ALERTS_PER_TICK) c.alerts.push(a);
    },
    attach(filter, sink) {
      if (clients.size >= opts.maxClients) return undefined;
      const c: Client = { filter, sink, ring: [], size: 0, matched: 0, sampled: 0, alerts: [] };
      // Start filled: the latest recent events that match, oldest first.
      const backfill: AuditEvent[] = [];
      for (let i = recent.length - 1; i >= 0 && backfill.length < perTick; i--) {
        const ev = recent[(recentHead + i) % recent.length];
        if (matches(filter, ev)) backfill.push(ev);
      }
      if (backfill.length) sink('batch', { rows: backfill.reverse().map(eventRow), arrived: 0, matched: 0, sampled: 0, ms: 0 } satisfies LiveBatch);
      clients.add(c);
      return () => clients.delete(c);
    },
    stats: () => ({ clients: clients.size, published }),
    stop() {
      clearInterval(timer);
      clients.clear();
    },
  };
}
