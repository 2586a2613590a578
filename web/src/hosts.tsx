/**
 * Hosts: every host heard from, with its last event, its event rates by kind, and its producer's
 * own accounting (kernel drops, delivery losses, the spool), so a silent or lossy agent shows.
 */
import { useEffect, useState } from 'preact/hooks';
import type { HostRow } from '../../consumer/web/api-types';
import { ApiError, getJson, href } from './api';
import { ago, exact, num, quote, visible } from './text';

const STATUS: Record<HostRow['status'], string> = {
  ok: 'capturing',
  silent: 'silent: no stats or events lately',
  lossy: 'losing events since the last stats',
  stopped: 'producer stopped',
};

export function HostsPage() {
  const [rows, setRows] = useState<HostRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const load = () =>
      getJson<{ hosts: HostRow[] }>('/api/hosts').then(
        (r) => {
          setRows(r.hosts);
          setNow(Date.now());
          setError(undefined);
        },
        (e: unknown) => setError(e instanceof ApiError ? e.message : String(e)),
      );
    void load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, []);
  return (
    <section class="page hosts">
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <div class="panel">
        <h3>Hosts</h3>
        <table class="grid" id="hosts">
          <thead>
            <tr>
              <th>host</th>
              <th>status</th>
              <th>last event</th>
              <th>last stats</th>
              <th class="n">file/s</th>
              <th class="n">net/s</th>
              <th class="n">process/s</th>
              <th class="n" title="records the kernel could not hand over (ring buffer full, argument stash full), cumulative">
                kernel drops
              </th>
              <th class="n" title="paths or arguments cut at their maximum length">
                truncated
              </th>
              <th class="n" title="messages lost before Kafka had them (queue, spool cap, broker refusal), cumulative">
                delivery lost
              </th>
              <th class="n">sent</th>
              <th class="n">spool</th>
            </tr>
          </thead>
          <tbody>
            {rows?.length === 0 && (
              <tr>
                <td colSpan={12} class="muted">
                  No host yet: no event or stats message has arrived.
                </td>
              </tr>
            )}
            {rows?.map((h) => (
              <tr class={`st-${h.status}`} data-host={h.host}>
                <td title={visible(h.hostId)}>
                  <a href={href('search', { where: `host.id = ${quote(h.hostId)}`, since: '15m' })}>{visible(h.host)}</a>
                </td>
                <td>
                  <span class={`status s-${h.status}`} title={STATUS[h.status]}>
                    {h.status}
                  </span>
                  {h.recentDrops && h.recentDrops.kernel + h.recentDrops.delivery > 0 && <span class="warn"> +{num(h.recentDrops.kernel + h.recentDrops.delivery)} lost</span>}
                </td>
                <td title={h.lastEvent ? exact(h.lastEvent) : ''}>{ago(h.lastEvent, now)}</td>
                <td title={h.lastStats ? `${exact(h.lastStats)}${h.statsIntervalS ? `, every ${h.statsIntervalS} s` : ''}` : ''}>{ago(h.lastStats, now)}</td>
                <td class="n">{num(h.rates.file)}</td>
                <td class="n">{num(h.rates.net)}</td>
                <td class="n">{num(h.rates.process)}</td>
                <td class={`n${h.kernel && h.kernel.ringFull + h.kernel.stashFull > 0 ? ' bad' : ''}`}>{h.kernel ? num(h.kernel.ringFull + h.kernel.stashFull) : '—'}</td>
                <td class="n">{h.kernel ? num(h.kernel.truncated) : '—'}</td>
                <td class={`n${h.delivery && h.delivery.lost > 0 ? ' bad' : ''}`}>{h.delivery ? num(h.delivery.lost) : '—'}</td>
                <td class="n">{h.delivery ? num(h.delivery.sent) : '—'}</td>
                <td class="n">{h.delivery ? `${num(Math.round(h.delivery.spoolBytes / 1024))} KiB` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted">
          Rates are events per second over the last minute as they arrived from Kafka. Drops and losses are the producer's own cumulative counters from its last stats message (
          <code>&lt;prefix&gt;.stats</code>); a host turns <em>lossy</em> when they grew between its last two, and <em>silent</em> when neither stats nor events arrived for three
          stats intervals.
        </p>
      </div>
    </section>
  );
}
