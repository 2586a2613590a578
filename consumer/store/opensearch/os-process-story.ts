/**
 * A process's story from the OpenSearch store, the same as search/process-story.ts tells it from
 * SQLite: which process (host, pid, start time), its ancestors, then its files, connections,
 * execs and exit, its children and its alerts in time order. SQLite keeps a process table; here a
 * process is its events grouped by (host, boot, pid, start): the first event gives ppid, uid,
 * comm and exe, the last exec replaces them and adds the command line, the last exit the status.
 */
import { parseIsoNs, fromDocument, type Doc } from './document';
import { alertFromDocument } from './alert-document';
import type { Host } from '../../../schemas/types';
import type { ProcInfo, ProcessRef, Story, StoryEntry } from '../../search/process-story';
import type { Query } from './search-fields';
import { and, or } from './query-dsl';

type Post = <T>(path: string, body: unknown) => Promise<T>;
type Hit = { _index: string; _source: Doc };
type Bucket = { key: Record<string, unknown>; first: { hits: { hits: Hit[] } }; exec: { last: { hits: { hits: Hit[] } } }; exit: { last: { hits: { hits: Hit[] } } } };

const SOURCE = ['@timestamp', 'host', 'process', 'ebpf_audit.process', 'ebpf_audit.res', 'ebpf_audit.exit', 'event.action'];
const MAX_PROCS = 10_000;

/** A process record from its first event, last exec and last exit (as the SQLite process table keeps it). */
function infoOf(first: Doc, exec?: Doc, exit?: Doc): ProcInfo {
  const f = first as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const x = exec as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const z = exit as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const pick = x ?? f;
  return {
    host: { id: f.host.id, name: f.host.name, boot_id: f.host.boot.id },
    pid: f.process.pid,
    startNs: BigInt(f.ebpf_audit.process.start_ns),
    ppid: pick.process.parent.pid,
    uid: pick.ebpf_audit.process.uid,
    comm: pick.process.name,
    exe: pick.process.executable ?? '',
    cmdline: x ? (x.process.args as string[]).join(' ') : undefined,
    firstNs: parseIsoNs(f['@timestamp']),
    execNs: x ? parseIsoNs(x['@timestamp']) : undefined,
    exitNs: z ? parseIsoNs(z['@timestamp']) : undefined,
    exitCode: z ? z.ebpf_audit.res : undefined,
    signal: z ? z.ebpf_audit.exit.signal : undefined,
  };
}

