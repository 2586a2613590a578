/**
 * Live: events as they arrive, filtered on the server (kinds, hosts, a condition). The server sends
 * at most a few hundred rows a second, a uniform sample of each quarter-second, with counts of what
 * arrived and matched; the page keeps the newest 2,000 rows and draws only those in view.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EventRow, HostRow, Kind, LiveBatch } from '../../consumer/web/api-types';
import { getJson, navigate, qs } from './api';
import { ConditionBox } from './condition-box';
import { EventDetail, EventTable } from './event-table';
import { num, visible } from './text';

const KEEP = 2000;
const KINDS: Kind[] = ['file', 'net', 'process'];

interface Rates {
  arrived: number;
  matched: number;
  shown: number;
}

export function LivePage({ params }: { params: URLSearchParams }) {
  const where = params.get('where') ?? '';
  const kinds = (params.get('kinds') ?? '').split(',').filter((k): k is Kind => (KINDS as string[]).includes(k));
  const hosts = (params.get('hosts') ?? '').split(',').filter((h) => h);
  const [rows, setRows] = useState<EventRow[]>([]);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const [rates, setRates] = useState<Rates>({ arrived: 0, matched: 0, shown: 0 });
  const [state, setState] = useState<'connecting' | 'open' | 'retrying'>('connecting');
  const [selected, setSelected] = useState<EventRow | undefined>();
  const [knownHosts, setKnownHosts] = useState<HostRow[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const recent = useRef<{ ms: number; arrived: number; matched: number; shown: number }[]>([]);

  const setFilter = (p: { where?: string; kinds?: Kind[]; hosts?: string[] }): void => {
    const k = p.kinds ?? kinds;
    navigate('live', { where: p.where ?? where, kinds: k.length && k.length < 3 ? k.join(',') : undefined, hosts: (p.hosts ?? hosts).join(',') || undefined });
  };

  useEffect(() => {
    const load = (): void => {
      getJson<{ hosts: HostRow[] }>('/api/hosts').then(
        (r) => setKnownHosts(r.hosts),
        () => undefined,
      );
    };
    load();
    const t = setInterval(load, 10_000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    setRows([]);
    setSelected(undefined);
    recent.current = [];
    const es = new EventSource(`/api/live${qs({ where, kinds: kinds.join(','), hosts: hosts.join(',') })}`);
    setState('connecting');
    es.onopen = () => setState('open');
    es.onerror = () => setState('retrying');
    es.addEventListener('batch', (m) => {
      const b = JSON.parse((m as MessageEvent<string>).data) as LiveBatch;
      if (b.ms > 0) {
        const r = recent.current;
        r.push({ ms: b.ms, arrived: b.arrived, matched: b.matched, shown: b.rows.length });
        if (r.length > 8) r.shift();
        const ms = r.reduce((s, x) => s + x.ms, 0);
        const per = (f: (x: (typeof r)[number]) => number) => Math.round((r.reduce((s, x) => s + f(x), 0) * 1000) / ms);
        setRates({ arrived: per((x) => x.arrived), matched: per((x) => x.matched), shown: per((x) => x.shown) });
      }
      if (b.rows.length === 0) return;
      if (pausedRef.current) {
        setMissed((n) => n + b.rows.length);
        return;
      }
      const add = b.rows.slice().reverse();
      setRows((old) => (add.length >= KEEP ? add.slice(0, KEEP) : add.concat(old.length + add.length > KEEP ? old.slice(0, KEEP - add.length) : old)));
    });
    return () => es.close();
  }, [where, kinds.join(','), hosts.join(',')]);

  const toggleKind = (k: Kind): void => {
    const on = kinds.length ? kinds : KINDS;
    const next = on.includes(k) ? on.filter((x) => x !== k) : [...on, k];
    if (next.length) setFilter({ kinds: next });
  };
  // No host chosen means every host; the first click chooses one.
  const toggleHost = (h: string): void => setFilter({ hosts: hosts.includes(h) ? hosts.filter((x) => x !== h) : [...hosts, h] });
  const sampled = rates.matched > rates.shown;

  return (
    <section class={`page live${selected ? ' has-detail' : ''}`}>
      <div class="toolbar">
        <ConditionBox value={where} onApply={(w) => setFilter({ where: w })} />
        <div class="toggles">
          <span class="label">kinds</span>
          {KINDS.map((k) => (
            <button class={`toggle k-${k}`} aria-pressed={kinds.length === 0 || kinds.includes(k)} onClick={() => toggleKind(k)}>
              {k}
            </button>
          ))}
          <span class="label">hosts</span>
          {knownHosts.length === 0 && <span class="muted">none seen yet</span>}
          {knownHosts.map((h) => (
            <button class="toggle" aria-pressed={hosts.length === 0 || hosts.includes(h.hostId)} title={visible(h.hostId)} onClick={() => toggleHost(h.hostId)}>
              {visible(h.host)}
            </button>
          ))}
          <span class="spacer" />
          <button
            id="pause"
            class={paused ? 'primary' : ''}
            onClick={() => {
              if (paused) setMissed(0);
              setPaused(!paused);
            }}
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button onClick={() => setRows([])}>Clear</button>
        </div>
      </div>
      <div class="counters" aria-live="off">
        <span class={`dot ${state}`} title={state} />
        <span>
          arriving <b id="rate-arrived">{num(rates.arrived)}</b>/s
        </span>
        <span>
          matching <b id="rate-matched">{num(rates.matched)}</b>/s
        </span>
        <span>
          shown <b>{num(rates.shown)}</b>/s{sampled && <em class="muted"> (a sample of each quarter-second)</em>}
        </span>
        <span>
          rows kept <b id="rows-kept">{num(rows.length)}</b> of {num(KEEP)}
        </span>
        {paused && <span class="warn">paused: {num(missed)} rows not shown</span>}
      </div>
      <EventTable rows={rows} onSelect={setSelected} selected={selected} class="vt-live" empty={state === 'open' ? 'Waiting for events that match…' : 'Connecting…'} />
      {selected && <EventDetail r={selected} onClose={() => setSelected(undefined)} />}
    </section>
  );
}
