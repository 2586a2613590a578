/**
 * Retro-hunt over the OpenSearch store, as search/retro-hunt.ts does it over SQLite: each stateless
 * rule's condition joins the search's filter (widened where the store cannot decide a test, then
 * re-checked by the engine's predicate), the matching events become the alerts the rule would
 * have raised, and their messages are rendered with proc.cmdline and proc.pname looked up in the
 * stored process events (fetched for all alert events at once with _msearch, so rendering, which
 * is synchronous, reads a map).
 */
import type { AuditEvent } from '../../../schemas/types';
import type { CompileEnv } from '../../rules/compile';
import type { Alert } from '../../rules/engine';
import { MAX_DEPTH, storedContext, type EvalContext, type ProcRecord } from '../../rules/process-tree';
import type { Rule } from '../../rules/loader';
import { kindsOf, normalize, relax, type NCond } from '../../search/normalize';
import { osSearchable } from './search-fields';
import { firstAlerts, huntAlert } from '../../search/retro-hunt';
import { stringify } from '../../core/output/json';
import { dayOfNs } from './indices';
import type { Budget } from '../../search/search';
import type { OsSearch, SearchFilter } from './os-search';
import { isoNs } from '../../core/output/json';

type Msearch = (ndjson: string) => Promise<{ responses: { hits?: { hits: { _source: Record<string, any> }[] } }[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The processes' last execs for these events, from the store: last exec or exit of each pid at or before the event, that day; for deep events the whole chain of ancestors, one _msearch round per level. */
export async function storeLookup(msearch: Msearch, indexPrefix: string, events: AuditEvent[], deep: AuditEvent[] = []): Promise<EvalContext> {
  const key = (ev: AuditEvent, pid: number): string => `${ev.event.host.id}\u0000${ev.event.host.boot_id}\u0000${pid}\u0000${ev.event.time_ns}`;
  const answers = new Map<string, Record<string, any> | null>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  const fetch = async (asks: { ev: AuditEvent; pid: number }[]): Promise<void> => {
    const todo = asks.filter(({ ev, pid }) => {
      const k = key(ev, pid);
      if (pid <= 0 || answers.has(k)) return false;
      answers.set(k, null);
      return true;
    });
    for (let i = 0; i < todo.length; i += 200) {
      const part = todo.slice(i, i + 200);
      const lines = part.flatMap(({ ev, pid }) => {
        const e = ev.event;
        const query = {
          bool: {
            filter: [
              { term: { 'host.id': e.host.id } },
              { term: { 'host.name': e.host.name } },
              { term: { 'host.boot.id': e.host.boot_id } },
              { term: { 'process.pid': pid } },
              { terms: { 'event.action': ['exec', 'exit'] } },
              { range: { '@timestamp': { lte: isoNs(e.time_ns), format: 'strict_date_optional_time_nanos' } } },
            ],
          },
        };
        return [
          stringify({ index: `${indexPrefix}-process-${dayOfNs(e.time_ns)}`, ignore_unavailable: true }),
          stringify({
            size: 1,
            query,
            sort: [{ '@timestamp': 'desc' }, { 'ebpf_audit.ktime_ns': 'desc' }],
            _source: [
              'event.action',
              'process.args',
              'process.name',
              'process.executable',
              'process.working_directory',
              'process.pid',
              'process.parent.pid',
              'ebpf_audit.process.start_ns',
              'ebpf_audit.extra.ext.ancestors',
            ],
          }),
        ];
      });
      const res = await msearch(`${lines.join('\n')}\n`);
      res.responses.forEach((r, j) => answers.set(key(part[j].ev, part[j].pid), r.hits?.hits[0]?._source ?? null));
    }
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const record = (p: Record<string, any> | null | undefined): ProcRecord | undefined =>
    p && p.event.action === 'exec'
      ? {
          pid: p.process.pid,
          ppid: p.process.parent?.pid ?? 0,
          start: BigInt(p.ebpf_audit.process.start_ns),
          comm: p.process.name,
          exepath: p.process.executable ?? '',
          argv: p.process.args ?? [],
          cwd: p.process.working_directory ?? '',
          ancestors: p.ebpf_audit.extra?.ext?.ancestors ?? [],
        }
      : undefined;
  await fetch(
    events.flatMap((ev) => [
      { ev, pid: ev.event.process.pid },
      { ev, pid: ev.event.process.ppid },
    ]),
  );
  // Ancestors level by level: each round asks for the parent of the last record known on each chain.
  let chains = deep.map((ev) => ({ ev, pid: ev.event.process.ppid }));
  for (let level = 1; level < MAX_DEPTH && chains.length > 0; level++) {
    chains = chains.flatMap(({ ev, pid }) => {
      const r = record(answers.get(key(ev, pid)));
      return r && r.ppid > 0 && r.ppid !== pid ? [{ ev, pid: r.ppid }] : [];
    });
    await fetch(chains);
  }
  return storedContext({
    self(ev) {
      const r = record(answers.get(key(ev, ev.event.process.pid)));
      return r && r.start === ev.event.process.start_time_ns ? r : undefined;
    },
    byPid: (ev, pid) => record(answers.get(key(ev, pid))),
  });
}

export async function osRetroHunt(
  search: OsSearch,
  msearch: Msearch,
  indexPrefix: string,
  rules: Rule[],
  env: CompileEnv,
  base: SearchFilter,
  limit: number,
  b?: Budget,
): Promise<{ alerts: Alert[]; more: boolean }> {
  const found: { rule: Rule; ev: AuditEvent; exact: boolean }[] = [];
  let more = false;
  for (const rule of rules) {
    const { cond: rc, exact } = relax(normalize(rule.condition, env, rule.conditionLoc), osSearchable);
    const cond: NCond = { op: 'and', args: [base.cond, rc] };
    const f: SearchFilter = { ...base, cond, kinds: base.kinds.filter((k) => kindsOf(rc).includes(k)) };
    const r = await search.events(f, limit, b);
    more ||= r.more;
    for (const { ev } of r.events) found.push({ rule, ev, exact });
  }
  const lookup = await storeLookup(
    msearch,
    indexPrefix,
    found.map((x) => x.ev),
    found.filter((x) => !x.exact).map((x) => x.ev),
  );
  // A widened condition found a superset: the engine's predicate, over the stored execs, decides.
  const alerts: Alert[] = found.filter(({ rule, ev, exact }) => exact || rule.pred(ev, lookup)).map(({ rule, ev }) => huntAlert(rule, ev, lookup));
  return firstAlerts(alerts, limit, more);
}
