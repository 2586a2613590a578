/**
 * Retro-hunt: the stateless rules of a pack run over stored history, each rule's condition compiled
 * to SQL like --where, giving the alerts the rules would have raised. Aggregates (counts, distinct,
 * first_seen) need the stream in order and rule state; they are refused with their place in the file.
 */
import { ConfigError } from '../../common/errors';
import type { AuditEvent } from '../../schemas/types';
import type { CompileEnv } from '../rules/compile';
import type { Alert } from '../rules/engine';
import { RuleError } from '../rules/errors';
import type { ProcessLookup } from '../rules/fields';
import type { Rule } from '../rules/loader';
import { dayOf } from '../store/day-db';
import { kindsOf, normalize, type NCond } from './normalize';
import type { Budget, Search } from './search';
import { checkSearchable, type Filter } from './where';

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

/** cmdline and parent name for alert messages, from the store (as --where's proc.cmdline and proc.pname). */
function storeLookup(search: Search): ProcessLookup {
  const SQL = (pid: string, value: string): string =>
    `SELECT ${value} FROM proc_events p WHERE p.host IN (SELECT id FROM hosts WHERE host_id = ? AND boot_id = ?) AND p.pid = ${pid} AND p.time_ns <= ?
     AND p.type IN (SELECT id FROM strings WHERE s IN ('exec', 'exit')) ORDER BY p.time_ns DESC, p.id DESC LIMIT 1`;
  const reader = (ev: AuditEvent) => search.readers({ cond: { op: 'const', value: true }, kinds: [], sinceNs: ev.event.time_ns, untilNs: ev.event.time_ns, hosts: [] }).find((r) => r.day === dayOf(ev.event.time_ns));
  return {
    cmdline(ev) {
      if (ev.kind === 'process' && ev.event.kind === 'exec') return ev.event.args.join(' ');
      const r = reader(ev);
      const e = ev.event;
      const v = r?.db.prepare(SQL('?', "CASE WHEN p.cmdline IS NOT NULL AND p.start_ns = ? THEN p.cmdline ELSE '' END")).pluck().get(e.process.start_time_ns, e.host.id, e.host.boot_id, e.process.pid, e.time_ns);
      return (v as string | undefined) ?? '';
    },
    parentName(ev) {
      const r = reader(ev);
      const e = ev.event;
      const v = r?.db.prepare(SQL('?', "CASE WHEN p.cmdline IS NOT NULL THEN (SELECT s FROM strings WHERE id = p.comm) ELSE '' END")).pluck().get(e.host.id, e.host.boot_id, e.process.ppid, e.time_ns);
      return (v as string | undefined) ?? '';
    },
  };
}

export function retroHunt(search: Search, rules: Rule[], env: CompileEnv, base: Filter, limit: number, b?: Budget): { alerts: Alert[]; more: boolean } {
  const lookup = storeLookup(search);
  const conds = rules.map((r) => {
    const c = normalize(r.condition, env, r.conditionLoc);
    checkSearchable(c);
    return c;
  });
  const alerts: Alert[] = [];
  let more = false;
  rules.forEach((rule, i) => {
    const cond: NCond = { op: 'and', args: [base.cond, conds[i]] };
    const f: Filter = { ...base, cond, kinds: base.kinds.filter((k) => kindsOf(conds[i]).includes(k)) };
    const found = search.events(f, limit, b);
    more ||= found.more;
    for (const { ev } of found.events) {
      alerts.push({ time_ns: ev.event.time_ns, rule_id: rule.id, severity: rule.severity, description: rule.description, message: rule.output(ev, lookup), tags: rule.tags, host: ev.event.host, count: 1, events: [ev] });
    }
  });
  alerts.sort((x, y) => (x.time_ns < y.time_ns ? -1 : x.time_ns > y.time_ns ? 1 : 0));
  if (alerts.length > limit) {
    alerts.length = limit;
    more = true;
  }
  return { alerts, more };
}
