/**
 * Retro-hunt: the stateless rules of a pack run over stored history, each rule's condition compiled
 * to SQL like --where, giving the alerts the rules would have raised. A test the SQL cannot decide
 * (an ancestor's name) is widened, and the events found are re-checked by the engine's predicate
 * over the stored execs. Aggregates (counts, distinct, first_seen) need the stream in order and
 * rule state; they are refused with their place in the file.
 */
import { ConfigError } from '../../common/errors';
import type { Ancestor, AuditEvent } from '../../schemas/types';
import type { CompileEnv } from '../rules/compile';
import type { Alert } from '../rules/engine';
import { RuleError } from '../rules/errors';
import { storedContext, type EvalContext, type ProcRecord } from '../rules/process-tree';
import type { Rule } from '../rules/loader';
import { dayOf } from '../store/day-db';
import { kindsOf, normalize, relax, type NCond } from './normalize';
import type { Budget, Search } from './search';
import { searchable } from './sql-fields';
import type { Filter } from './where';

/** The rules to hunt with: the ids asked for (each must exist and be stateless), else every enabled stateless rule. */
export function huntRules(rules: Rule[], ids: string[]): Rule[] {
  if (ids.length === 0) return rules.filter((r) => r.enabled && !r.aggregate);
  return ids.map((id) => {
    const r = rules.find((x) => x.id === id);
    if (!r) throw new ConfigError(`--rule: no rule "${id}"`);
    if (r.aggregate) throw new RuleError(`rule "${id}" has an aggregate (stateful): retro-hunt runs stateless rules only`, r.source);
    return r;
  });
}

/** Processes' last execs at an event's time from the store, for alert messages and for the conditions the SQL could not decide (ancestors). */
function storeLookup(search: Search): EvalContext {
  const SQL = `SELECT p.type, p.start_ns, p.args, (SELECT s FROM strings WHERE id = p.cwd) AS cwd, (SELECT s FROM strings WHERE id = p.comm) AS comm,
       (SELECT s FROM strings WHERE id = p.exe) AS exe, (SELECT s FROM strings WHERE id = p.ext) AS ext, p.ppid, p.pid
     FROM proc_events p WHERE p.host IN (SELECT id FROM hosts WHERE host_id = ? AND boot_id = ?) AND p.pid = ? AND p.time_ns <= ?
     AND p.type IN (SELECT id FROM strings WHERE s IN ('exec', 'exit')) ORDER BY p.time_ns DESC, p.id DESC LIMIT 1`;
  const reader = (ev: AuditEvent) =>
    search
      .readers({ cond: { op: 'const', value: true }, kinds: [], sinceNs: ev.event.time_ns, untilNs: ev.event.time_ns, hosts: [] })
      .find((r) => r.day === dayOf(ev.event.time_ns));
  // An ancestor test walks the chain once per test: the answers are kept for the hunt (bounded by its events' chains).
  const seen = new Map<string, ProcRecord | undefined>();
  const exec = (ev: AuditEvent, pid: number): ProcRecord | undefined => {
    const key = `${ev.event.host.id}\u0000${ev.event.host.boot_id}\u0000${pid}\u0000${ev.event.time_ns}`;
    if (seen.has(key)) return seen.get(key);
    const row = reader(ev)?.db.prepare(SQL).get(ev.event.host.id, ev.event.host.boot_id, pid, ev.event.time_ns) as Record<string, unknown> | undefined;
    // No row, or the last of exec and exit was an exit: not known.
    const rec =
      !row || row.args === null
        ? undefined
        : {
            pid,
            ppid: Number(row.ppid),
            start: BigInt(row.start_ns as number | bigint),
            comm: String(row.comm),
            exepath: String(row.exe),
            argv: JSON.parse(String(row.args)) as string[],
            cwd: String(row.cwd ?? ''),
            ancestors: row.ext ? ((JSON.parse(String(row.ext)) as { ancestors?: Ancestor[] }).ancestors ?? []) : [],
          };
    seen.set(key, rec);
    return rec;
  };
  return storedContext({
    self(ev) {
      const rec = exec(ev, ev.event.process.pid);
      return rec && rec.start === ev.event.process.start_time_ns ? rec : undefined;
    },
    byPid: exec,
  });
}

export function retroHunt(search: Search, rules: Rule[], env: CompileEnv, base: Filter, limit: number, b?: Budget): { alerts: Alert[]; more: boolean } {
  const lookup = storeLookup(search);
  const conds = rules.map((r) => relax(normalize(r.condition, env, r.conditionLoc), searchable));
  const alerts: Alert[] = [];
  let more = false;
  rules.forEach((rule, i) => {
    const { cond: rc, exact } = conds[i];
    const cond: NCond = { op: 'and', args: [base.cond, rc] };
    const f: Filter = { ...base, cond, kinds: base.kinds.filter((k) => kindsOf(rc).includes(k)) };
    const found = search.events(f, limit, b);
    more ||= found.more;
    for (const { ev } of found.events) {
      // A widened condition found a superset: the engine's predicate, over the stored process tree, decides.
      if (!exact && !rule.pred(ev, lookup)) continue;
      alerts.push(huntAlert(rule, ev, lookup));
    }
  });
  return firstAlerts(alerts, limit, more);
}

/** The alert a retro-hunt raises on one stored event (both backends). */
export function huntAlert(rule: Rule, ev: AuditEvent, lookup: EvalContext): Alert {
  return {
    time_ns: ev.event.time_ns,
    rule_id: rule.id,
    severity: rule.severity,
    description: rule.description,
    message: rule.output(ev, lookup),
    tags: rule.tags,
    host: ev.event.host,
    count: 1,
    events: [ev],
  };
}

/** The earliest `limit` alerts in time order; `more` when some were left out (or already known to be). */
export function firstAlerts(alerts: Alert[], limit: number, more: boolean): { alerts: Alert[]; more: boolean } {
  alerts.sort((x, y) => (x.time_ns < y.time_ns ? -1 : x.time_ns > y.time_ns ? 1 : 0));
  if (alerts.length > limit) {
    alerts.length = limit;
    more = true;
  }
  return { alerts, more };
}
