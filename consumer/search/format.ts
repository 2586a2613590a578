/**
 * Search output. Events print as tail prints them (text: the documented console lines; json; ecs),
 * or as CSV with one column per field for spreadsheets. Every value that reaches a terminal is
 * escaped as in tail: CSV cells too (control and bidi characters as \xNN or \uNNNN), and a cell a
 * spreadsheet would run as a formula is prefixed with a quote.
 */
import type { AuditEvent } from '../../schemas/types';
import { errnoName } from '../core/output/errno';
import { formatEcs, formatJson, isoNs, stringify } from '../core/output/json';
import { formatLine } from '../core/output/line-format';
import { escapeField } from '../core/output/text';
import type { TopRow } from './search';

export type SearchOutput = 'text' | 'json' | 'ecs' | 'csv';
export const SEARCH_OUTPUTS: readonly SearchOutput[] = ['text', 'json', 'ecs', 'csv'];

export const CSV_HEADER = 'time,time_ns,kind,type,host,pid,ppid,uid,comm,exe,path,dst_ip,dst_port,result,error,args';

function cell(v: string | number | bigint): string {
  let s = escapeField(String(v)).replace(/\\"/g, '"'); // CSV quotes its own way; backslashes stay escaped
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(ev: AuditEvent): string {
  const e = ev.event;
  const p = e.process;
  let type = '';
  let pathOrUnix = '';
  let ip = '';
  let port: number | string = '';
  let res = 0;
  let args = '';
  if (ev.kind === 'file') [type, pathOrUnix, res] = [ev.event.op, ev.event.path, ev.event.result];
  else if (ev.kind === 'net') [type, pathOrUnix, ip, port, res] = [ev.event.op, ev.event.unix_path, ev.event.dst_ip, ev.event.dst_port, ev.event.result];
  else {
    type = ev.event.kind;
    res = ev.event.kind === 'exit' ? ev.event.exit_code : 0;
    pathOrUnix = ev.event.filename;
    args = ev.event.args.join(' ');
  }
  const failed = ev.kind !== 'process' && res < 0 && res !== -115;
  return [isoNs(e.time_ns), e.time_ns, ev.kind, type, e.host.name, p.pid, p.ppid, p.uid >>> 0, p.comm, p.exe, pathOrUnix, ip, port, res, failed ? errnoName(-res) : '', args]
    .map(cell)
    .join(',');
}

const FORMATS: Record<SearchOutput, (ev: AuditEvent) => string> = { text: formatLine, json: formatJson, ecs: formatEcs, csv: formatCsv };

export function eventFormatter(o: SearchOutput): (ev: AuditEvent) => string {
  return FORMATS[o];
}

export function formatTop(rows: TopRow[], fields: string[], o: SearchOutput): string[] {
  if (o === 'json' || o === 'ecs')
    return rows.map((r) => stringify({ [fields[0]]: r.value, events: r.events, ...(r.distinct === undefined ? {} : { [`distinct ${fields[1]}`]: r.distinct }) }));
  if (o === 'csv')
    return [
      [fields[0], 'events', ...(fields[1] ? [`distinct ${fields[1]}`] : [])].map(cell).join(','),
      ...rows.map((r) => [r.value, r.events, ...(r.distinct === undefined ? [] : [r.distinct])].map(cell).join(',')),
    ];
  return rows.map(
    (r) => `${String(r.distinct ?? r.events).padStart(10)}${r.distinct === undefined ? '' : ` distinct ${fields[1]} in ${r.events} events`}  "${escapeField(r.value)}"`,
  );
}

export function formatHistogram(rows: { startNs: bigint; events: number }[], o: SearchOutput): string[] {
  if (o === 'json' || o === 'ecs') return rows.map((r) => stringify({ time: isoNs(r.startNs), events: r.events }));
  if (o === 'csv') return ['time,events', ...rows.map((r) => `${isoNs(r.startNs)},${r.events}`)];
  return rows.map((r) => `${isoNs(r.startNs)} ${String(r.events).padStart(10)}`);
}
