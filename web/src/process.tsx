/**
 * A process's story, as Elastic's process view tells it: its lineage from init down to it, then on
 * one time line what it did (files, connections, programs run, privilege changes, exit), the
 * children it started and the alerts it raised. Every process named links to its own story.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ProcInfoRow, ProcessStoryResponse, StoryRow } from '../../consumer/web/api-types';
import { ApiError, getJson, href, navigate } from './api';
import { detailText } from './event-table';
import { exact, num, stamp, visible } from './text';

const link = (p: ProcInfoRow): string => href('process', { host: p.hostId, pid: p.pid, start: p.start });

type Filter = 'file' | 'net' | 'exec' | 'exit' | 'privilege' | 'child' | 'alert';
const FILTERS: Filter[] = ['file', 'net', 'exec', 'privilege', 'exit', 'child', 'alert'];

function classOf(e: StoryRow): Filter {
  if (e.what === 'child') return 'child';
  if (e.what === 'alert') return 'alert';
  const r = e.event;
  if (r.kind === 'file') return 'file';
  if (r.kind === 'net') return 'net';
  return r.type === 'exec' ? 'exec' : r.type === 'exit' ? 'exit' : 'privilege';
}

function Proc({ p, here }: { p: ProcInfoRow; here?: boolean }) {
  const body = (
    <>
      <span class="p-comm">{visible(p.comm)}</span> <span class="p-pid">{p.pid}</span> <span class="p-exe">{visible(p.exe)}</span>
      {p.cmdline !== undefined && <span class="p-cmd">{visible(p.cmdline)}</span>}
    </>
  );
  return here ? (
    <span class="proc here">{body}</span>
  ) : (
    <a class="proc" href={link(p)}>
      {body}
    </a>
  );
}

function Lookup({ host, pid }: { host?: string; pid?: string }) {
  const [h, setH] = useState(host ?? '');
  const [p, setP] = useState(pid ?? '');
  return (
    <form
      class="lookup"
      onSubmit={(e) => {
        e.preventDefault();
        if (h && /^\d+$/.test(p)) navigate('process', { host: h, pid: p });
      }}
    >
      <label>
        host <input value={h} placeholder="host name or id" onInput={(e) => setH((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        pid <input value={p} size={8} onInput={(e) => setP((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Show process</button>
      <span class="muted">or click any pid on the other pages</span>
    </form>
  );
}

export function ProcessPage({ params }: { params: URLSearchParams }) {
  const host = params.get('host') ?? undefined;
  const pid = params.get('pid') ?? undefined;
  const start = params.get('start') ?? undefined;
  const [story, setStory] = useState<ProcessStoryResponse | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [off, setOff] = useState<Set<Filter>>(new Set());
  useEffect(() => {
    setStory(undefined);
    setError(undefined);
    if (!host || !pid) return;
    const ctl = new AbortController();
    getJson<ProcessStoryResponse>('/api/process', { host, pid, start }, ctl.signal).then(
      setStory,
      (e: unknown) => !ctl.signal.aborted && setError(e instanceof ApiError ? e.message : String(e)),
    );
    return () => ctl.abort();
  }, [host, pid, start]);

  if (!host || !pid)
    return (
      <section class="page process">
        <Lookup />
      </section>
    );
  const s = story;
  const counts = new Map<Filter, number>();
  for (const e of s?.timeline ?? []) counts.set(classOf(e), (counts.get(classOf(e)) ?? 0) + 1);
  const chain = s ? [...s.lineage].reverse() : [];

  return (
    <section class="page process">
      <Lookup host={host} pid={pid} />
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      {!s && !error && <p class="muted">Loading…</p>}
      {s && (
        <>
          <div class="panel">
            <h3>
              Process {visible(s.process.comm)} ({s.process.pid}) on {visible(s.process.host)}
            </h3>
            <dl class="facts">
              <dt>executable</dt>
              <dd>{visible(s.process.exe) || '—'}</dd>
              <dt>command line</dt>
              <dd>{s.process.cmdline !== undefined ? visible(s.process.cmdline) : '— (no exec seen)'}</dd>
              <dt>uid</dt>
              <dd>{s.process.uid}</dd>
              <dt>started</dt>
              <dd title={`${s.process.start} ns after boot`}>{s.process.exec ? stamp(s.process.exec) : `first seen ${stamp(s.process.first)}`}</dd>
              <dt>ended</dt>
              <dd>{s.process.exit ? `${stamp(s.process.exit)}, ${s.process.signal ? `signal ${s.process.signal}` : `exit ${s.process.exitCode}`}` : '—'}</dd>
            </dl>
            {s.others.length > 0 && (
              <p class="muted">
                pid {s.process.pid} was also:{' '}
                {s.others.map((o) => (
                  <a href={link(o)}>
                    {visible(o.comm)} (first seen {stamp(o.first)}){' '}
                  </a>
                ))}
              </p>
            )}
          </div>
          <div class="panel">
            <h3>Lineage</h3>
            <ol class="lineage" id="lineage">
              {s.end.at === 'unknown' ? (
                <li class="muted">… ancestry unknown above pid {s.end.pid} (not in the store)</li>
              ) : (
                chain[0]?.pid !== 1 && <li class="muted">init (pid 1)</li>
              )}
              {chain.map((p) => (
                <li>
                  <Proc p={p} />
                </li>
              ))}
              <li>
                <Proc p={s.process} here />
              </li>
            </ol>
          </div>
          <div class="panel">
            <div class="panel-head">
              <h3>Time line</h3>
              <div class="toggles">
                {FILTERS.map((f) => (
                  <button
                    class={`toggle t-${f}`}
                    aria-pressed={!off.has(f)}
                    onClick={() =>
                      setOff((o) => {
                        const n = new Set(o);
                        if (n.has(f)) n.delete(f);
                        else n.add(f);
                        return n;
                      })
                    }
                  >
                    {f} {num(counts.get(f) ?? 0)}
                  </button>
                ))}
              </div>
            </div>
            <ol class="timeline" id="timeline">
              {s.timeline
                .filter((e) => !off.has(classOf(e)))
                .map((e) => (
                  <li class={`t-${classOf(e)}`}>
                    <span class="t-time" title={exact(e.t)}>
                      {stamp(e.t)}
                    </span>
                    <span class="t-what">{e.what === 'event' ? e.event.type : e.what}</span>
                    {e.what === 'event' && (
                      <span class="t-text">
                        {detailText(e.event)}
                        {e.event.error && <span class="failed-tag"> {e.event.error}</span>}
                      </span>
                    )}
                    {e.what === 'child' && (
                      <span class="t-text">
                        <Proc p={e.child} />
                      </span>
                    )}
                    {e.what === 'alert' && (
                      <span class="t-text">
                        <span class={`sev sev-${e.alert.severity}`}>{e.alert.severity}</span> {visible(e.alert.rule)}: {visible(e.alert.message)}
                      </span>
                    )}
                  </li>
                ))}
            </ol>
            {s.more && <p class="muted">The time line is cut at its limit: older entries first, the rest is in the store (search by pid).</p>}
          </div>
        </>
      )}
    </section>
  );
}
