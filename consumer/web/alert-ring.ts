/**
 * Alerts read from Kafka, kept in memory for the alerts page when there is no store (or before the
 * store has them): a fixed number of the most recent, with counts per rule over what is kept.
 */
import type { AlertRow, AlertsResponse } from './api-types';

export interface AlertQuery {
  sinceNs: bigint;
  untilNs: bigint;
  severities: string[];
  rules: string[];
  hosts: string[];
  limit: number;
}

export interface AlertRing {
  add(a: AlertRow): void;
  query(q: AlertQuery): AlertsResponse;
  size(): number;
}

export function alertMatches(a: AlertRow, q: AlertQuery): boolean {
  const t = BigInt(a.time);
  return (
    t >= q.sinceNs &&
    t <= q.untilNs &&
    (q.severities.length === 0 || q.severities.includes(a.severity)) &&
    (q.rules.length === 0 || q.rules.includes(a.rule)) &&
    (q.hosts.length === 0 || q.hosts.includes(a.host) || q.hosts.includes(a.hostId))
  );
}

export function createAlertRing(capacity = 5000): AlertRing {
  const ring: AlertRow[] = [];
  let head = 0;
  return {
    add(a) {
      if (ring.length < capacity) ring.push(a);
      else {
        ring[head] = a;
        head = (head + 1) % capacity;
      }
    },
    query(q) {
      const hits: AlertRow[] = [];
      const byRule = new Map<string, { rule: string; severity: string; n: number }>();
      for (let i = 0; i < ring.length; i++) {
        const a = ring[(head + i) % ring.length];
        if (!alertMatches(a, q)) continue;
        hits.push(a);
        const r = byRule.get(a.rule) ?? { rule: a.rule, severity: a.severity, n: 0 };
        r.n++;
        byRule.set(a.rule, r);
      }
      hits.sort((x, y) => (BigInt(y.time) > BigInt(x.time) ? 1 : BigInt(y.time) < BigInt(x.time) ? -1 : 0));
      return { alerts: hits.slice(0, q.limit), byRule: [...byRule.values()].sort((a, b) => b.n - a.n), more: hits.length > q.limit, source: 'live' };
    },
    size: () => ring.length,
  };
}