export async function osProcessStory(post: Post, indexPrefix: string, ref: ProcessRef, opts: { limit: number }): Promise<Story | undefined> {
  const events = ['file', 'net', 'process'].map((k) => `${indexPrefix}-${k}-*`).join(',');

  /** Processes whose events match `filter`, one record each. */
  async function find(filter: Query): Promise<ProcInfo[]> {
    const out: ProcInfo[] = [];
    let after: unknown;
    for (;;) {
      const body = {
        size: 0,
        query: filter,
        aggs: {
          p: {
            composite: {
              size: 1000,
              sources: [
                { h: { terms: { field: 'host.id' } } },
                { b: { terms: { field: 'host.boot.id' } } },
                { pid: { terms: { field: 'process.pid' } } },
                { s: { terms: { field: 'ebpf_audit.process.start_ns' } } },
              ],
              ...(after ? { after } : {}),
            },
            aggs: {
              first: { top_hits: { size: 1, sort: [{ '@timestamp': 'asc' }], _source: SOURCE } },
              exec: { filter: { term: { 'event.action': 'exec' } }, aggs: { last: { top_hits: { size: 1, sort: [{ '@timestamp': 'desc' }], _source: SOURCE } } } },
              exit: { filter: { term: { 'event.action': 'exit' } }, aggs: { last: { top_hits: { size: 1, sort: [{ '@timestamp': 'desc' }], _source: SOURCE } } } },
            },
          },
        },
      };
      const res = await post<{ aggregations?: { p: { buckets: Bucket[]; after_key?: unknown } } }>(`/${events}/_search`, body);
      const p = res.aggregations?.p;
      if (!p) break;
      for (const bk of p.buckets) out.push(infoOf(bk.first.hits.hits[0]._source, bk.exec.last.hits.hits[0]?._source, bk.exit.last.hits.hits[0]?._source));
      if (out.length > MAX_PROCS) throw new Error(`more than ${MAX_PROCS} processes match; narrow the search`);
      if (!p.after_key || !p.buckets.length) break;
      after = p.after_key;
    }
    return out;
  }

  const hostIs = (h: Host): Query[] => [{ term: { 'host.id': h.id } }, { term: { 'host.boot.id': h.boot_id } }];
  const candidates = await find(and([or([{ term: { 'host.id': ref.host } }, { term: { 'host.name': ref.host } }]), { term: { 'process.pid': ref.pid } }]));
  const me = ref.startNs !== undefined ? candidates.find((c) => c.startNs === ref.startNs) : [...candidates].sort((a, b) => (a.firstNs > b.firstNs ? -1 : 1))[0];
  if (!me) return undefined;

  // Ancestors: the latest process with the parent's pid that started no later than the child.
  const lineage: ProcInfo[] = [];
  let end: Story['end'] = { at: 'init' };
  for (let cur = me; cur.pid > 1 && cur.ppid > 0 && lineage.length < 64;) {
    const parents = await find(and([...hostIs(me.host), { term: { 'process.pid': cur.ppid } }, { range: { 'ebpf_audit.process.start_ns': { lte: String(cur.startNs) } } }]));
    const parent = parents.sort((a, b) => (a.startNs > b.startNs ? -1 : 1))[0];
    if (!parent) {
      if (cur.ppid !== 1 && cur.ppid !== 2) end = { at: 'unknown', pid: cur.ppid };
      break;
    }
    lineage.push(parent);
    cur = parent;
  }

  // The same pid started again later (reuse): children after that start are the newer process's.
  const later = (await find(and([...hostIs(me.host), { term: { 'process.pid': me.pid } }, { range: { 'ebpf_audit.process.start_ns': { gt: String(me.startNs) } } }]))).map(
    (p) => p.startNs,
  );
  const nextStart = later.length ? later.reduce((a, b) => (a < b ? a : b)) : undefined;

  // Its events, per index (a kind's day, as SQLite reads per day file and table), each bounded.
  const mine = and([...hostIs(me.host), { term: { 'process.pid': me.pid } }, { term: { 'ebpf_audit.process.start_ns': String(me.startNs) } }]);
  const perIndex = await post<{ aggregations?: { i: { buckets: { key: string }[] } } }>(`/${events}/_search`, {
    size: 0,
    query: mine,
    aggs: { i: { terms: { field: '_index', size: 10_000 } } },
  });
  const indices = (perIndex.aggregations?.i.buckets ?? []).map((b) => b.key).sort();
  const timeline: StoryEntry[] = [];
  let more = false;
  const days = new Set<string>();
  for (const index of indices) {
    days.add(index.slice(index.lastIndexOf('-') + 1));
    const res = await post<{ hits: { hits: Hit[] } }>(`/${index}/_search`, {
      size: opts.limit + 1,
      query: mine,
      sort: [{ '@timestamp': 'asc' }, { 'ebpf_audit.ktime_ns': 'asc' }],
    });
    const hits = res.hits.hits;
    if (hits.length > opts.limit) more = true;
    for (const h of hits.slice(0, opts.limit)) {
      const ev = fromDocument(h._source);
      timeline.push({ t: ev.event.time_ns, what: 'event', ev });
    }
  }
  for (const day of [...days].sort()) {
    const q = and([{ term: { 'host.id': me.host.id } }, { term: { 'process.pid': me.pid } }, { term: { 'ebpf_audit.process.start_ns': String(me.startNs) } }]);
    const res = await post<{ hits: { hits: Hit[] } }>(`/${indexPrefix}-alerts-${day}/_search`, { size: opts.limit, query: q, sort: [{ '@timestamp': 'asc' }] });
    for (const h of res.hits.hits) {
      const a = alertFromDocument(h._source);
      timeline.push({ t: a.time_ns, what: 'alert', alert: { rule_id: a.rule_id, severity: a.severity, message: a.message, count: a.count } });
    }
  }
  const startRange: Record<string, string> = { gte: String(me.startNs) };
  if (nextStart !== undefined) startRange.lt = String(nextStart);
  const children = (await find(and([...hostIs(me.host), { term: { 'process.parent.pid': me.pid } }, { range: { 'ebpf_audit.process.start_ns': startRange } }]))).filter(
    (c) => c.ppid === me.pid,
  );
  for (const child of children.slice(0, opts.limit)) timeline.push({ t: child.execNs ?? child.firstNs, what: 'child', child });
  timeline.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  if (timeline.length > opts.limit) {
    timeline.length = opts.limit;
    more = true;
  }
  return { process: me, others: candidates.filter((c) => c !== me), lineage, end, timeline, more };
}
