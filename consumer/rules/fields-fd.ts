/**
 * fd.* (Falco's file descriptor of the event), file.* and net.* (this project's first names).
 *
 * For an open the fd is the file: fd.name is the path made absolute and normalized (no "." or ".."
 * components), fd.nameraw the path as the kernel side captured it (absolute, not normalized). Links
 * have no fd (their paths are file.path, file.target and Falco's fs.path.*). For a connect, an
 * accept, a socket or a dup the fd is the socket: the server is the remote end of a connect (and of
 * a dup's socket) and the local end of an accept; fd.name is the tuple "cip:cport->sip:sport".
 */
import * as path from 'node:path';
import type { AuditEvent, FileEvent, NetEvent } from '../../schemas/types';
import { OPENS } from './event-types';
import { missingField, type FieldDef, type FieldType } from './field-def';
import type { EvalContext } from './process-tree';

const O_ACCMODE = 3;
const O_DIRECTORY = 0o200000;
/** open(2)'s flag bits by name, as evt.arg.flags prints them (the store's SQL prints the same). */
export const FLAG_NAMES: [number, string][] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o10000, 'O_DSYNC'],
  [0o40000, 'O_DIRECT'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
  [0o20000000, 'O_TMPFILE'],
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
const inet = (e: NetEvent): boolean => e.family === 'inet' || e.family === 'inet6';
/** The remote end is the server, except for an accept (and a fresh socket has no ends). */
const server = (e: NetEvent): boolean => e.op !== 'accept' && e.op !== 'accept4';
const hasEnds = (e: NetEvent): boolean => inet(e) && e.op !== 'socket';

type Get = (ev: AuditEvent, ctx: EvalContext) => string | number | boolean | undefined;
const onOpen =
  (f: (e: FileEvent) => string | number | boolean | undefined): Get =>
  (ev) =>
    ev.kind === 'file' && OPENS.has(ev.event.op) ? f(ev.event) : undefined;
const onFile =
  (f: (e: FileEvent) => string | number | boolean | undefined): Get =>
  (ev) =>
    ev.kind === 'file' ? f(ev.event) : undefined;
const onLink =
  (f: (e: FileEvent) => string | number | boolean | undefined): Get =>
  (ev) =>
    ev.kind === 'file' && !OPENS.has(ev.event.op) ? f(ev.event) : undefined;
const onNet =
  (f: (e: NetEvent) => string | number | boolean | undefined): Get =>
  (ev) =>
    ev.kind === 'net' ? f(ev.event) : undefined;
const onBoth =
  (file: (e: FileEvent) => string | number | boolean | undefined, net: (e: NetEvent) => string | number | boolean | undefined): Get =>
  (ev) =>
    ev.kind === 'file' ? (OPENS.has(ev.event.op) ? file(ev.event) : undefined) : ev.kind === 'net' ? net(ev.event) : undefined;

const def = (name: string, type: FieldType, doc: string, kinds: FieldDef['kinds'], get: Get, same?: string): FieldDef => ({ name, type, doc, kinds, get, same });
const F: FieldDef['kinds'] = ['file'];
const N: FieldDef['kinds'] = ['net'];
const FN: FieldDef['kinds'] = ['file', 'net'];

const remote = (e: NetEvent): string | undefined => (hasEnds(e) && e.dst_ip !== '' ? e.dst_ip : undefined);
const remotePort = (e: NetEvent): number | undefined => (hasEnds(e) && e.dst_ip !== '' ? e.dst_port : undefined);
const local = (e: NetEvent): string | undefined => (hasEnds(e) && e.local_ip !== '' ? e.local_ip : undefined);
const localPort = (e: NetEvent): number | undefined => (hasEnds(e) && e.local_ip !== '' ? e.local_port : undefined);
const serverIp = (e: NetEvent): string | undefined => (server(e) ? remote(e) : local(e));
const clientIp = (e: NetEvent): string | undefined => (server(e) ? local(e) : remote(e));
const serverPort = (e: NetEvent): number | undefined => (server(e) ? remotePort(e) : localPort(e));
const clientPort = (e: NetEvent): number | undefined => (server(e) ? localPort(e) : remotePort(e));
/** "cip:cport->sip:sport"; an end not captured reads 0.0.0.0:0 (:::0), as Falco shows an unbound socket. */
function tuple(e: NetEvent): string {
  const none = isV4(e.dst_ip || e.local_ip) ? '0.0.0.0:0' : ':::0';
  const end = (ip: string | undefined, port: number | undefined): string => (ip === undefined ? none : `${ip}:${port}`);
  return `${end(clientIp(e), clientPort(e))}->${end(serverIp(e), serverPort(e))}`;
}
const TYPES: Record<string, [string, string]> = { inet: ['ipv4', '4'], inet6: ['ipv6', '6'], unix: ['unix', 'u'], netlink: ['netlink', 'n'] };
const typeOf = (ev: AuditEvent): [string, string] | undefined => {
  if (ev.kind === 'file') return OPENS.has(ev.event.op) ? (ev.event.flags & O_DIRECTORY ? ['directory', 'd'] : ['file', 'f']) : undefined;
  if (ev.kind !== 'net') return undefined;
  return TYPES[ev.event.family] ?? ['unknown', 'o'];
};
const fdNum = (e: NetEvent): number => (e.op === 'connect' || e.op.startsWith('dup') ? e.fd : e.result < 0 ? -1 : e.result);

export const FD_FIELDS: FieldDef[] = [
  def(
    'file.path',
    'str',
    'the path opened, or the link created, absolute, as captured (not normalized)',
    F,
    onFile((e) => e.path),
    'fd.nameraw',
  ),
  def(
    'file.name',
    'str',
    'its last component',
    F,
    onFile((e) => e.path.slice(e.path.lastIndexOf('/') + 1)),
  ),
  def(
    'file.directory',
    'str',
    'the path without its last component',
    F,
    onFile((e) => e.path.slice(0, Math.max(e.path.lastIndexOf('/'), 1))),
  ),
  def(
    'file.flags',
    'str',
    'open flags by name: O_WRONLY|O_CREAT|O_TRUNC',
    F,
    onOpen((e) => flagNames(e.flags)),
    'evt.arg.flags',
  ),
  def(
    'file.mode',
    'num',
    'creation mode',
    F,
    onOpen((e) => e.mode),
  ),
  def(
    'file.target',
    'str',
    "links: a symlink's text as given, a hard link's existing file",
    F,
    onLink((e) => e.target),
  ),
  def(
    'fs.path.name',
    'str',
    'links: the path created, absolute and normalized',
    F,
    onLink((e) => normalizePath(e.path)),
  ),
  def(
    'fs.path.nameraw',
    'str',
    'links: the path created, as captured',
    F,
    onLink((e) => e.path),
  ),
  def(
    'fs.path.source',
    'str',
    "links: what the link points to (a symlink's text, a hard link's file)",
    F,
    onLink((e) => e.target),
  ),
  def(
    'fs.path.target',
    'str',
    'links: the path created',
    F,
    onLink((e) => normalizePath(e.path)),
  ),
  // This project's fields keep their first meaning, as the stores search them: "" (0) where there is no
  // address (unix sockets, a fresh socket), where Falco's fd.* have no value.
  def(
    'net.dst_ip',
    'ip',
    'remote address: the destination of a connect, the peer of an accept; "" for unix sockets and fresh sockets',
    N,
    onNet((e) => e.dst_ip),
  ),
  def(
    'net.dst_port',
    'num',
    'remote port (0 without an address)',
    N,
    onNet((e) => e.dst_port),
  ),
  def(
    'net.local_ip',
    'ip',
    'local address of an IP socket once bound, else ""',
    N,
    onNet((e) => e.local_ip),
  ),
  def(
    'net.local_port',
    'num',
    'local port of an IP socket once bound, else 0',
    N,
    onNet((e) => e.local_port),
  ),
  def(
    'net.proto',
    'str',
    'tcp, udp, unix, raw ...',
    N,
    onNet((e) => e.protocol),
    'fd.l4proto',
  ),
  def(
    'net.family',
    'str',
    'inet, inet6, unix (socket: also packet, netlink ...)',
    N,
    onNet((e) => e.family),
  ),
  def(
    'net.unix_path',
    'str',
    'unix socket path (@name for abstract ones), else ""',
    N,
    onNet((e) => e.unix_path),
  ),
  def(
    'net.fd',
    'num',
    "the socket's fd (a dup's old fd; evt.rawres is the new one)",
    N,
    onNet((e) => e.fd),
  ),
  def(
    'net.socket_type',
    'str',
    'stream, dgram, raw, seqpacket, packet ...',
    N,
    onNet((e) => e.socket_type),
  ),
  def(
    'net.socket_protocol',
    'num',
    "protocol number (IPPROTO_*; a packet socket's ethertype as passed)",
    N,
    onNet((e) => e.socket_protocol),
  ),

  def(
    'fd.num',
    'num',
    'the fd: the result of an open, accept or socket (-1 when it failed), the socket of a connect, the old fd of a dup',
    FN,
    onBoth((e) => (e.result < 0 ? -1 : e.result), fdNum),
  ),
  def('fd.type', 'str', 'file, directory, ipv4, ipv6, unix, netlink, unknown', FN, (ev) => typeOf(ev)?.[0]),
  def('fd.typechar', 'str', 'f (file), d (directory), 4 (IPv4), 6 (IPv6), u (unix), n (netlink), o (other)', FN, (ev) => typeOf(ev)?.[1]),
  def(
    'fd.name',
    'str',
    "a file's absolute, normalized path; a socket's tuple \"cip:cport->sip:sport\"; a unix socket's path",
    FN,
    onBoth(
      (e) => normalizePath(e.path),
      (e) => (hasEnds(e) ? tuple(e) : e.family === 'unix' ? e.unix_path : ''),
    ),
  ),
  def(
    'fd.nameraw',
    'str',
    "a file's path as captured: absolute, not normalized",
    F,
    onOpen((e) => e.path),
    'file.path',
  ),
  def(
    'fd.directory',
    'str',
    'the directory of fd.name',
    F,
    onOpen((e) => path.posix.dirname(normalizePath(e.path))),
  ),
  def(
    'fd.filename',
    'str',
    'the last component of fd.name',
    F,
    onOpen((e) => path.posix.basename(normalizePath(e.path))),
  ),
  def('fd.sip', 'ip', 'server address: the remote end of a connect, the local end of an accept', N, onNet(serverIp)),
  def('fd.cip', 'ip', 'client address: the local end of a connect, the remote end of an accept', N, onNet(clientIp)),
  def('fd.rip', 'ip', 'remote address', N, onNet(remote), 'net.dst_ip'),
  def('fd.lip', 'ip', 'local address', N, onNet(local), 'net.local_ip'),
  def('fd.sport', 'num', 'server port', N, onNet(serverPort)),
  def('fd.cport', 'num', 'client port', N, onNet(clientPort)),
  def('fd.rport', 'num', 'remote port', N, onNet(remotePort), 'net.dst_port'),
  def('fd.lport', 'num', 'local port', N, onNet(localPort), 'net.local_port'),
  { name: 'fd.ip', type: 'ip', doc: 'matches the client or the server address', kinds: N, get: onNet(remote), some: someOf(clientIp, serverIp) },
  { name: 'fd.port', type: 'num', doc: 'matches the client or the server port', kinds: N, get: onNet(remotePort), some: someOf(clientPort, serverPort) },
  { name: 'fd.net', type: 'ip', doc: 'matches the client or server network: compare with a CIDR', kinds: N, get: onNet(remote), some: someOf(clientIp, serverIp) },
  def('fd.snet', 'ip', 'matches the server network', N, onNet(serverIp)),
  def('fd.cnet', 'ip', 'matches the client network', N, onNet(clientIp)),
  def('fd.rnet', 'ip', 'matches the remote network', N, onNet(remote)),
  def('fd.lnet', 'ip', 'matches the local network', N, onNet(local)),
  def(
    'fd.l4proto',
    'str',
    'tcp, udp, icmp or raw (IP sockets)',
    N,
    onNet((e) => (inet(e) ? e.protocol : undefined)),
    'net.proto',
  ),
  def(
    'fd.sockfamily',
    'str',
    'ip or unix',
    N,
    onNet((e) => (inet(e) ? 'ip' : e.family === 'unix' ? 'unix' : undefined)),
  ),
  def(
    'fd.is_server',
    'bool',
    'the process is the server end: true for an accept',
    N,
    onNet((e) => (hasEnds(e) ? !server(e) : undefined)),
  ),
  def(
    'fd.connected',
    'bool',
    'the socket is connected: a connect that returned 0, an accept, a dup of a connected socket',
    N,
    onNet((e) => (e.op === 'connect' ? e.result === 0 : e.op === 'socket' ? false : e.result >= 0)),
  ),
  def('fd.sip.name', 'str', 'a domain name the server address resolves from (=, != and in: the name is resolved and the address compared)', N, (ev, ctx) => {
    const ip = ev.kind === 'net' ? serverIp(ev.event) : undefined;
    return ip && (ctx.names.namesOf(ip).join(' ') || undefined);
  }),
  def('fd.rip.name', 'str', 'a domain name the remote address resolves from (as fd.sip.name)', N, (ev, ctx) => {
    const ip = ev.kind === 'net' ? remote(ev.event) : undefined;
    return ip && (ctx.names.namesOf(ip).join(' ') || undefined);
  }),
  def('fd.cip.name', 'str', 'a domain name the client address resolves from (as fd.sip.name)', N, (ev, ctx) => {
    const ip = ev.kind === 'net' ? clientIp(ev.event) : undefined;
    return ip && (ctx.names.namesOf(ip).join(' ') || undefined);
  }),
  def('fd.lip.name', 'str', 'a domain name the local address resolves from (as fd.sip.name)', N, (ev, ctx) => {
    const ip = ev.kind === 'net' ? local(ev.event) : undefined;
    return ip && (ctx.names.namesOf(ip).join(' ') || undefined);
  }),
  missingField('fd.name_changed', "sendto and sendmsg, where a socket's tuple can change, are not captured", 'bool'),
];

/** The names resolved for fd.*ip.name comparisons: which end of the socket each reads. */
export const NAME_FIELDS: Record<string, (e: NetEvent) => string | undefined> = {
  'fd.sip.name': serverIp,
  'fd.rip.name': remote,
  'fd.cip.name': clientIp,
  'fd.lip.name': local,
};

/** "Either end" fields (fd.ip, fd.port, fd.net): true when one of the captured ends passes. */
function someOf<T>(a: (e: NetEvent) => T | undefined, b: (e: NetEvent) => T | undefined): NonNullable<FieldDef['some']> {
  return (ev, _ctx, test) => {
    if (ev.kind !== 'net') return false;
    const x = a(ev.event);
    const y = b(ev.event);
    return (x !== undefined && test(x as never)) || (y !== undefined && test(y as never));
  };
}
