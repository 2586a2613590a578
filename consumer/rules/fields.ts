/**
 * The fields a condition or an output template can name, and how each is read from an event.
 * A field that does not apply to an event's kind reads as undefined, and every comparison on it is
 * false (as in Falco): `file.path startswith /etc` never matches a connect.
 */
import type { AuditEvent, EventKind } from '../../schemas/types';
import { errnoName } from '../core/output/errno';
import { formatTimestamp } from '../core/output/text';

export type FieldType = 'str' | 'num' | 'ip' | 'bool';
export type FieldValue = string | number | boolean | undefined;

/** What a rule knows beyond the event itself: the command lines and names of processes seen. */
export interface ProcessLookup {
  /** argv of the process's last exec seen, joined by spaces; "" when unknown. */
  cmdline(ev: AuditEvent): string;
  /** The parent's command name; "" when unknown. */
  parentName(ev: AuditEvent): string;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  doc: string;
  /** The kinds the field applies to. */
  kinds: readonly EventKind[];
  get(ev: AuditEvent, ctx: ProcessLookup): FieldValue;
}

const ALL: readonly EventKind[] = ['file', 'net', 'process'];
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const FLAG_NAMES: [number, string][] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o40000, 'O_DIRECT'], [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'], [0o20000000, 'O_TMPFILE'],
];

/** "O_WRONLY|O_CREAT|O_TRUNC": what `file.flags contains O_TRUNC` looks in. */
export function flagNames(flags: number): string {
  const acc = flags & O_ACCMODE;
  const out = [acc === O_WRONLY ? 'O_WRONLY' : acc === O_RDWR ? 'O_RDWR' : 'O_RDONLY'];
  for (const [bit, name] of FLAG_NAMES) if ((flags & bit) === bit) out.push(name);
  return out.join('|');
}

const EINPROGRESS = -115;

function result(ev: AuditEvent): number {
  if (ev.kind === 'process') return ev.event.kind === 'exit' ? ev.event.exit_code : 0;
  return ev.event.result;
}

function failed(ev: AuditEvent): boolean {
  const r = result(ev);
  return ev.kind !== 'process' && r < 0 && r !== EINPROGRESS;
}

const credFields = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'] as const;

function credDefs(): FieldDef[] {
  const defs: FieldDef[] = [];
  for (const when of ['old', 'new'] as const) {
    for (const f of credFields) {
      defs.push({
        name: `cred.${when}.${f}`, type: 'num', kinds: ['process'], doc: `privilege changes: the ${f} ${when === 'old' ? 'before' : 'after'} the call`,
        get: (ev) => (ev.kind === 'process' && ev.event.cred_change ? ev.event.cred_change[when][f] >>> 0 : undefined),
      });
    }
  }
  return defs;
}

