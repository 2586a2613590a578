/**
 * evt.arg.NAME, evt.rawarg.NAME and evt.args: the event's arguments under Falco's parameter names
 * (openat: fd, dirfd, name, flags, mode; connect: res, tuple, fd ...). evt.arg reads them as text
 * (flags by name), evt.rawarg as numbers where they are numbers.
 */
import type { AuditEvent, Creds } from '../../schemas/types';
import { CAPTURED, internalType } from './event-types';
import { missingField, type FieldDef, type FieldType } from './field-def';
import { flagNames } from './fields-fd';

type Arg = (ev: AuditEvent) => string | number | undefined;

const file =
  (f: (e: Extract<AuditEvent, { kind: 'file' }>['event']) => string | number): Arg =>
  (ev) =>
    ev.kind === 'file' ? f(ev.event) : undefined;
const net =
  (f: (e: Extract<AuditEvent, { kind: 'net' }>['event']) => string | number): Arg =>
  (ev) =>
    ev.kind === 'net' ? f(ev.event) : undefined;
const proc =
  (f: (e: Extract<AuditEvent, { kind: 'process' }>['event']) => string | number | undefined): Arg =>
  (ev) =>
    ev.kind === 'process' ? f(ev.event) : undefined;
const cred = (f: (c: Creds) => number | bigint): Arg => proc((e) => (e.cred_change ? String(f(e.cred_change.new)) : undefined));
const octal = (n: number): string => `0${n.toString(8)}`;

const fd = file((e) => e.result);
const AF: Record<string, string> = { inet: 'AF_INET', inet6: 'AF_INET6', unix: 'AF_UNIX', packet: 'AF_PACKET', netlink: 'AF_NETLINK' };
const name = file((e) => e.path);
const flags = file((e) => flagNames(e.flags));
const mode = file((e) => octal(e.mode));
const tuple = net((e) => (e.family === 'unix' ? e.unix_path : `${e.dst_ip}:${e.dst_port}`));
const res: Arg = (ev) => (ev.kind === 'process' ? (ev.event.kind === 'exit' ? undefined : ev.event.result) : ev.event.result);

/** The arguments of each captured type, by the producer's type name. */
const PARAMS: Record<string, [string, Arg][]> = {
  open: [
    ['fd', fd],
    ['name', name],
    ['flags', flags],
    ['mode', mode],
  ],
  openat: [
    ['fd', fd],
    ['dirfd', file((e) => e.dirfd)],
    ['name', name],
    ['flags', flags],
    ['mode', mode],
  ],
  openat2: [
    ['fd', fd],
    ['dirfd', file((e) => e.dirfd)],
    ['name', name],
    ['flags', flags],
    ['mode', mode],
  ],
  creat: [
    ['fd', fd],
    ['name', name],
    ['mode', mode],
  ],
  connect: [
    ['res', res],
    ['tuple', tuple],
    ['fd', net((e) => e.fd)],
  ],
  accept: [
    ['fd', res],
    ['tuple', tuple],
  ],
  accept4: [
    ['fd', res],
    ['tuple', tuple],
  ],
  exec: [
    ['res', res],
    ['exe', proc((e) => e.args[0])],
    ['args', proc((e) => e.args.slice(1).join(' '))],
    ['tid', proc((e) => e.process.tid)],
    ['pid', proc((e) => e.process.pid)],
    ['ptid', proc((e) => e.process.ppid)],
    ['cwd', proc((e) => e.cwd)],
    ['comm', proc((e) => e.process.comm)],
    ['filename', proc((e) => e.filename)],
  ],
  symlink: [
    ['res', res],
    ['target', file((e) => e.target)],
    ['linkpath', file((e) => e.path)],
  ],
  symlinkat: [
    ['res', res],
    ['target', file((e) => e.target)],
    ['linkdirfd', file((e) => e.dirfd)],
    ['linkpath', file((e) => e.path)],
  ],
  link: [
    ['res', res],
    ['oldpath', file((e) => e.target)],
    ['newpath', file((e) => e.path)],
  ],
  linkat: [
    ['res', res],
    ['oldpath', file((e) => e.target)],
    ['newpath', file((e) => e.path)],
    ['flags', file((e) => e.flags)],
  ],
  socket: [
    ['fd', res],
    ['domain', net((e) => AF[e.family] ?? e.family)],
    ['type', net((e) => `SOCK_${e.socket_type.toUpperCase()}`)],
    ['proto', net((e) => e.socket_protocol)],
  ],
  dup: [
    ['res', res],
    ['oldfd', net((e) => e.fd)],
  ],
  dup2: [
    ['res', res],
    ['oldfd', net((e) => e.fd)],
    ['newfd', res],
  ],
  dup3: [
    ['res', res],
    ['oldfd', net((e) => e.fd)],
    ['newfd', res],
  ],
  ptrace: [
    ['res', res],
    ['request', proc((e) => e.ptrace?.request)],
    ['pid', proc((e) => e.ptrace?.target_pid)],
    ['addr', proc((e) => e.ptrace?.addr.toString())],
    ['data', proc((e) => e.ptrace?.data.toString())],
  ],
  init_module: [
    ['res', res],
    ['length', proc((e) => e.module?.size.toString())],
    ['uargs', proc((e) => e.module?.params)],
  ],
  finit_module: [
    ['res', res],
    ['fd', proc((e) => e.module?.fd)],
    ['uargs', proc((e) => e.module?.params)],
    ['flags', proc((e) => e.module?.flags)],
  ],
  exit: [
    ['ret', proc((e) => e.exit_code)],
    ['sig', proc((e) => e.signal)],
  ],
  setuid: [
    ['res', res],
    ['uid', cred((c) => c.uid)],
  ],
  setgid: [
    ['res', res],
    ['gid', cred((c) => c.gid)],
  ],
  setreuid: [
    ['res', res],
    ['ruid', cred((c) => c.uid)],
    ['euid', cred((c) => c.euid)],
  ],
  setregid: [
    ['res', res],
    ['rgid', cred((c) => c.gid)],
    ['egid', cred((c) => c.egid)],
  ],
  setresuid: [
    ['res', res],
    ['ruid', cred((c) => c.uid)],
    ['euid', cred((c) => c.euid)],
    ['suid', cred((c) => c.suid)],
  ],
  setresgid: [
    ['res', res],
    ['rgid', cred((c) => c.gid)],
    ['egid', cred((c) => c.egid)],
    ['sgid', cred((c) => c.sgid)],
  ],
  setfsuid: [
    ['res', res],
    ['uid', cred((c) => c.fsuid)],
  ],
  setfsgid: [
    ['res', res],
    ['gid', cred((c) => c.fsgid)],
  ],
  capset: [
    ['res', res],
    ['cap_permitted', cred((c) => c.cap_permitted)],
    ['cap_effective', cred((c) => c.cap_effective)],
  ],
};

