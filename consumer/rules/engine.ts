/**
 * The detection engine: runs the enabled rules that can match an event's type on each event,
 * feeds the stateful ones their windows, and returns the alerts. Pure and synchronous: no I/O, no
 * clock (aggregates use the events' times), so tests drive it with made-up events. Domain names
 * for fd.sip.name come through `names`, resolved elsewhere (dns.ts).
 */
import type { AuditEvent, EventKind, Host } from '../../schemas/types';
import { createAggregateState, type AggregateState } from './aggregate';
import { internalType, typeName } from './event-types';
import type { Rule } from './compiler';
import { createProcessTree, type NameLookup } from './process-tree';
import type { Severity } from './severity';

export interface Alert {
  time_ns: bigint;
  rule_id: string;
  severity: Severity;
  description: string;
  message: string;
  tags: string[];
  host: Host;
  /** Events the alert covers: 1, or the count/distinct values of an aggregate. */
  count: number;
  /** The triggering event; for an aggregate, the one that crossed the threshold. */
  events: AuditEvent[];
}

export interface EngineOptions {
  rules: Rule[];
  /** Keys (processes, hosts, tuples) each stateful rule may hold before dropping the oldest. */
  maxKeys?: number;
  /** Processes remembered for command lines and ancestry. */
  maxProcesses?: number;
  names?: NameLookup;
}

export interface EngineStats {
  events: number;
  alerts: number;
  byRule: Record<string, number>;
  aggregates: Record<string, { keys: number; evicted: number }>;
  processes: number;
}

export interface Engine {
  /** Alerts raised by this event (usually none: the shared empty array). */
  process(ev: AuditEvent): readonly Alert[];
  stats(): EngineStats;
}

interface Active {
  rule: Rule;
  state?: AggregateState;
}

const NONE: readonly Alert[] = Object.freeze([]);

export function createEngine(opts: EngineOptions): Engine {
  const maxKeys = opts.maxKeys ?? 100_000;
  const stats: EngineStats = { events: 0, alerts: 0, byRule: {}, aggregates: {}, processes: 0 };
  const all: Active[] = [];
  for (const rule of opts.rules) {
    if (!rule.enabled) continue;
    all.push({ rule, state: rule.aggregate && createAggregateState(rule.aggregate, { maxKeys }) });
    stats.byRule[rule.id] = 0;
  }
  // The rules to run per event type, worked out at the first event of each type. Types are found
  // by comparing strings, not through a Map: a Map hashes the freshly decoded string of every event.
  const byKind: Record<EventKind, { type: string; list: Active[] }[]> = { file: [], net: [], process: [] };
  const rulesFor = (ev: AuditEvent): Active[] => {
    const type = internalType(ev);
    const known = byKind[ev.kind];
    for (let i = 0; i < known.length; i++) if (known[i].type === type) return known[i].list;
    const name = typeName(ev);
    const list = all.filter((a) => a.rule.kinds.has(ev.kind) && (!a.rule.types || a.rule.types.has(name)));
    known.push({ type, list });
    return list;
  };
  const procs = createProcessTree({ maxProcesses: opts.maxProcesses ?? 65536, names: opts.names });

  function alertOf(rule: Rule, ev: AuditEvent, count: number, events: AuditEvent[]): Alert {
    stats.alerts++;
    stats.byRule[rule.id]++;
    return {
      time_ns: ev.event.time_ns,
      rule_id: rule.id,
      severity: rule.severity,
      description: rule.description,
      message: rule.output(ev, procs),
      tags: rule.tags,
      host: ev.event.host,
      count,
      events,
    };
  }

  return {
    process(ev) {
      stats.events++;
      procs.observe(ev);
      let out: Alert[] | undefined;
      for (const a of rulesFor(ev)) {
        if (!a.rule.pred(ev, procs)) continue;
        let alert: Alert | undefined;
        if (!a.state) alert = alertOf(a.rule, ev, 1, [ev]);
        else {
          const hit = a.state.observe(ev, procs);
          if (hit) alert = alertOf(a.rule, ev, hit.count, hit.events);
        }
        if (alert) (out ??= []).push(alert);
      }
      return out ?? NONE;
    },
    stats() {
      for (const a of all) if (a.state) stats.aggregates[a.rule.id] = a.state.stats();
      stats.processes = procs.size();
      return structuredClone(stats);
    },
  };
}