const DEFS: FieldDef[] = [
  { name: 'evt.kind', type: 'str', kinds: ALL, doc: 'file, net or process', get: (ev) => ev.kind },
  {
    name: 'evt.type', type: 'str', kinds: ALL, doc: 'the syscall or event: open, openat, openat2, creat, connect, accept, accept4, exec, exit, setuid ... capset',
    get: (ev) => (ev.kind === 'process' ? ev.event.kind : ev.event.op),
  },
  { name: 'evt.time', type: 'str', kinds: ALL, doc: 'the event time, seconds since the epoch with nine decimals', get: (ev) => formatTimestamp(ev.event.time_ns) },
  { name: 'evt.res', type: 'num', kinds: ALL, doc: 'the result: an fd, 0, or -errno; the exit code for exit', get: result },
  { name: 'evt.failed', type: 'bool', kinds: ALL, doc: 'true when an open or connect failed (EINPROGRESS is not a failure)', get: failed },
  { name: 'evt.errno', type: 'str', kinds: ALL, doc: 'the error name of a failed call (ENOENT, EACCES ...), else ""', get: (ev) => (failed(ev) ? errnoName(-result(ev)) : '') },
  {
    name: 'evt.is_open_write', type: 'bool', kinds: ['file'], doc: 'opened for writing (O_WRONLY, O_RDWR, O_CREAT or O_TRUNC)',
    get: (ev) => (ev.kind === 'file' ? (ev.event.flags & O_ACCMODE) !== 0 || (ev.event.flags & (O_CREAT | O_TRUNC)) !== 0 : undefined),
  },
  {
    name: 'evt.is_open_read', type: 'bool', kinds: ['file'], doc: 'opened for reading (O_RDONLY or O_RDWR)',
    get: (ev) => (ev.kind === 'file' ? (ev.event.flags & O_ACCMODE) !== O_WRONLY : undefined),
  },
  { name: 'proc.pid', type: 'num', kinds: ALL, doc: 'process id', get: (ev) => ev.event.process.pid },
  { name: 'proc.tid', type: 'num', kinds: ALL, doc: 'thread id', get: (ev) => ev.event.process.tid },
  { name: 'proc.ppid', type: 'num', kinds: ALL, doc: 'parent process id', get: (ev) => ev.event.process.ppid },
  { name: 'proc.uid', type: 'num', kinds: ALL, doc: 'real user id', get: (ev) => ev.event.process.uid >>> 0 },
  { name: 'proc.euid', type: 'num', kinds: ALL, doc: 'effective user id', get: (ev) => ev.event.process.euid >>> 0 },
  { name: 'proc.gid', type: 'num', kinds: ALL, doc: 'real group id', get: (ev) => ev.event.process.gid >>> 0 },
  { name: 'proc.egid', type: 'num', kinds: ALL, doc: 'effective group id', get: (ev) => ev.event.process.egid >>> 0 },
  { name: 'proc.name', type: 'str', kinds: ALL, doc: 'command name (comm, at most 15 bytes)', get: (ev) => ev.event.process.comm },
  { name: 'proc.exe', type: 'str', kinds: ALL, doc: 'executable path, as /proc/PID/exe shows it ("/memfd:NAME (deleted)", "/path (deleted)")', get: (ev) => ev.event.process.exe },
  { name: 'proc.exe_from_memfd', type: 'bool', kinds: ALL, doc: 'the executable is a memfd (memfd_create + fexecve): fileless', get: (ev) => ev.event.process.exe_from_memfd },
  { name: 'proc.exe_deleted', type: 'bool', kinds: ALL, doc: 'the executable has no name on disk at this event: deleted or replaced since start, O_TMPFILE, memfd', get: (ev) => ev.event.process.exe_deleted },
  {
    name: 'proc.exe_fileless', type: 'bool', kinds: ALL, doc: 'fileless: the executable is a memfd, or not on disk (deleted after start, replaced, O_TMPFILE)',
    get: (ev) => ev.event.process.exe_from_memfd || ev.event.process.exe_deleted,
  },
  {
    // A double: exact to a few ns even after a year of uptime, and much cheaper in keys than a BigInt.
    name: 'proc.start', type: 'num', kinds: ALL, doc: 'process start time, ns since boot: with proc.pid, a process identity that survives pid reuse',
    get: (ev) => Number(ev.event.process.start_time_ns),
  },
  { name: 'proc.cmdline', type: 'str', kinds: ALL, doc: 'argv joined by spaces: from the event for exec, else from the last exec seen of the process ("" if none)', get: (ev, ctx) => ctx.cmdline(ev) },
  { name: 'proc.pname', type: 'str', kinds: ALL, doc: 'parent command name, when the parent has been seen', get: (ev, ctx) => ctx.parentName(ev) },
  { name: 'proc.cwd', type: 'str', kinds: ['process'], doc: 'exec: the working directory', get: (ev) => (ev.kind === 'process' && ev.event.kind === 'exec' ? ev.event.cwd : undefined) },
  { name: 'file.path', type: 'str', kinds: ['file'], doc: 'absolute path opened', get: (ev) => (ev.kind === 'file' ? ev.event.path : undefined) },
  {
    name: 'file.name', type: 'str', kinds: ['file'], doc: 'last path component',
    get: (ev) => (ev.kind === 'file' ? ev.event.path.slice(ev.event.path.lastIndexOf('/') + 1) : undefined),
  },
  {
    name: 'file.directory', type: 'str', kinds: ['file'], doc: 'path without its last component',
    get: (ev) => (ev.kind === 'file' ? ev.event.path.slice(0, Math.max(ev.event.path.lastIndexOf('/'), 1)) : undefined),
  },
  { name: 'file.flags', type: 'str', kinds: ['file'], doc: 'open flags by name: O_WRONLY|O_CREAT|O_TRUNC', get: (ev) => (ev.kind === 'file' ? flagNames(ev.event.flags) : undefined) },
  { name: 'file.mode', type: 'num', kinds: ['file'], doc: 'creation mode', get: (ev) => (ev.kind === 'file' ? ev.event.mode : undefined) },
  { name: 'net.dst_ip', type: 'ip', kinds: ['net'], doc: 'destination (connect) or peer (accept) address; "" for unix sockets', get: (ev) => (ev.kind === 'net' ? ev.event.dst_ip : undefined) },
  { name: 'net.dst_port', type: 'num', kinds: ['net'], doc: 'destination or peer port', get: (ev) => (ev.kind === 'net' ? ev.event.dst_port : undefined) },
  { name: 'net.proto', type: 'str', kinds: ['net'], doc: 'tcp, udp, unix, raw ...', get: (ev) => (ev.kind === 'net' ? ev.event.protocol : undefined) },
  { name: 'net.family', type: 'str', kinds: ['net'], doc: 'inet, inet6 or unix', get: (ev) => (ev.kind === 'net' ? ev.event.family : undefined) },
  { name: 'net.unix_path', type: 'str', kinds: ['net'], doc: 'unix socket path (@name for abstract ones)', get: (ev) => (ev.kind === 'net' ? ev.event.unix_path : undefined) },
  { name: 'host.name', type: 'str', kinds: ALL, doc: 'host name', get: (ev) => ev.event.host.name },
  { name: 'host.id', type: 'str', kinds: ALL, doc: 'host id (machine id)', get: (ev) => ev.event.host.id },
  { name: 'container.id', type: 'str', kinds: ALL, doc: 'container id, "" on the host', get: (ev) => ev.event.process.container_id },
  ...credDefs(),
  {
    name: 'cred.changed', type: 'bool', kinds: ['process'], doc: 'privilege changes: some id or capability set differs after the call',
    get: (ev) => {
      if (ev.kind !== 'process' || !ev.event.cred_change) return undefined;
      const { old: o, new: n } = ev.event.cred_change;
      return credFields.some((f) => o[f] !== n[f]) || o.cap_effective !== n.cap_effective || o.cap_permitted !== n.cap_permitted;
    },
  },
  {
    name: 'cred.to_root', type: 'bool', kinds: ['process'], doc: 'privilege changes: the real or effective uid became 0 from another',
    get: (ev) => {
      if (ev.kind !== 'process' || !ev.event.cred_change) return undefined;
      const { old: o, new: n } = ev.event.cred_change;
      return (n.uid === 0 && o.uid !== 0) || (n.euid === 0 && o.euid !== 0);
    },
  },
  {
    name: 'cred.caps_raised', type: 'bool', kinds: ['process'], doc: 'privilege changes: the effective capability set gained a capability',
    get: (ev) => {
      if (ev.kind !== 'process' || !ev.event.cred_change) return undefined;
      const { old: o, new: n } = ev.event.cred_change;
      return (n.cap_effective & ~o.cap_effective) !== 0n;
    },
  },
];

export const FIELDS: ReadonlyMap<string, FieldDef> = new Map(DEFS.map((d) => [d.name, d]));

/** Which kinds produce each evt.type value: lets `evt.type = connect` skip file and process events. */
export const TYPE_KINDS: Record<string, EventKind> = {
  open: 'file', openat: 'file', openat2: 'file', creat: 'file',
  connect: 'net', accept: 'net', accept4: 'net',
  exec: 'process', exit: 'process', setuid: 'process', setgid: 'process', setreuid: 'process', setregid: 'process',
  setresuid: 'process', setresgid: 'process', setfsuid: 'process', setfsgid: 'process', capset: 'process',
};
