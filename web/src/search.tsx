/**
 * Search over the store: a time range, a condition and kinds; the matches over time, the top
 * values of a few fields (a click narrows the condition), the events page by page, and the
 * whole result as CSV or JSON lines. The query lives in the URL, so a search can be shared.
 */
import { useEffect, useState } from 'preact/hooks';
import type { EventRow, HistogramResponse, Kind, SearchResponse, TopResponse } from '../../consumer/web/api-types';
import { ApiError, getJson, navigate, qs } from './api';
import { ConditionBox } from './condition-box';
import { EventDetail, EventTable } from './event-table';
import { Histogram } from './histogram';
import { RangePicker, rangeLabel, type RangeValue } from './range-picker';
import { num, quote, visible } from './text';

const KINDS: Kind[] = ['file', 'net', 'process'];
const PANELS: [string, string][] = [
  ['proc.exepath', 'Executables'],
  ['file.path', 'Paths'],
  ['net.dst_ip', 'Destinations'],
  ['host.name', 'Hosts'],
];
const PAGE = 100;

export function SearchPage({ params }: { params: URLSearchParams }) {
  const where = params.get('where') ?? '';
  const range: RangeValue = { since: params.get('since') ?? '1h', until: params.get('until') ?? undefined };
  const kinds = (params.get('kinds') ?? '').split(',').filter((k): k is Kind => (KINDS as string[]).includes(k));
  const query = { where, since: range.since, until: range.until, kinds: kinds.join(',') || undefined };
  const key = JSON.stringify(query);
  const [page, setPage] = useState<SearchResponse | undefined>();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [hist, setHist] = useState<HistogramResponse | undefined>();
  const [tops, setTops] = useState<Record<string, TopResponse>>({});
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<EventRow | undefined>();
  const [pageNo, setPageNo] = useState(0);
  /** cursors[i]: where page i starts (page 0: the beginning). */
  const showPage = (p: SearchResponse, to: number) => {
    setPage(p);
    setPageNo(to);
    setSelected(undefined);
    setCursors((c) => {
      const n = c.slice(0, to + 1);
      if (p.next) n[to + 1] = p.next;
      return n;
    });
  };
  const go = (p: { where?: string; range?: RangeValue; kinds?: Kind[] }) => {
    const r = p.range ?? range;
    const k = p.kinds ?? kinds;
    navigate('search', { where: p.where ?? where, since: r.since, until: r.until, kinds: k.length && k.length < 3 ? k.join(',') : undefined });
  };
  const narrow = (field: string, value: string) => go({ where: `${where ? `(${where}) and ` : ''}${field} = ${quote(value)}` });

  useEffect(() => {
    const ctl = new AbortController();
    const onErr = (e: unknown) => !ctl.signal.aborted && setError(e instanceof ApiError ? e.message : String(e));
    setError(undefined);
    setBusy(true);
    // A new query clears the old answer: rows of the previous search must not pass for this one's.
    setPage(undefined);
    setHist(undefined);
    setCursors([undefined]);
    setSelected(undefined);
    setTops({});
    const jobs = [
      getJson<SearchResponse>('/api/search', { ...query, limit: PAGE }, ctl.signal).then((p) => showPage(p, 0), onErr),
      getJson<HistogramResponse>('/api/search/histogram', { ...query, buckets: 60 }, ctl.signal).then(setHist, onErr),
      ...PANELS.map(([field]) => getJson<TopResponse>('/api/search/top', { ...query, field, n: 10 }, ctl.signal).then((t) => setTops((o) => ({ ...o, [field]: t })), onErr)),
    ];
    void Promise.allSettled(jobs).then(() => !ctl.signal.aborted && setBusy(false));
    return () => ctl.abort();
  }, [key]);

  const turn = (to: number) => {
    getJson<SearchResponse>('/api/search', { ...query, limit: PAGE, cursor: cursors[to] }).then(
      (p) => showPage(p, to),
      (e: unknown) => setError(e instanceof ApiError ? e.message : String(e)),
    );
  };

  const toggleKind = (k: Kind) => {
    const on = kinds.length ? kinds : KINDS;
    const next = on.includes(k) ? on.filter((x) => x !== k) : [...on, k];
    if (next.length) go({ kinds: next });
  };

  return (
    <section class="page search">
      <div class="toolbar">
        <ConditionBox value={where} onApply={(w) => go({ where: w })} label="Search" placeholder="condition, e.g. file.path contains shadow (empty: every event)" />
        <div class="toggles">
          <RangePicker value={range} onChange={(r) => go({ range: r })} />
          <span class="label">kinds</span>
          {KINDS.map((k) => (
            <button class={`toggle k-${k}`} aria-pressed={kinds.length === 0 || kinds.includes(k)} onClick={() => toggleKind(k)}>
              {k}
            </button>
          ))}
          <span class="spacer" />
          <a class="button" href={`/api/search/export${qs({ ...query, format: 'csv' })}`} download>
            Export CSV
          </a>
          <a class="button" href={`/api/search/export${qs({ ...query, format: 'jsonl' })}`} download>
            Export JSON lines
          </a>
        </div>
      </div>
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <div class="panel">
        <div class="panel-head">
          <h3>
            <span id="match-total">{hist ? num(hist.total) : '…'}</span> matching events, {rangeLabel(range)}
          </h3>
          <span class="muted">
            {busy ? 'searching…' : hist ? `${hist.bucketMs >= 60000 ? `${hist.bucketMs / 60000} min` : `${hist.bucketMs / 1000} s`} per bar · drag across the chart to zoom` : ''}
          </span>
        </div>
        {hist && <Histogram bucketMs={hist.bucketMs} buckets={hist.buckets} onZoom={(a, b) => go({ range: { since: String(a), until: String(b) } })} />}
      </div>
      <div class="tops">
        {PANELS.map(([field, title]) => {
          const t = tops[field];
          const max = Math.max(1, ...(t?.rows ?? []).map((r) => r.events));
          return (
            <div class="panel top" data-field={field}>
              <h3>
                {title} <span class="muted">{field}</span>
              </h3>
              {!t && <p class="muted">…</p>}
              {t && t.rows.length === 0 && <p class="muted">none</p>}
              {t?.rows.map((r) => (
                <button class="bar-row" onClick={() => narrow(field, r.value)} title={`narrow to ${field} = ${visible(r.value)}`}>
                  <span class="bar-label">{visible(r.value) || '(empty)'}</span>
                  <span class="bar" style={{ width: `${(r.events / max) * 100}%` }} />
                  <span class="bar-n">{num(r.events)}</span>
                </button>
              ))}
            </div>
          );
        })}
      </div>
      <div class="panel results">
        <div class="panel-head">
          <h3>Events</h3>
          <span class="muted">
            page {pageNo + 1}
            {page ? `, ${num(page.rows.length)} rows, ${page.tookMs} ms` : ''}
          </span>
          <span class="spacer" />
          <button disabled={pageNo === 0} onClick={() => turn(pageNo - 1)}>
            ← Previous
          </button>
          <button disabled={!cursors[pageNo + 1]} onClick={() => turn(pageNo + 1)}>
            Next →
          </button>
        </div>
        <EventTable rows={page?.rows ?? []} onSelect={setSelected} selected={selected} class="vt-search" empty={busy ? 'Searching…' : 'No matching events in this range.'} />
        {selected && <EventDetail r={selected} onClose={() => setSelected(undefined)} />}
      </div>
    </section>
  );
}
