/**
 * fd.* (Falco's file descriptor of the event), file.* and net.* (this project's first names).
 *
 * For an open the fd is the file: fd.name is the path made absolute and normalized (no "." or ".."
 * components), fd.nameraw the path as the kernel side captured it (absolute, not normalized). For
 * a connect or an accept the fd is the socket: the server is the remote end of a connect and the
 * local end of an accept. Only the remote end is captured, so the local address and port (fd.lip,
 * fd.lport; fd.cip of a connect, fd.sip of an accept) have no value and fd.name's tuple shows the
 * local end as 0.0.0.0:0, as Falco does for an unbound socket.
 */
import * as path from 'node:path';
import type { AuditEvent, FileEvent, NetEvent } from '../../schemas/types';
import { missingField, type FieldDef, type FieldType } from './field-def';
import type { EvalContext } from './process-tree';

const O_ACCMODE = 3;
const O_DIRECTORY = 0o200000;
const FLAG_NAMES: [number, string][] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o40000, 'O_DIRECT'], [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'], [0o20000000, 'O_TMPFILE'],
];

/** "O_WRONLY|O_CREAT|O_TRUNC": what `file.flags contains O_TRUNC` looks in. */
export function flagNames(flags: number): string {
  const acc = flags & O_ACCMODE;
  const out = [acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : 'O_RDONLY'];
  for (const [bit, name] of FLAG_NAMES) if ((flags & bit) === bit) out.push(name);
  return out.join('|');
}