const KIND_OF: Record<string, AuditEvent['kind']> = {};
for (const e of CAPTURED) KIND_OF[e.internal] = e.kind;

const NUMERIC = new Set(['fd', 'res', 'dirfd', 'tid', 'pid', 'ptid', 'ret', 'sig', 'uid', 'gid', 'ruid', 'euid', 'suid', 'rgid', 'egid', 'sgid', 'oldfd', 'newfd', 'linkdirfd']);

/** One argument by name, per type: a map lookup per event. */
function argField(fieldName: string, param: string, raw: boolean): FieldDef {
  const byType = new Map<string, Arg>();
  for (const [t, params] of Object.entries(PARAMS)) {
    const a = params.find(([n]) => n === param);
    if (a) byType.set(t, a[1]);
  }
  if (byType.size === 0) return missingField(fieldName, `no captured event has an argument named "${param}"`);
  const numeric = raw && NUMERIC.has(param);
  const type: FieldType = numeric ? 'num' : 'str';
  return {
    name: fieldName,
    type,
    kinds: [...new Set([...byType.keys()].map((t) => KIND_OF[t]))],
    doc: `the event's argument "${param}"${raw ? ' (raw)' : ''}`,
    get: (ev) => {
      const v = byType.get(internalType(ev))?.(ev);
      return v === undefined ? undefined : numeric ? Number(v) : String(v);
    },
  };
}

/** evt.arg.NAME, evt.arg[NAME], evt.arg[N] and evt.rawarg.NAME; undefined for other names. */
export function ARG_FIELDS(name: string, arg: string | undefined): FieldDef | { error: string } | undefined {
  const m = /^evt\.(raw)?arg(?:\.([a-z0-9_]+))?$/.exec(name);
  if (!m) return undefined;
  const raw = m[1] !== undefined;
  const param = m[2] ?? arg;
  if (param === undefined) return { error: `${name} needs an argument: ${name}.NAME or ${name}[NAME]` };
  if (/^\d+$/.test(param)) {
    const n = Number(param);
    return {
      name: `${name}[${n}]`,
      type: 'str',
      kinds: ['file', 'net', 'process'],
      doc: `the event's argument number ${n}`,
      get: (ev) => {
        const v = PARAMS[internalType(ev)]?.[n]?.[1](ev);
        return v === undefined ? undefined : String(v);
      },
    };
  }
  return argField(m[2] ? name : `${name}[${param}]`, param, raw);
}

/** evt.args: "fd=3 dirfd=-100 name=/etc/passwd flags=O_RDONLY mode=00". */
export function argsLine(ev: AuditEvent): string | undefined {
  const params = PARAMS[internalType(ev)];
  return params?.map(([n, a]) => `${n}=${a(ev) ?? '<NA>'}`).join(' ');
}
