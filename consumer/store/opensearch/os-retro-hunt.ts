/**
 * Retro-hunt over the OpenSearch store, as search/retro-hunt.ts does it over SQLite: each stateless
 * rule's condition joins the search's filter, the matching events become the alerts the rule would
 * have raised, and their messages are rendered with proc.cmdline and proc.pname looked up in the
 * stored process events (fetched for all alert events at once with _msearch, so rendering, which
 * is synchronous, reads a map).
 */
import type { AuditEvent } from '../../../schemas/types';
import type { CompileEnv } from '../../rules/compile';
import type { Alert } from '../../rules/engine';
import type { ProcessLookup } from '../../rules/fields';
import type { Rule } from '../../rules/loader';
import { kindsOf, normalize, type NCond } from '../../search/normalize';
import { stringify } from '../../core/output/json';
import { dayOfNs } from './indices';
import type { Budget } from '../../search/search';
import type { OsSearch, SearchFilter } from './os-search';
import { isoNs } from '../../core/output/json';

type Msearch = (ndjson: string) => Promise<{ responses: { hits?: { hits: { _source: Record<string, any> }[] } }[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** proc.cmdline / proc.pname for these events, from the store: last exec or exit of the pid (ppid) at or before the event, that day. */
export async function storeLookup(msearch: Msearch, indexPrefix: string, events: AuditEvent[]): Promise<ProcessLookup> {
  const key = (ev: AuditEvent, which: 'c' | 'p'): string => `${which}\u0000${ev.event.host.id}\u0000${ev.event.host.boot_id}\u0000${which === 'c' ? ev.event.process.pid : ev.event.process.ppid}\u0000${ev.event.time_ns}`;
  const answers = new Map<string, Record<string, any> | null>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  const asks: { k: string; ev: AuditEvent; which: 'c' | 'p' }[] = [];
  for (const ev of events) {
    for (const which of ['c', 'p'] as const) {
      const k = key(ev, which);
      if (answers.has(k)) continue;
      answers.set(k, null);
      asks.push({ k, ev, which });
    }
  }
  for (let i = 0; i < asks.length; i += 200) {
    const part = asks.slice(i, i + 200);
    const lines = part.flatMap(({ ev, which }) => {
      const e = ev.event;
      const query = {
        bool: {
          filter: [
            { term: { 'host.id': e.host.id } }, { term: { 'host.name': e.host.name } }, { term: { 'host.boot.id': e.host.boot_id } },
            { term: { 'process.pid': which === 'c' ? e.process.pid : e.process.ppid } }, { terms: { 'event.action': ['exec', 'exit'] } },
            { range: { '@timestamp': { lte: isoNs(e.time_ns), format: 'strict_date_optional_time_nanos' } } },
          ],
        },
      };
      return [
        stringify({ index: `${indexPrefix}-process-${dayOfNs(e.time_ns)}`, ignore_unavailable: true }),
        stringify({ size: 1, query, sort: [{ '@timestamp': 'desc' }, { 'ebpf_audit.ktime_ns': 'desc' }], _source: ['event.action', 'process.command_line', 'process.name', 'ebpf_audit.process.start_ns'] }),
      ];
    });
    const res = await msearch(`${lines.join('\n')}\n`);
    res.responses.forEach((r, j) => answers.set(part[j].k, r.hits?.hits[0]?._source ?? null));
  }
  return {
    cmdline(ev) {
      if (ev.kind === 'process' && ev.event.kind === 'exec') return ev.event.args.join(' ');
      const p = answers.get(key(ev, 'c'));
      return p && p.event.action === 'exec' && String(p.ebpf_audit.process.start_ns) === String(ev.event.process.start_time_ns) ? p.process.command_line : '';
    },
    parentName(ev) {
      const p = answers.get(key(ev, 'p'));
      return p && p.event.action === 'exec' ? p.process.name : '';
    },
  };
}

export async function osRetroHunt(search: OsSearch, msearch: Msearch, indexPrefix: string, rules: Rule[], env: CompileEnv, base: SearchFilter, limit: number, b?: Budget): Promise<{ alerts: Alert[]; more: boolean }> {
  const found: { rule: Rule; ev: AuditEvent }[] = [];
  let more = false;
  for (const rule of rules) {
    const rc = normalize(rule.condition, env, rule.conditionLoc);
    const cond: NCond = { op: 'and', args: [base.cond, rc] };
    const f: SearchFilter = { ...base, cond, kinds: base.kinds.filter((k) => kindsOf(rc).includes(k)) };
    const r = await search.events(f, limit, b);
    more ||= r.more;
    for (const { ev } of r.events) found.push({ rule, ev });
  }
  const lookup = await storeLookup(msearch, indexPrefix, found.map((x) => x.ev));
  const alerts: Alert[] = found.map(({ rule, ev }) => ({
    time_ns: ev.event.time_ns, rule_id: rule.id, severity: rule.severity, description: rule.description, message: rule.output(ev, lookup), tags: rule.tags, host: ev.event.host, count: 1, events: [ev],
  }));
  alerts.sort((x, y) => (x.time_ns < y.time_ns ? -1 : x.time_ns > y.time_ns ? 1 : 0));
  if (alerts.length > limit) {
    alerts.length = limit;
    more = true;
  }
  return { alerts, more };
}
