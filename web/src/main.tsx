/** The console's shell: navigation between the pages, routed by the URL hash. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { StatusResponse } from '../../consumer/web/api-types';
import { AlertsPage } from './alerts';
import { currentRoute, getJson, href, type Route } from './api';
import { HostsPage } from './hosts';
import { LivePage } from './live';
import { ProcessPage } from './process';
import { SearchPage } from './search';

const PAGES: [string, string][] = [
  ['live', 'Live'],
  ['alerts', 'Alerts'],
  ['search', 'Search'],
  ['process', 'Process'],
  ['hosts', 'Hosts'],
];

function App() {
  const [route, setRoute] = useState<Route>(currentRoute());
  const [status, setStatus] = useState<StatusResponse | undefined>();
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    const load = () => getJson<StatusResponse>('/api/status').then(setStatus, () => undefined);
    void load();
    const t = setInterval(load, 15_000);
    return () => clearInterval(t);
  }, []);
  const p = route.params;
  return (
    <>
      <header class="top">
        <span class="brand">ebpf-audit</span>
        <nav>
          {PAGES.map(([id, label]) => (
            <a href={href(id)} class={route.page === id ? 'on' : ''} id={`nav-${id}`}>
              {label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        {status && (
          <span class="muted status-line">
            topics {status.topicPrefix}.* · store {status.store.available ? `${status.store.days} day${status.store.days === 1 ? '' : 's'}` : 'not available'} · local time
          </span>
        )}
      </header>
      <main>
        {route.page === 'live' && <LivePage params={p} />}
        {route.page === 'alerts' && <AlertsPage params={p} />}
        {route.page === 'search' && <SearchPage params={p} />}
        {route.page === 'process' && <ProcessPage params={p} />}
        {route.page === 'hosts' && <HostsPage />}
        {!PAGES.some(([id]) => id === route.page) && <p class="error">No page "{route.page}".</p>}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
