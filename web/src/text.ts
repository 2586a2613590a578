/**
 * Showing captured values. Every event value is rendered as text (preact text nodes), never as
 * HTML; on top of that, characters that could mislead a reader are made visible, as the console
 * lines do: control characters, line separators and bidi overrides (which can make "gpj.exe"
 * read as "exe.jpg") appear as \xNN or \uNNNN, and a backslash as \\ so those escapes are unambiguous.
 */
const HIDDEN = /[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/g;

export function visible(s: string): string {
  return s.replace(HIDDEN, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ns since the epoch (string) -> Date (ms precision). */
export const dateOf = (ns: string): Date => new Date(Number(BigInt(ns) / 1_000_000n));

/** "14:03:07.123" in local time. */
export function clock(ns: string): string {
  const d = dateOf(ns);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "2026-11-24 14:03:07.123" in local time. */
export function stamp(ns: string): string {
  const d = dateOf(ns);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ns)}`;
}

/** The exact time, for a tooltip: ISO 8601 UTC with nanoseconds. */
export function exact(ns: string): string {
  const b = BigInt(ns);
  const iso = new Date(Number(b / 1_000_000n)).toISOString().slice(0, 19);
  return `${iso}.${(b % 1_000_000_000n).toString().padStart(9, '0')}Z (${ns.slice(0, -9)}.${ns.slice(-9)})`;
}

/** "3 s ago", "5 min ago", "2 h ago". */
export function ago(ns: string | undefined, nowMs = Date.now()): string {
  if (!ns) return '—';
  const s = Math.max(0, Math.round((nowMs - Number(BigInt(ns) / 1_000_000n)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export const num = (n: number): string => n.toLocaleString('en-US');

/** A value as a quoted string of the rules' language. */
export const quote = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
