/**
 * The documented console lines. The first two shapes are a contract with users' scripts and are
 * byte-exact (note the space after "Path:" and none after "DST_IP:"):
 *   [timestamp] PID:<pid> Exe:"<exe>" Comm:"<comm>" Path: "<path>"
 *   [timestamp] PID:<pid> Exe:"<exe>" Comm:"<comm>" DST_IP:<ip>
 * The timestamp is the event's wall-clock time in seconds since the Unix epoch (UTC) with nine
 * decimals (nanoseconds), e.g. [1764012345.123456789].
 * Failed attempts and newer kinds get lines in the same style with a suffix or their own field.
 */
import type { AuditEvent, Creds, FileEvent, NetEvent, ProcessEvent } from '../../../schemas/types';
import { errnoName } from './errno';
import { escapeField, formatTimestamp } from './text';

function prefix(e: FileEvent | NetEvent | ProcessEvent): string {
  return `[${formatTimestamp(e.time_ns)}] PID:${e.process.pid} Exe:"${escapeField(e.process.exe)}" Comm:"${escapeField(e.process.comm)}"`;
}

const EINPROGRESS = -115;

function result(r: number): string {
  return r < 0 ? ` Error:${errnoName(-r)}` : '';
}

const CRED_FIELDS = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'] as const;

/** " uid:1000->0 euid:1000->0" for what changed (ids as unsigned), capabilities in hex. */
function credDiff(c: { old: Creds; new: Creds }): string {
  let out = '';
  for (const f of CRED_FIELDS) if (c.old[f] !== c.new[f]) out += ` ${f}:${c.old[f] >>> 0}->${c.new[f] >>> 0}`;
  for (const f of ['cap_effective', 'cap_permitted'] as const) {
    if (c.old[f] !== c.new[f]) out += ` ${f}:0x${BigInt.asUintN(64, c.old[f]).toString(16)}->0x${BigInt.asUintN(64, c.new[f]).toString(16)}`;
  }
  return out || ' (unchanged)';
}

/** A socket's protocol in a line: tcp, udp ... for IP sockets, else the number as passed. */
function protocolLabel(e: NetEvent): string {
  return (e.family === 'inet' || e.family === 'inet6') && e.protocol ? e.protocol : String(e.socket_protocol);
}

/** ip:port, IPv6 in brackets (RFC 3986), so that "local->remote" reads unambiguously. */
const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The IP socket a dup put on stdio: "inet tcp 10.0.0.5:51000->192.0.2.7:4444" (local->remote, once each is known). */
function dupSocket(e: NetEvent): string {
  let conn = '';
  if (e.local_ip) conn = ` ${endpoint(e.local_ip, e.local_port)}`;
  if (e.dst_ip) conn += `${conn ? '->' : ' ->'}${endpoint(e.dst_ip, e.dst_port)}`;
  return `${e.family} ${escapeField(e.protocol || e.socket_type || '?')}${conn}`;
}

function netLine(e: NetEvent): string {
  switch (e.op) {
    case 'accept':
    case 'accept4':
      return `${prefix(e)} PEER_IP:${escapeField(e.dst_ip)}`;
    case 'socket':
      return `${prefix(e)} Socket: ${escapeField(e.family)} ${escapeField(e.socket_type || '?')} Protocol:${escapeField(protocolLabel(e))}${result(e.result)}`;
    case 'dup':
    case 'dup2':
    case 'dup3':
      return `${prefix(e)} Dup: ${e.fd}->${e.result} Socket: ${dupSocket(e)}`;
  }
  // EINPROGRESS is how a non-blocking connect starts, not a failure.
  const r = e.result === EINPROGRESS ? '' : result(e.result);
  if (e.family === 'unix') return `${prefix(e)} DST_UNIX: "${escapeField(e.unix_path)}"${r}`;
  return `${prefix(e)} DST_IP:${escapeField(e.dst_ip)}${r}`;
}

function processLine(e: ProcessEvent): string {
  if (e.kind === 'exec') {
    const args = e.args.map((a) => `"${escapeField(a)}"`).join(' ');
    return `${prefix(e)} Exec: "${escapeField(e.filename)}" Args: ${args}`;
  }
  if (e.cred_change) return `${prefix(e)} Privilege: ${escapeField(e.kind)}${credDiff(e.cred_change)}`;
  if (e.kind === 'ptrace') {
    const p = e.ptrace ?? { request: '?', target_pid: 0 };
    const target = p.request === 'PTRACE_TRACEME' ? '' : ` Target:${p.target_pid}`;
    return `${prefix(e)} Ptrace: ${escapeField(p.request)}${target}${result(e.result)}`;
  }
  if (e.kind === 'init_module' || e.kind === 'finit_module') {
    const m = e.module ?? { path: '', size: 0n, params: '' };
    const what = e.kind === 'finit_module' ? `File: "${escapeField(m.path)}"` : `Size:${m.size}`;
    return `${prefix(e)} Module: ${escapeField(e.kind)} ${what} Params: "${escapeField(m.params)}"${result(e.result)}`;
  }
  if (e.kind !== 'exit') return `${prefix(e)} Event: ${escapeField(e.kind)}`; // a kind newer than this consumer
  return `${prefix(e)} Exit:${e.signal ? `signal ${e.signal}` : e.exit_code}`;
}

export function formatLine(ev: AuditEvent): string {
  switch (ev.kind) {
    case 'file': {
      const e = ev.event;
      if (e.op === 'symlink' || e.op === 'symlinkat') return `${prefix(e)} Symlink: "${escapeField(e.path)}" Target: "${escapeField(e.target)}"${result(e.result)}`;
      if (e.op === 'link' || e.op === 'linkat') return `${prefix(e)} Link: "${escapeField(e.path)}" Target: "${escapeField(e.target)}"${result(e.result)}`;
      return `${prefix(e)} Path: "${escapeField(e.path)}"${result(e.result)}`;
    }
    case 'net':
      return netLine(ev.event);
    case 'process':
      return processLine(ev.event);
  }
}
