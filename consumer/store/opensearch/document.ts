/**
 * Events as OpenSearch documents, and back. The document is the event in Elastic Common Schema
 * names, exactly as `tail --output ecs` writes it (toEcs), plus `ebpf_audit.*`: what ECS has no
 * field for (kernel time, open flags, credentials before and after ...) and typed copies the
 * condition language compares (numeric uids, open for write). Together they hold every field of the
 * Avro record, so `search` rebuilds the event exactly (fromDocument) and prints the same lines as
 * the SQLite store. Values only some events carry (argv on an exit, say) go to `ebpf_audit.extra`,
 * stored but not indexed.
 *
 * Nanosecond integers go into _source as strings (mapped as long): JSON numbers beyond 2^53 would
 * lose digits on the way back. Addresses that are not valid IPs stay in `*.address` only, so the
 * `ip` mapping never rejects an event.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AuditEvent, Creds, FileEvent, NetEvent, Process, ProcessEvent } from '../../../schemas/types';
import { toEcs } from '../../core/output/json';
import { capabilityNames } from '../../rules/capabilities';
import { flagNames } from '../../rules/fields';
import { userName } from '../../rules/fields-proc';
import { extensionOf, withExtension } from '../extension';

export type Doc = Record<string, unknown>;
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const CRED_FIELDS = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'] as const;

/** The README's dedup key: the same event redelivered gets the same id, and overwrites itself. */
export function eventIdentity(ev: AuditEvent): string {
  const e = ev.event;
  const type = ev.kind === 'process' ? ev.event.kind : ev.event.op;
  return `${e.host.boot_id || e.host.id}\u0000${e.ktime_ns}\u0000${e.process.tid}\u0000${ev.kind}\u0000${type}`;
}

/**
 * A short document id: the event time (8 bytes, big-endian) then 64 bits of the identity's MD5,
 * in base64url (22 characters). Ids that grow with time keep Lucene's id lookup (every write with
 * an id of ours checks whether it exists) local to the newest terms, as sequential ids do; random
 * ids make it a seek anywhere.
 */
export function documentId(identity: string, timeNs: bigint): string {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(BigInt.asUintN(64, timeNs), 0);
  createHash('md5').update(identity).digest().copy(b, 8, 0, 8);
  return b.toString('base64url');
}

/** "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (isoNs) back to nanoseconds. */
export function parseIsoNs(s: string): bigint {
  const ms = Date.parse(`${s.slice(0, 19)}Z`);
  if (Number.isNaN(ms) || s[19] !== '.' || s.length !== 30) throw new Error(`not a nanosecond timestamp: ${s}`);
  return BigInt(ms / 1000) * 1_000_000_000n + BigInt(s.slice(20, 29));
}

function creds(c: Creds): Obj {
  const o: Obj = {};
  for (const f of CRED_FIELDS) o[f] = c[f] >>> 0;
  return { ...o, cap_effective: String(c.cap_effective), cap_permitted: String(c.cap_permitted) };
}

function credsBack(o: Obj): Creds {
  const c = {} as Creds;
  for (const f of CRED_FIELDS) c[f] = o[f] | 0;
  return { ...c, cap_effective: BigInt(o.cap_effective), cap_permitted: BigInt(o.cap_permitted) };
}

function credFlags(old: Creds, now: Creds): Obj {
  return {
    changed: CRED_FIELDS.some((f) => old[f] !== now[f]) || old.cap_effective !== now.cap_effective || old.cap_permitted !== now.cap_permitted,
    to_root: (now.uid === 0 && old.uid !== 0) || (now.euid === 0 && old.euid !== 0),
    caps_raised: (now.cap_effective & ~old.cap_effective) !== 0n,
  };
}

