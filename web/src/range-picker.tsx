/**
 * A time range: relative (the last 15 minutes ... 7 days, moving with now) or absolute (from/to in
 * local time). The value is what the API takes: since/until as a duration back from now or ms.
 */
import { useState } from 'preact/hooks';

export const PRESETS = ['15m', '1h', '6h', '24h', '7d'];

export interface RangeValue {
  since: string;
  until?: string;
}

const local = (ms: number): string => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
};

function toMs(v: string, now = Date.now()): number {
  if (/^\d+$/.test(v)) return Number(v);
  const m = /^(\d+)([smhd])$/.exec(v);
  if (m) return now - Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's']!;
  return Date.parse(v);
}

export function rangeLabel(r: RangeValue): string {
  if (!r.until && PRESETS.includes(r.since)) return `last ${r.since}`;
  return `${new Date(toMs(r.since)).toLocaleString()} – ${r.until ? new Date(toMs(r.until)).toLocaleString() : 'now'}`;
}

export function RangePicker({ value, onChange }: { value: RangeValue; onChange: (r: RangeValue) => void }) {
  const absolute = !!value.until || !PRESETS.includes(value.since);
  const [from, setFrom] = useState(local(toMs(value.since)));
  const [to, setTo] = useState(local(value.until ? toMs(value.until) : Date.now()));
  return (
    <div class="range">
      {PRESETS.map((p) => (
        <button class="toggle" aria-pressed={!absolute && value.since === p} onClick={() => onChange({ since: p })}>
          {p}
        </button>
      ))}
      <label>
        from <input type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        to <input type="datetime-local" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      </label>
      <button
        class={absolute ? 'toggle' : ''}
        aria-pressed={absolute}
        onClick={() => {
          const a = Date.parse(from);
          const b = Date.parse(to);
          if (!Number.isNaN(a) && !Number.isNaN(b) && b > a) onChange({ since: String(a), until: String(b) });
        }}
      >
        set range
      </button>
    </div>
  );
}
