/**
 * Alerts: stored ones over the chosen range (the store, or the console's memory of the alerts
 * topic when there is no store), new ones as detect publishes them, counts per rule over the range,
 * and for each alert the triggering event with a link to its process.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AlertRow, AlertsResponse } from '../../consumer/web/api-types';
import { ApiError, getJson, navigate } from './api';
import { EventDetail, procLink } from './event-table';
import { RangePicker, rangeLabel, type RangeValue } from './range-picker';
import { exact, num, stamp, visible } from './text';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

export function AlertsPage({ params }: { params: URLSearchParams }) {
  const range: RangeValue = { since: params.get('since') ?? '24h', until: params.get('until') ?? undefined };
  const severity = (params.get('severity') ?? '').split(',').filter((s) => s);
  const rule = params.get('rule') ?? '';
  const [data, setData] = useState<AlertsResponse | undefined>();
  const [fresh, setFresh] = useState<AlertRow[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<AlertRow | undefined>();
  const go = (p: { range?: RangeValue; severity?: string[]; rule?: string }) => {
    const r = p.range ?? range;
    navigate('alerts', { since: r.since, until: r.until, severity: (p.severity ?? severity).join(',') || undefined, rule: p.rule ?? rule });
  };
  const key = `${range.since}|${range.until}|${severity.join()}|${rule}`;

  useEffect(() => {
    const ctl = new AbortController();
    const load = () =>
      getJson<AlertsResponse>('/api/alerts', { since: range.since, until: range.until, severity: severity.join(','), rule, limit: 300 }, ctl.signal).then(
        (d) => {
          setData(d);
          setFresh([]);
          setError(undefined);
        },
        (e: unknown) => !ctl.signal.aborted && setError(e instanceof ApiError ? e.message : String(e)),
      );
    void load();
    // A relative range moves with now: reload now and then; new alerts also arrive live below.
    const t = range.until ? undefined : setInterval(load, 30_000);
    return () => {
      ctl.abort();
      clearInterval(t);
    };
  }, [key]);

  useEffect(() => {
    if (range.until) return;
    const es = new EventSource('/api/live?events=0');
    es.addEventListener('alert', (m) => {
      const a = JSON.parse((m as MessageEvent<string>).data) as AlertRow;
      if ((severity.length && !severity.includes(a.severity)) || (rule && a.rule !== rule)) return;
      setFresh((f) => [a, ...f].slice(0, 500));
    });
    return () => es.close();
  }, [key]);

  const seen = new Set(fresh.map((a) => `${a.time}|${a.rule}|${a.event?.pid}`));
  const list = [...fresh, ...(data?.alerts ?? []).filter((a) => !seen.has(`${a.time}|${a.rule}|${a.event?.pid}`))];
  const byRule = new Map((data?.byRule ?? []).map((r) => [r.rule, { ...r }]));
  for (const a of fresh) {
    const r = byRule.get(a.rule) ?? { rule: a.rule, severity: a.severity, n: 0 };
    r.n++;
    byRule.set(a.rule, r);
  }
  const counts = [...byRule.values()].sort((a, b) => b.n - a.n);
  const max = Math.max(1, ...counts.map((c) => c.n));

  return (
    <section class="page alerts">
      <div class="toolbar">
        <RangePicker value={range} onChange={(r) => go({ range: r })} />
        <div class="toggles">
          <span class="label">severity</span>
          {SEVERITIES.map((s) => (
            <button
              class={`toggle sev-${s}`}
              aria-pressed={severity.length === 0 || severity.includes(s)}
              onClick={() => go({ severity: severity.includes(s) ? severity.filter((x) => x !== s) : [...severity, s] })}
            >
              {s}
            </button>
          ))}
          {rule && (
            <button class="chip" onClick={() => go({ rule: '' })} title="show every rule">
              rule: {rule} ✕
            </button>
          )}
          <span class="spacer" />
          <span class="muted">{data ? `${data.source === 'store' ? 'from the store' : 'from Kafka (no store)'}, ${rangeLabel(range)}` : ''}</span>
        </div>
      </div>
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <div class="split">
        <aside class="panel byrule">
          <h3>Alerts per rule</h3>
          {counts.length === 0 && <p class="muted">none in this range</p>}
          {counts.map((c) => (
            <button class="bar-row" onClick={() => go({ rule: c.rule })} title={`only ${c.rule}`}>
              <span class={`sev sev-${c.severity}`}>{c.severity}</span>
              <span class="bar-label">{visible(c.rule)}</span>
              <span class="bar" style={{ width: `${(c.n / max) * 100}%` }} />
              <span class="bar-n">{num(c.n)}</span>
            </button>
          ))}
        </aside>
        <div class="alert-list" id="alert-list">
          {list.length === 0 && <p class="muted">No alerts{data?.more ? '' : ' in this range'}.</p>}
          {list.map((a) => (
            <div class={`alert${fresh.includes(a) ? ' fresh' : ''}${open === a ? ' open' : ''}`} data-rule={a.rule}>
              <div class="alert-line" onClick={() => setOpen(open === a ? undefined : a)}>
                <span class={`sev sev-${a.severity}`}>{a.severity}</span>
                <span class="a-time" title={exact(a.time)}>
                  {stamp(a.time)}
                </span>
                <span class="a-rule">{visible(a.rule)}</span>
                <span class="a-host">{visible(a.host)}</span>
                {a.event && (
                  <a class="a-pid" href={procLink(a.event)} onClick={(e) => e.stopPropagation()} title="process view">
                    {visible(a.event.comm)} ({a.event.pid})
                  </a>
                )}
                {a.count > 1 && <span class="a-count">×{num(a.count)}</span>}
                <span class="a-msg">{visible(a.message)}</span>
              </div>
              {open === a && (
                <div class="alert-more">
                  <p class="a-full">{visible(a.message)}</p>
                  <p>{visible(a.description)}</p>
                  <p class="tags">
                    {a.tags.map((t) => (
                      <span class="chip">{visible(t)}</span>
                    ))}
                  </p>
                  {a.event && <EventDetail r={a.event} />}
                </div>
              )}
            </div>
          ))}
          {data?.more && <p class="muted">Only the latest {num(data.alerts.length)} are listed: narrow the range, a severity or a rule.</p>}
        </div>
      </div>
    </section>
  );
}
