/**
 * Human log lines for a terminal: `12:03:04.567 WARN  publisher: spooling to disk … reason="…"`.
 * pino still builds each record as JSON; this destination turns it into one short line. Every
 * value is escaped: control characters (C0, DEL and C1, which a terminal would act on) print as
 * \xNN, so a logged path or message can neither forge a line nor move the cursor.
 */
import * as fs from 'node:fs';

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[90m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[41;97m'],
};
const RESET = '\x1b[0m';
/** Fields every line has, shown in the prefix or not at all. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component']);

export const escapeControl = (s: string): string => s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[\w./:@+-]+$/.test(v) ? v : escapeControl(JSON.stringify(v));
  if (v !== null && typeof v === 'object') {
    const e = v as { message?: unknown; type?: unknown; stack?: unknown };
    if (typeof e.message === 'string' && typeof e.stack === 'string') return escapeControl(JSON.stringify(e.message)); // a serialized error
    return escapeControl(JSON.stringify(v));
  }
  return String(v);
}

function clock(t: unknown): string {
  const d = typeof t === 'string' || typeof t === 'number' ? new Date(t) : new Date();
  return Number.isNaN(d.getTime()) ? '' : d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

/** One JSON log record as a human line (with a trailing newline). */
export function formatRecord(json: string, color: boolean): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return escapeControl(json.trimEnd()) + '\n';
  }
  const level = Number(r.level);
  const [label, paint] = LEVELS[level] ?? [String(r.level).padEnd(5), ''];
  const who = typeof r.component === 'string' ? `${escapeControl(r.component)}: ` : '';
  let line = `${clock(r.time)} ${color && paint ? paint + label + RESET : label} ${who}${escapeControl(String(r.msg ?? ''))}`;
  for (const [k, v] of Object.entries(r)) if (!SKIP.has(k) && v !== undefined) line += ` ${escapeControl(k)}=${value(v)}`;
  // A failure's stack, indented under its line.
  const stack = (r.err as { stack?: unknown } | undefined)?.stack;
  if (level >= 50 && typeof stack === 'string')
    line +=
      '\n' +
      escapeControl(stack)
        .split('\\x0a')
        .slice(1)
        .map((l) => `    ${l.trim()}`)
        .join('\n');
  return line + '\n';
}

/** A pino destination writing human lines to `fd`, synchronously (a line must not be lost at exit). */
export function prettyDestination(fd: number, color: boolean): { write(s: string): void } {
  return {
    write(s: string) {
      fs.writeSync(fd, formatRecord(s, color));
    },
  };
}
