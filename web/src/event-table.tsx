/**
 * Events as rows in the console line's fields, virtualized: only the rows in view (and a few
 * around) are in the DOM, whatever the number of rows held, so a fast stream costs a few dozen
 * elements. New rows at the top do not move what a reader scrolled to.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { EventRow } from '../../consumer/web/api-types';
import { href } from './api';
import { clock, exact, visible } from './text';

const H = 26;
const OVERSCAN = 8;

export const procLink = (r: { hostId: string; pid: number; start: string }): string => href('process', { host: r.hostId, pid: r.pid, start: r.start });

/** The detail column: what the event is about. */
export function detailText(r: EventRow): string {
  if (r.kind === 'process' && r.type === 'exec') return `${visible(r.detail)}  ${(r.args ?? []).map((a) => `"${visible(a)}"`).join(' ')}`;
  return visible(r.detail);
}

interface Props {
  rows: EventRow[];
  onSelect?: (r: EventRow) => void;
  selected?: EventRow;
  class?: string;
  empty?: string;
}

export function EventTable({ rows, onSelect, selected, class: cls = '', empty = 'No events.' }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const first = useRef<EventRow | undefined>(undefined);

  // Rows added above the first one shown: keep the reader's place when scrolled down.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const prev = first.current;
    first.current = rows[0];
    if (!prev || el.scrollTop === 0 || rows[0] === prev) return;
    const moved = rows.indexOf(prev);
    if (moved > 0) el.scrollTop += moved * H;
  }, [rows]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const from = Math.max(0, Math.floor(top / H) - OVERSCAN);
  const to = Math.min(rows.length, Math.ceil((top + height) / H) + OVERSCAN);
  const shown = [];
  for (let i = from; i < to; i++) {
    const r = rows[i];
    shown.push(
      <div
        key={i}
        class={`tr kind-${r.kind}${r.error ? ' failed' : ''}${r === selected ? ' sel' : ''}`}
        style={{ transform: `translateY(${i * H}px)` }}
        onClick={() => onSelect?.(r)}
      >
        <span class="c-time" title={exact(r.time)}>
          {clock(r.time)}
        </span>
        <span class="c-host" title={visible(r.hostId)}>
          {visible(r.host)}
        </span>
        <span class="c-type">
          <span class={`tag k-${r.kind}`}>{r.type}</span>
        </span>
        <span class="c-pid">
          <a href={procLink(r)} title="process view" onClick={(e) => e.stopPropagation()}>
            {r.pid}
          </a>
        </span>
        <span class="c-comm">{visible(r.comm)}</span>
        <span class="c-exe" title={visible(r.exe)}>
          {visible(r.exe)}
        </span>
        <span class="c-detail" title={detailText(r)}>
          {detailText(r)}
        </span>
        <span class="c-res">{r.error}</span>
      </div>,
    );
  }
  return (
    <div class={`etable ${cls}`}>
      <div class="thead">
        <span class="c-time">time</span>
        <span class="c-host">host</span>
        <span class="c-type">type</span>
        <span class="c-pid">pid</span>
        <span class="c-comm">comm</span>
        <span class="c-exe">exe</span>
        <span class="c-detail">path / destination / program</span>
        <span class="c-res">error</span>
      </div>
      <div class="vt" ref={box} onScroll={(e) => setTop((e.target as HTMLDivElement).scrollTop)} data-rows={rows.length}>
        <div class="vt-space" style={{ height: `${rows.length * H}px` }}>
          {shown}
        </div>
        {rows.length === 0 && <div class="empty">{empty}</div>}
      </div>
    </div>
  );
}

/** Every field of one event, as a definition list. */
export function EventDetail({ r, onClose }: { r: EventRow; onClose?: () => void }) {
  const fields: [string, string][] = [
    ['time', exact(r.time)],
    ['kind / type', `${r.kind} / ${r.type}`],
    ['host', `${visible(r.host)} (${visible(r.hostId)})`],
    ['process', `pid ${r.pid}, tid ${r.tid}, ppid ${r.ppid}, uid ${r.uid}, started ${r.start} ns after boot`],
    ['comm', visible(r.comm)],
    ['exe', visible(r.exe)],
    [r.kind === 'file' ? 'path' : r.kind === 'net' ? 'destination' : 'detail', visible(r.detail)],
  ];
  if (r.args) fields.push(['args', r.args.map((a) => `"${visible(a)}"`).join(' ')]);
  if (r.error) fields.push(['error', r.error]);
  if (r.container) fields.push(['container', visible(r.container)]);
  return (
    <div class="detail">
      <div class="detail-head">
        <strong>Event</strong>
        <a href={procLink(r)}>
          process view of {visible(r.comm)} ({r.pid}) →
        </a>
        {onClose && (
          <button class="link" onClick={onClose}>
            close
          </button>
        )}
      </div>
      <dl>
        {fields.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
    </div>
  );
}
