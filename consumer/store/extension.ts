/**
 * The event fields added after the stores' layouts were made (links, sockets, dups, ptrace and
 * module loads, and the process's capabilities, terminal, login uid, names and overlay layer),
 * kept by both stores as one JSON value: SQLite in the `ext` column (through the string
 * dictionary: a process's values repeat on each of its events), OpenSearch in `ebpf_audit.extra`.
 * Only values other than the Avro defaults are written, so most of it is absent on most events.
 * Nanosecond and capability integers go as decimal strings (JSON numbers lose digits past 2^53).
 */
import type { AuditEvent, ProcessEvent } from '../../schemas/types';

export type Extension = Record<string, unknown>;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The added fields of `ev` that differ from their defaults, or undefined when none does. */
export function extensionOf(ev: AuditEvent): Extension | undefined {
  const p = ev.event.process;
  const x: Obj = {};
  if (p.exe_upper_layer) x.exe_upper_layer = true;
  if (p.cap_effective) x.cap_effective = String(p.cap_effective);
  if (p.tty) x.tty = p.tty;
  if (p.loginuid !== -1) x.loginuid = p.loginuid;
  if (p.user_name) x.user_name = p.user_name;
  if (p.login_user_name) x.login_user_name = p.login_user_name;
  if (ev.kind === 'file') {
    if (ev.event.target) x.target = ev.event.target;
  } else if (ev.kind === 'net') {
    const n = ev.event;
    if (n.local_ip) x.local_ip = n.local_ip;
    if (n.local_port) x.local_port = n.local_port;
    if (n.socket_type) x.socket_type = n.socket_type;
    if (n.socket_protocol) x.socket_protocol = n.socket_protocol;
  } else {
    const e = ev.event;
    if (e.result) x.result = e.result;
    if (e.ptrace) x.ptrace = { ...e.ptrace, addr: String(e.ptrace.addr), data: String(e.ptrace.data) };
    if (e.module) x.module = { ...e.module, size: String(e.module.size) };
    if (e.ancestors.length) x.ancestors = e.ancestors;
  }
  return Object.keys(x).length ? x : undefined;
}

/** `ev` with the added fields set: from `x` where present, else their defaults. Mutates and returns ev. */
export function withExtension(ev: AuditEvent, x: Extension | undefined): AuditEvent {
  const o: Obj = x ?? {};
  Object.assign(ev.event.process, {
    exe_upper_layer: o.exe_upper_layer === true,
    cap_effective: BigInt(o.cap_effective ?? 0),
    tty: o.tty ?? 0,
    loginuid: o.loginuid ?? -1,
    user_name: o.user_name ?? '',
    login_user_name: o.login_user_name ?? '',
  });
  if (ev.kind === 'file') ev.event.target = o.target ?? '';
  else if (ev.kind === 'net')
    Object.assign(ev.event, { local_ip: o.local_ip ?? '', local_port: o.local_port ?? 0, socket_type: o.socket_type ?? '', socket_protocol: o.socket_protocol ?? 0 });
  else {
    const e: ProcessEvent = ev.event;
    e.result = o.result ?? 0;
    e.ptrace = o.ptrace ? { ...o.ptrace, addr: BigInt(o.ptrace.addr), data: BigInt(o.ptrace.data) } : null;
    e.module = o.module ? { ...o.module, size: BigInt(o.module.size) } : null;
    e.ancestors = o.ancestors ?? [];
  }
  return ev;
}