/** The event's document (see the file comment). */
export function toDocument(ev: AuditEvent): Doc {
  const doc = toEcs(ev) as Obj;
  const e = ev.event;
  const p = e.process;
  const extra: Obj = {};
  const x: Obj = {
    ktime_ns: String(e.ktime_ns),
    process: {
      uid: p.uid >>> 0,
      euid: p.euid >>> 0,
      gid: p.gid >>> 0,
      egid: p.egid >>> 0,
      start_ns: String(p.start_time_ns),
      cgroup_id: String(p.cgroup_id),
      exe_from_memfd: p.exe_from_memfd,
      exe_deleted: p.exe_deleted,
    },
  };
  if (ev.kind === 'file') {
    const f = ev.event;
    x.res = f.result;
    doc.file.directory = f.path.slice(0, Math.max(f.path.lastIndexOf('/'), 1));
    const acc = f.flags & O_ACCMODE;
    x.file = { dirfd: f.dirfd, flags: f.flags, mode: f.mode, flag_names: flagNames(f.flags), write: acc !== 0 || (f.flags & (O_CREAT | O_TRUNC)) !== 0, read: acc !== O_WRONLY };
    if (f.truncated) x.truncated = true;
  } else if (ev.kind === 'net') {
    const n = ev.event;
    x.res = n.result;
    x.net = { family: n.family, fd: n.fd };
    // The remote end: an accept's source, a connect's or a dup's destination (a socket has none).
    const remote = n.op === 'accept' || n.op === 'accept4' ? doc.source : doc.destination;
    if (n.family === 'unix') {
      if (n.dst_ip) extra.dst_ip = n.dst_ip;
      if (n.dst_port) extra.dst_port = n.dst_port;
    } else {
      if (n.unix_path) extra.unix_path = n.unix_path;
      if (remote && !isIP(n.dst_ip)) delete remote.ip; // kept as text in .address
    }
  } else {
    const pe = ev.event;
    x.res = pe.kind === 'exit' ? pe.exit_code : pe.result;
    if (pe.kind === 'exec') {
      x.exec = { filename: pe.filename };
      // ECS's command line: what proc.cmdline reads, for this exec and the events after it.
      doc.process.command_line = pe.args.join(' ');
    } else {
      if (pe.filename) extra.filename = pe.filename;
      if (pe.args.length) extra.args = pe.args;
      if (pe.cwd) extra.cwd = pe.cwd;
    }
    if (pe.kind === 'exit') x.exit = { signal: pe.signal };
    else {
      if (pe.exit_code) extra.exit_code = pe.exit_code;
      if (pe.signal) extra.signal = pe.signal;
    }
    if (pe.truncated) x.truncated = true;
    if (pe.cred_change) x.cred = { old: creds(pe.cred_change.old), new: creds(pe.cred_change.new), ...credFlags(pe.cred_change.old, pe.cred_change.new) };
  }
  indexNewer(ev, x);
  // The newer fields: stored, not indexed. The ECS names toEcs gives some of them (user.name,
  // file.target_path, ptrace) are not in this store's strict mapping: they live here instead.
  const ext = extensionOf(ev);
  if (ext) extra.ext = ext;
  if (doc.user) delete doc.user.name;
  if (doc.file) delete doc.file.target_path;
  delete doc.ptrace;
  if (Object.keys(extra).length) x.extra = extra;
  doc.ebpf_audit = x;
  return doc;
}

/**
 * Indexed copies of the newer fields, for search (search-fields.ts): only values other than the
 * defaults, as in the ext value (a document without one holds the default); user.name's value as
 * the rule engine derives it; capabilities by name. extra.ext stays the source for fromDocument.
 */