/** The path without "." and ".." components or repeated slashes; the same string when it has none. */
export function normalizePath(p: string): string {
  if (!p.includes('/.') && !p.includes('//') && (p.length < 2 || !p.endsWith('/'))) return p;
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

const isV4 = (ip: string): boolean => ip.includes('.') && !ip.includes(':');
const inet = (e: NetEvent): boolean => e.family !== 'unix';
const server = (e: NetEvent): boolean => e.op === 'connect'; // the remote end is the server

type Get = (ev: AuditEvent, ctx: EvalContext) => string | number | boolean | undefined;
const onFile = (f: (e: FileEvent) => string | number | boolean | undefined): Get => (ev) => (ev.kind === 'file' ? f(ev.event) : undefined);
const onNet = (f: (e: NetEvent) => string | number | boolean | undefined): Get => (ev) => (ev.kind === 'net' ? f(ev.event) : undefined);
const onBoth = (file: (e: FileEvent) => string | number | boolean | undefined, net: (e: NetEvent) => string | number | boolean | undefined): Get =>
  (ev) => (ev.kind === 'file' ? file(ev.event) : ev.kind === 'net' ? net(ev.event) : undefined);

const def = (name: string, type: FieldType, doc: string, kinds: FieldDef['kinds'], get: Get, same?: string): FieldDef => ({ name, type, doc, kinds, get, same });
const F: FieldDef['kinds'] = ['file'];
const N: FieldDef['kinds'] = ['net'];
const FN: FieldDef['kinds'] = ['file', 'net'];

const remote = (e: NetEvent): string | undefined => (inet(e) ? e.dst_ip : undefined);
const remotePort = (e: NetEvent): number | undefined => (inet(e) ? e.dst_port : undefined);
const tuple = (e: NetEvent): string => {
  const local = isV4(e.dst_ip) ? '0.0.0.0:0' : ':::0';
  return server(e) ? `${local}->${e.dst_ip}:${e.dst_port}` : `${e.dst_ip}:${e.dst_port}->${local}`;
};
const typeOf = (ev: AuditEvent): [string, string] | undefined => {
  if (ev.kind === 'file') return ev.event.flags & O_DIRECTORY ? ['directory', 'd'] : ['file', 'f'];
  if (ev.kind !== 'net') return undefined;
  if (!inet(ev.event)) return ['unix', 'u'];
  return isV4(ev.event.dst_ip) ? ['ipv4', '4'] : ['ipv6', '6'];
};

export const FD_FIELDS: FieldDef[] = [
  def('file.path', 'str', 'the path opened, absolute, as captured (not normalized)', F, onFile((e) => e.path), 'fd.nameraw'),
  def('file.name', 'str', 'its last component', F, onFile((e) => e.path.slice(e.path.lastIndexOf('/') + 1))),
  def('file.directory', 'str', 'the path without its last component', F, onFile((e) => e.path.slice(0, Math.max(e.path.lastIndexOf('/'), 1)))),
  def('file.flags', 'str', 'open flags by name: O_WRONLY|O_CREAT|O_TRUNC', F, onFile((e) => flagNames(e.flags)), 'evt.arg.flags'),
  def('file.mode', 'num', 'creation mode', F, onFile((e) => e.mode)),
  def('net.dst_ip', 'ip', 'remote address: the destination of a connect, the peer of an accept; "" for unix sockets', N, onNet((e) => e.dst_ip), 'fd.rip'),
  def('net.dst_port', 'num', 'remote port', N, onNet((e) => e.dst_port), 'fd.rport'),
  def('net.proto', 'str', 'tcp, udp, unix, raw ...', N, onNet((e) => e.protocol), 'fd.l4proto'),
  def('net.family', 'str', 'inet, inet6 or unix', N, onNet((e) => e.family)),
  def('net.unix_path', 'str', 'unix socket path (@name for abstract ones)', N, onNet((e) => e.unix_path)),

  def('fd.num', 'num', 'the fd: the result of an open or accept (-1 when it failed), the socket of a connect', FN, onBoth((e) => (e.result < 0 ? -1 : e.result), (e) => (e.op === 'connect' ? e.fd : e.result < 0 ? -1 : e.result))),
  def('fd.type', 'str', 'file, directory, ipv4, ipv6 or unix', FN, (ev) => typeOf(ev)?.[0]),
  def('fd.typechar', 'str', 'f (file), d (directory), 4 (IPv4), 6 (IPv6), u (unix)', FN, (ev) => typeOf(ev)?.[1]),
  def('fd.name', 'str', 'a file\'s absolute, normalized path; a socket\'s tuple "cip:cport->sip:sport" (local end 0.0.0.0:0, not captured); a unix socket\'s path', FN,
    onBoth((e) => normalizePath(e.path), (e) => (inet(e) ? tuple(e) : e.unix_path))),
  def('fd.nameraw', 'str', 'a file\'s path as captured: absolute, not normalized', F, onFile((e) => e.path), 'file.path'),
  def('fd.directory', 'str', 'the directory of fd.name', F, onFile((e) => path.posix.dirname(normalizePath(e.path)))),
  def('fd.filename', 'str', 'the last component of fd.name', F, onFile((e) => path.posix.basename(normalizePath(e.path)))),
  def('fd.sip', 'ip', 'server address: the destination of a connect (an accept\'s local address is not captured)', N, onNet((e) => (server(e) ? remote(e) : undefined))),
  def('fd.cip', 'ip', 'client address: the peer of an accept (a connect\'s local address is not captured)', N, onNet((e) => (server(e) ? undefined : remote(e)))),
  def('fd.rip', 'ip', 'remote address', N, onNet(remote), 'net.dst_ip'),
  def('fd.sport', 'num', 'server port: the destination port of a connect', N, onNet((e) => (server(e) ? remotePort(e) : undefined))),
  def('fd.cport', 'num', 'client port: the peer port of an accept', N, onNet((e) => (server(e) ? undefined : remotePort(e)))),
  def('fd.rport', 'num', 'remote port', N, onNet(remotePort), 'net.dst_port'),
  def('fd.ip', 'ip', 'matches the client or the server address (whichever is captured)', N, onNet(remote)),
  def('fd.port', 'num', 'matches the client or the server port (whichever is captured)', N, onNet(remotePort)),
  def('fd.net', 'ip', 'matches the client or server network: compare with a CIDR', N, onNet(remote)),
  def('fd.snet', 'ip', 'matches the server network', N, onNet((e) => (server(e) ? remote(e) : undefined))),
  def('fd.cnet', 'ip', 'matches the client network', N, onNet((e) => (server(e) ? undefined : remote(e)))),
  def('fd.rnet', 'ip', 'matches the remote network', N, onNet(remote)),
  def('fd.l4proto', 'str', 'tcp, udp, icmp or raw (IP sockets)', N, onNet((e) => (inet(e) ? e.protocol : undefined)), 'net.proto'),
  def('fd.sockfamily', 'str', 'ip or unix', N, onNet((e) => (inet(e) ? 'ip' : 'unix'))),
  def('fd.is_server', 'bool', 'the process is the server end: true for an accept', N, onNet((e) => !server(e))),
  def('fd.connected', 'bool', 'the socket is connected: a connect that returned 0, an accept', N, onNet((e) => (e.op === 'connect' ? e.result === 0 : e.result >= 0))),
  def('fd.sip.name', 'str', 'a domain name the server address resolves from (=, != and in: the name is resolved and the address compared)', N,
    (ev, ctx) => (ev.kind === 'net' && server(ev.event) && inet(ev.event) ? ctx.names.namesOf(ev.event.dst_ip).join(' ') || undefined : undefined)),
  def('fd.rip.name', 'str', 'a domain name the remote address resolves from (as fd.sip.name)', N,
    (ev, ctx) => (ev.kind === 'net' && inet(ev.event) ? ctx.names.namesOf(ev.event.dst_ip).join(' ') || undefined : undefined)),
  def('fd.cip.name', 'str', 'a domain name the client address resolves from (as fd.sip.name)', N,
    (ev, ctx) => (ev.kind === 'net' && !server(ev.event) && inet(ev.event) ? ctx.names.namesOf(ev.event.dst_ip).join(' ') || undefined : undefined)),
  ...['fd.lip', 'fd.lnet', 'fd.lip.name'].map((n) => missingField(n, 'the local address of sockets is not captured', 'ip')),
  missingField('fd.lport', 'the local port of sockets is not captured', 'num'),
  missingField('fd.name_changed', 'sendto and sendmsg, where a socket\'s tuple can change, are not captured', 'bool'),
];

/** The names resolved for fd.*ip.name comparisons: which end of the socket each reads. */
export const NAME_FIELDS: Record<string, (e: NetEvent) => string | undefined> = {
  'fd.sip.name': (e) => (server(e) ? remote(e) : undefined),
  'fd.rip.name': remote,
  'fd.cip.name': (e) => (server(e) ? undefined : remote(e)),
};
