/**
 * The hosts page's table: per host, the last event seen, event rates by kind as they arrive from
 * Kafka, and the producer's own accounting from the stats topic (kernel drops, delivery losses),
 * so a silent or lossy agent stands out. Bounded: rates are six 10-second buckets per kind, and
 * at most `maxHosts` hosts are kept (the longest silent is forgotten first).
 */
import type { AuditEvent, EventKind, StatsEvent } from '../../schemas/types';
import type { HostRow, Kind } from './api-types';

const BUCKET_MS = 10_000;
const BUCKETS = 6;
const KINDS: EventKind[] = ['file', 'net', 'process'];

interface HostState {
  id: string;
  name: string;
  lastEventNs?: bigint;
  /** Wall time (ms) of the last event or stats seen, for eviction. */
  touched: number;
  buckets: Record<Kind, Float64Array>;
  /** Bucket number (ms / BUCKET_MS) of each slot. */
  slots: Float64Array;
  stats?: StatsEvent;
  prev?: StatsEvent;
}

export interface HostTable {
  observe(ev: AuditEvent): void;
  observeStats(s: StatsEvent): void;
  /** The last event time the store holds for a host (the console may have started after it). */
  seedLastEvent(id: string, name: string, ns: bigint): void;
  rows(): HostRow[];
}

const n = (v: bigint): number => Number(v);

function kernelTotals(s: StatsEvent): NonNullable<HostRow['kernel']> {
  const t = { emitted: 0, ringFull: 0, stashFull: 0, truncated: 0, filtered: 0 };
  for (const k of s.kernel) {
    t.emitted += n(k.emitted);
    t.ringFull += n(k.ring_full);
    t.stashFull += n(k.stash_full);
    t.truncated += n(k.truncated);
    t.filtered += n(k.filtered);
  }
  return t;
}

function deliveryTotals(s: StatsEvent): NonNullable<HostRow['delivery']> {
  return {
    sent: n(s.sent),
    lost: n(s.lost),
    queueDrops: n(s.queue_drops),
    spoolDrops: n(s.spool_drops),
    rejected: n(s.rejected),
    queued: n(s.queued),
    spoolBytes: n(s.spool_bytes),
  };
}

export function createHostTable(opts: { maxHosts?: number; now?: () => number } = {}): HostTable {
  const max = opts.maxHosts ?? 10_000;
  const now = opts.now ?? Date.now;
  const hosts = new Map<string, HostState>();

  function get(id: string, name: string): HostState {
    let h = hosts.get(id);
    if (!h) {
      if (hosts.size >= max) {
        let oldest: HostState | undefined;
        for (const x of hosts.values()) if (!oldest || x.touched < oldest.touched) oldest = x;
        hosts.delete(oldest!.id);
      }
      h = {
        id,
        name,
        touched: now(),
        slots: new Float64Array(BUCKETS).fill(-1),
        buckets: { file: new Float64Array(BUCKETS), net: new Float64Array(BUCKETS), process: new Float64Array(BUCKETS) },
      };
      hosts.set(id, h);
    }
    if (name) h.name = name;
    return h;
  }

  return {
    observe(ev) {
      const e = ev.event;
      const h = get(e.host.id, e.host.name);
      const t = now();
      h.touched = t;
      if (h.lastEventNs === undefined || e.time_ns > h.lastEventNs) h.lastEventNs = e.time_ns;
      const b = Math.floor(t / BUCKET_MS);
      const i = b % BUCKETS;
      if (h.slots[i] !== b) {
        h.slots[i] = b;
        for (const k of KINDS) h.buckets[k][i] = 0;
      }
      h.buckets[ev.kind][i]++;
    },
    observeStats(s) {
      const h = get(s.host.id, s.host.name);
      h.touched = Math.max(h.touched, Number(s.time_ns / 1_000_000n));
      // Stats arrive in order per host (one partition); a replayed older one is ignored.
      if (h.stats && s.time_ns <= h.stats.time_ns) return;
      // A new producer (restart) starts its counters from zero: its first stats has no predecessor.
      h.prev = h.stats && h.stats.started_ns === s.started_ns ? h.stats : undefined;
      h.stats = s;
    },
    seedLastEvent(id, name, ns) {
      const h = get(id, name);
      if (h.lastEventNs === undefined || ns > h.lastEventNs) h.lastEventNs = ns;
    },
    rows() {
      const t = now();
      const b = Math.floor(t / BUCKET_MS);
      const out: HostRow[] = [];
      for (const h of hosts.values()) {
        const rates = { file: 0, net: 0, process: 0 } as Record<Kind, number>;
        for (const k of KINDS) {
          let sum = 0;
          for (let i = 0; i < BUCKETS; i++) if (h.slots[i] > b - BUCKETS && h.slots[i] <= b) sum += h.buckets[k][i];
          rates[k] = Math.round((sum / ((BUCKETS - 1) * BUCKET_MS + (t % BUCKET_MS))) * 1000 * 10) / 10;
        }
        const row: HostRow = { host: h.name, hostId: h.id, rates, status: 'ok', lastEvent: h.lastEventNs?.toString() };
        const s = h.stats;
        let intervalS: number | undefined;
        if (s) {
          row.lastStats = s.time_ns.toString();
          row.kernel = kernelTotals(s);
          row.delivery = deliveryTotals(s);
          row.final = s.final;
          if (h.prev) {
            intervalS = Number(s.time_ns - h.prev.time_ns) / 1e9;
            row.statsIntervalS = Math.round(intervalS * 10) / 10;
            const k0 = kernelTotals(h.prev);
            const d0 = deliveryTotals(h.prev);
            row.recentDrops = {
              kernel: row.kernel.ringFull - k0.ringFull + (row.kernel.stashFull - k0.stashFull),
              delivery: row.delivery.lost - d0.lost,
            };
          }
        }
        const eventAgeMs = h.lastEventNs === undefined ? Infinity : t - Number(h.lastEventNs / 1_000_000n);
        const statsAgeMs = s ? t - Number(s.time_ns / 1_000_000n) : Infinity;
        const statsLate = statsAgeMs > Math.max(3 * (intervalS ?? 10) * 1000, 30_000);
        if (s?.final) row.status = 'stopped';
        else if (statsLate && eventAgeMs > 60_000) row.status = 'silent';
        else if (row.recentDrops && row.recentDrops.kernel + row.recentDrops.delivery > 0) row.status = 'lossy';
        out.push(row);
      }
      return out.sort((a, b2) => (a.host < b2.host ? -1 : a.host > b2.host ? 1 : 0));
    },
  };
}
