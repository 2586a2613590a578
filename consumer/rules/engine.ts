/**
 * The detection engine: runs the enabled rules of an event's kind on each event, feeds the
 * stateful ones their windows, and returns the alerts. Pure and synchronous: no I/O, no clock
 * (aggregates use the events' times), so tests drive it with made-up events.
 */
import { EVENT_KINDS, type AuditEvent, type EventKind, type Host } from '../../schemas/types';
import { createAggregateState, type AggregateState } from './aggregate';
import { createProcessLookup } from './process-lookup';
import type { Rule, Severity } from './loader';

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
  /** Processes remembered for proc.cmdline and proc.pname. */
  maxProcesses?: number;
}

export interface EngineStats {
  events: number;
  alerts: number;
  byRule: Record<string, number>;
  aggregates: Record<string, { keys: number; evicted: number }>;
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
  const byKind = new Map<EventKind, Active[]>(EVENT_KINDS.map((k) => [k, []]));
  const maxKeys = opts.maxKeys ?? 100_000;
  const stats: EngineStats = { events: 0, alerts: 0, byRule: {}, aggregates: {} };
  const all: Active[] = [];
  for (const rule of opts.rules) {
    if (!rule.enabled) continue;
    const active: Active = { rule, state: rule.aggregate && createAggregateState(rule.aggregate, { maxKeys }) };
    all.push(active);
    stats.byRule[rule.id] = 0;
    for (const k of rule.kinds) byKind.get(k)!.push(active);
  }
  const procs = createProcessLookup(opts.maxProcesses ?? 65536);

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
      for (const a of byKind.get(ev.kind)!) {
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
      return structuredClone(stats);
    },
  };
}