function indexNewer(ev: AuditEvent, x: Obj): void {
  const p = ev.event.process;
  const xp = x.process;
  if (p.tty) xp.tty = p.tty;
  if (p.loginuid !== -1) xp.loginuid = p.loginuid;
  if (p.user_name) xp.user_name = p.user_name;
  const eff = userName(ev);
  if (eff) xp.effective_user_name = eff;
  if (p.login_user_name) xp.login_user_name = p.login_user_name;
  if (p.cap_effective) xp.cap_names = capabilityNames(p.cap_effective);
  if (p.exe_upper_layer) xp.exe_upper_layer = true;
  if (ev.kind === 'file') {
    if (ev.event.target) x.file.target = ev.event.target;
  } else if (ev.kind === 'net') {
    const n = ev.event;
    // An address that is not an IP would make the ip field reject the document: left out (reads as "").
    if (n.local_ip && isIP(n.local_ip)) x.net.local_ip = n.local_ip;
    if (n.local_port) x.net.local_port = n.local_port;
    if (n.socket_type) x.net.socket_type = n.socket_type;
    if (n.socket_protocol) x.net.socket_protocol = n.socket_protocol;
  } else {
    const e = ev.event;
    if (e.ptrace) x.ptrace = { request: e.ptrace.request, target_pid: e.ptrace.target_pid };
    if (e.module) x.module = { path: e.module.path, params: e.module.params };
  }
}

const KIND_OF_DATASET: Record<string, AuditEvent['kind']> = { 'ebpf-audit.file': 'file', 'ebpf-audit.net': 'net', 'ebpf-audit.process': 'process' };

/** The event a document holds (the reverse of toDocument). */
export function fromDocument(src: Doc): AuditEvent {
  const d = src as Obj;
  const x = d.ebpf_audit as Obj;
  const extra: Obj = x.extra ?? {};
  const kind = KIND_OF_DATASET[d.event?.dataset];
  if (!kind) throw new Error(`not an event document: event.dataset ${JSON.stringify(d.event?.dataset)}`);
  const xp = x.process;
  const process: Process = {
    pid: d.process.pid,
    tid: d.process.thread.id,
    ppid: d.process.parent.pid,
    uid: xp.uid | 0,
    gid: xp.gid | 0,
    euid: xp.euid | 0,
    egid: xp.egid | 0,
    comm: d.process.name,
    exe: d.process.executable ?? '',
    start_time_ns: BigInt(xp.start_ns),
    cgroup_id: BigInt(xp.cgroup_id),
    container_id: d.container?.id ?? '',
    exe_from_memfd: xp.exe_from_memfd === true,
    exe_deleted: xp.exe_deleted === true,
  } as Process;
  const common = { time_ns: parseIsoNs(d['@timestamp']), ktime_ns: BigInt(x.ktime_ns), host: { id: d.host.id, name: d.host.name, boot_id: d.host.boot.id }, process };
  const action: string = d.event.action;
  if (kind === 'file') {
    const f = x.file;
    const event = { ...common, op: action, path: d.file.path, dirfd: f.dirfd, flags: f.flags, mode: f.mode, result: x.res, truncated: x.truncated === true } as FileEvent;
    return withExtension({ kind, event }, extra.ext);
  }
  if (kind === 'net') {
    const remote = (action === 'accept' || action === 'accept4' ? d.source : d.destination) ?? {};
    const unix = x.net.family === 'unix';
    const event = {
      ...common,
      op: action,
      family: x.net.family,
      dst_ip: unix ? (extra.dst_ip ?? '') : (remote.address ?? ''),
      dst_port: unix ? (extra.dst_port ?? 0) : (remote.port ?? 0),
      fd: x.net.fd,
      result: x.res,
      protocol: d.network?.transport ?? '',
      unix_path: unix ? (remote.address ?? '') : (extra.unix_path ?? ''),
    } as NetEvent;
    return withExtension({ kind, event }, extra.ext);
  }
  const exec = action === 'exec';
  const event = {
    ...common,
    kind: action,
    filename: exec ? x.exec.filename : (extra.filename ?? ''),
    args: exec ? d.process.args : (extra.args ?? []),
    cwd: exec ? (d.process.working_directory ?? '') : (extra.cwd ?? ''),
    exit_code: action === 'exit' ? x.res : (extra.exit_code ?? 0),
    signal: action === 'exit' ? x.exit.signal : (extra.signal ?? 0),
    truncated: x.truncated === true,
    cred_change: x.cred ? { old: credsBack(x.cred.old), new: credsBack(x.cred.new) } : null,
  } as ProcessEvent;
  return withExtension({ kind, event }, extra.ext);
}
