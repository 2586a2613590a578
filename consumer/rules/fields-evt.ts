/** evt.*: the event itself (type, result, time), with Falco's meanings. */
import type { AuditEvent } from '../../schemas/types';
import { errnoName as shortErrnoName } from '../core/output/errno';
import { errnoName, OPENS, typeName } from './event-types';
import { ALL_KINDS, missingField, type FieldDef } from './field-def';
import { argsLine } from './fields-args';

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TMPFILE = 0o20000000 | 0o200000;
const READ_WRITE_OPENS = new Set(['open', 'openat', 'openat2']);

const isExit = (ev: AuditEvent): boolean => ev.kind === 'process' && ev.event.kind === 'exit';

/** The result: an fd, 0 or -errno (a dup's new fd); for an exit, the exit code (this project's use of it). */
export function rawres(ev: AuditEvent): number {
  if (ev.kind === 'process') return ev.event.kind === 'exit' ? ev.event.exit_code : ev.event.result;
  return ev.event.result;
}

/** evt.res: "SUCCESS", or the error name of a failed call. */
export function resString(ev: AuditEvent): string {
  const r = rawres(ev);
  return isExit(ev) || r >= 0 ? 'SUCCESS' : errnoName(-r);
}

const failed = (ev: AuditEvent): boolean => !isExit(ev) && rawres(ev) < 0;
const openFlags = (ev: AuditEvent): number | undefined => (ev.kind === 'file' && READ_WRITE_OPENS.has(ev.event.op) ? ev.event.flags : undefined);

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Wall time parts in UTC: date, time of day, nanoseconds. */
function wall(ev: AuditEvent): { date: string; time: string; ns: string } {
  const t = ev.event.time_ns;
  const d = new Date(Number(t / 1_000_000n));
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    ns: String(t % 1_000_000_000n).padStart(9, '0'),
  };
}

const str = (name: string, doc: string, get: FieldDef['get'], same?: string): FieldDef => ({ name, type: 'str', doc, kinds: ALL_KINDS, get, same });

export const EVT_FIELDS: FieldDef[] = [
  str('evt.kind', 'file, net or process: the topic the event travels in', (ev) => ev.kind),
  str(
    'evt.type',
    "Falco's name of the event: open, openat, openat2, creat, connect, accept, accept4, execve, procexit, setuid ... capset (exec and exit are accepted for execve and procexit)",
    typeName,
  ),
  { name: 'evt.num', type: 'num', doc: "the event's number: events this detect has read so far, this one included (never 0)", kinds: ALL_KINDS, get: (_ev, ctx) => ctx.seq },
  str('evt.dir', '"<": every event here is a syscall\'s exit, with its result', () => '<'),
  str('evt.source', '"syscall"', () => 'syscall'),
  str('evt.hostname', "the host's name", (ev) => ev.event.host.name, 'host.name'),
  str('evt.time', 'the event time of day, UTC, with nanoseconds: 10:26:01.123456789', (ev) => {
    const w = wall(ev);
    return `${w.time}.${w.ns}`;
  }),
  str('evt.time.s', 'the event time of day, UTC: 10:26:01', (ev) => wall(ev).time),
  str('evt.time.iso8601', 'the event time, ISO 8601, UTC: 2026-11-30T10:26:01.123456789Z', (ev) => {
    const w = wall(ev);
    return `${w.date}T${w.time}.${w.ns}Z`;
  }),
  str('evt.datetime', 'the event date and time, UTC: 2026-11-30 10:26:01.123456789', (ev) => {
    const w = wall(ev);
    return `${w.date} ${w.time}.${w.ns}`;
  }),
  str('evt.datetime.s', 'the event date and time, UTC: 2026-11-30 10:26:01', (ev) => {
    const w = wall(ev);
    return `${w.date} ${w.time}`;
  }),
  { name: 'evt.rawtime', type: 'num', doc: 'the event time, ns since the epoch (a double: exact to about 0.25 µs)', kinds: ALL_KINDS, get: (ev) => Number(ev.event.time_ns) },
  { name: 'evt.rawtime.s', type: 'num', doc: 'the event time, whole seconds since the epoch', kinds: ALL_KINDS, get: (ev) => Number(ev.event.time_ns / 1_000_000_000n) },
  { name: 'evt.rawtime.ns', type: 'num', doc: 'the nanoseconds part of the event time', kinds: ALL_KINDS, get: (ev) => Number(ev.event.time_ns % 1_000_000_000n) },
  {
    name: 'evt.res',
    type: 'res',
    kinds: ALL_KINDS,
    get: resString,
    doc: '"SUCCESS" or the error name (ENOENT, EINPROGRESS ...). A number, or <, <=, >, >=, compares evt.rawres instead (this project\'s first meaning)',
  },
  { name: 'evt.rawres', type: 'num', doc: "the result as a number: an fd, 0 or -errno (a dup's new fd); the exit code for procexit", kinds: ALL_KINDS, get: rawres },
  { name: 'evt.failed', type: 'bool', doc: 'the call returned an error (EINPROGRESS included, as in Falco)', kinds: ALL_KINDS, get: failed },
  // This project's field, as it always was (the store searches it so): a connect in progress is not an error here.
  str('evt.errno', 'the error name of a failed call (ENOENT, EACCES ...; EINPROGRESS is not one), else ""', (ev) => {
    const r = rawres(ev);
    return !isExit(ev) && r < 0 && r !== -115 ? shortErrnoName(-r) : '';
  }),
  {
    name: 'evt.is_open_read',
    type: 'bool',
    doc: 'open, openat, openat2 for reading (O_RDONLY or O_RDWR); false for creat',
    kinds: ['file'],
    get: (ev) => {
      if (ev.kind !== 'file' || !OPENS.has(ev.event.op)) return undefined; // links are not opens
      const f = openFlags(ev);
      return f !== undefined && (f & O_ACCMODE) !== O_WRONLY;
    },
  },
  {
    name: 'evt.is_open_write',
    type: 'bool',
    doc: 'open, openat, openat2 for writing (O_WRONLY or O_RDWR); false for creat',
    kinds: ['file'],
    get: (ev) => {
      if (ev.kind !== 'file' || !OPENS.has(ev.event.op)) return undefined;
      const f = openFlags(ev);
      return f !== undefined && ((f & O_ACCMODE) === O_WRONLY || (f & O_ACCMODE) === O_RDWR);
    },
  },
  {
    name: 'evt.is_open_exec',
    type: 'bool',
    doc: 'a file created (O_CREAT, O_TMPFILE or creat) with an execute permission bit',
    kinds: ['file'],
    get: (ev) =>
      ev.kind !== 'file' || !OPENS.has(ev.event.op) ? undefined : (ev.event.op === 'creat' || (ev.event.flags & (O_CREAT | O_TMPFILE)) !== 0) && (ev.event.mode & 0o111) !== 0,
  },
  missingField('evt.is_open_create', 'the kernel side does not report whether an O_CREAT open created the file', 'bool'),
  str('evt.args', 'every argument of the event, as name=value pairs', argsLine),
];
