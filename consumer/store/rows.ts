/**
 * Events to table rows and back. Rows are arrays in the column order of schema.ts; repeated
 * strings go through a dictionary (the `Dict` of the day file) and come back through one.
 * Everything an event carries is kept, so search prints exactly what tail printed.
 */
import * as ipaddr from 'ipaddr.js';
import type { AuditEvent, Creds, EventKind, FileEvent, Host, NetEvent, Process, ProcessEvent } from '../../schemas/types';
import { extensionOf, withExtension } from './extension';

/** Dictionary ids of a day file (writer side). */
export interface Interner {
  str(s: string): number;
  addr(ip: string): number;
  host(h: Host): number;
}

/** Dictionary values of a day file (reader side). */
export interface Resolver {
  str(id: number): string;
  addr(id: number): string;
  host(id: number): Host;
}

export type Row = (number | bigint | string | null)[];

function common(e: FileEvent | NetEvent | ProcessEvent, type: string, res: number, d: Interner): Row {
  const p = e.process;
  return [
    e.time_ns, d.host(e.host), d.str(type), p.pid, p.tid, p.ppid, p.uid >>> 0, p.gid >>> 0, p.euid >>> 0, p.egid >>> 0,
    d.str(p.comm), d.str(p.exe), p.start_time_ns, BigInt.asIntN(64, p.cgroup_id), d.str(p.container_id), e.ktime_ns, res,
    (p.exe_from_memfd ? 1 : 0) | (p.exe_deleted ? 2 : 0),
  ];
}

const credRow = (c: Creds): Row => [c.uid >>> 0, c.euid >>> 0, c.suid >>> 0, c.fsuid >>> 0, c.gid >>> 0, c.egid >>> 0, c.sgid >>> 0, c.fsgid >>> 0, BigInt.asIntN(64, c.cap_effective), BigInt.asIntN(64, c.cap_permitted)];
const NO_CREDS: Row = new Array(20).fill(null);

export function toRow(ev: AuditEvent, d: Interner): Row {
  const row = kindRow(ev, d);
  const x = extensionOf(ev);
  row.push(x ? d.str(JSON.stringify(x)) : null);
  return row;
}

function kindRow(ev: AuditEvent, d: Interner): Row {
  switch (ev.kind) {
    case 'file': {
      const e = ev.event;
      const row = common(e, e.op, e.result, d);
      row.push(d.str(e.path), e.flags, e.mode, e.dirfd, e.truncated ? 1 : 0);
      return row;
    }
    case 'net': {
      const e = ev.event;
      const row = common(e, e.op, e.result, d);
      row.push(d.str(e.family), d.str(e.protocol), d.addr(e.dst_ip), e.dst_port, d.str(e.unix_path), e.fd);
      return row;
    }
    case 'process': {
      const e = ev.event;
      const exec = e.kind === 'exec';
      const exit = e.kind === 'exit';
      // res: the call's result (a ptrace's or a module load's error), an exit's code.
      const row = common(e, e.kind, exit ? e.exit_code : e.result, d);
      row.push(
        exec ? d.str(e.filename) : null, exec ? d.str(e.cwd) : null, exec ? e.args.join(' ') : null, exec ? JSON.stringify(e.args) : null,
        exit ? e.exit_code : null, exit ? e.signal : null, e.truncated ? 1 : 0,
      );
      if (e.cred_change) row.push(...credRow(e.cred_change.old), ...credRow(e.cred_change.new));
      else row.push(...NO_CREDS);
      return row;
    }
  }
}

/** 16 bytes, IPv4 as ::ffff:a.b.c.d, so that one range compares both families; null if not an address. */
export function addrBytes(ip: string): Buffer | null {
  if (!ip || !ipaddr.isValid(ip)) return null;
  const a = ipaddr.parse(ip);
  const v6 = a.kind() === 'ipv4' ? (a as ipaddr.IPv4).toIPv4MappedAddress() : (a as ipaddr.IPv6);
  return Buffer.from(v6.toByteArray());
}

// Reading: rows come with safeIntegers on (times exceed 2^53); small values become numbers.
type Col = bigint | string | null;
const n = (v: Col): number => Number(v);
const u32 = (v: Col): number => Number(v) | 0; // uids were stored unsigned; the Avro ints are signed

function readCreds(r: Record<string, Col>, w: 'old' | 'new'): Creds {
  return {
    uid: u32(r[`${w}_uid`]), euid: u32(r[`${w}_euid`]), suid: u32(r[`${w}_suid`]), fsuid: u32(r[`${w}_fsuid`]),
    gid: u32(r[`${w}_gid`]), egid: u32(r[`${w}_egid`]), sgid: u32(r[`${w}_sgid`]), fsgid: u32(r[`${w}_fsgid`]),
    cap_effective: BigInt.asIntN(64, r[`${w}_cap_eff`] as bigint), cap_permitted: BigInt.asIntN(64, r[`${w}_cap_perm`] as bigint),
  };
}

/** A table row (as an object of columns) back to the event it was made from. */
export function fromRow(kind: EventKind, r: Record<string, Col>, d: Resolver): AuditEvent {
  return withExtension(kindFromRow(kind, r, d), r.ext === null || r.ext === undefined ? undefined : JSON.parse(d.str(n(r.ext))));
}

/** The event's fields that have columns of their own; the rest come from `ext`. */
function kindFromRow(kind: EventKind, r: Record<string, Col>, d: Resolver): AuditEvent {
  const process = {
    pid: n(r.pid), tid: n(r.tid), ppid: n(r.ppid), uid: u32(r.uid), gid: u32(r.gid), euid: u32(r.euid), egid: u32(r.egid),
    comm: d.str(n(r.comm)), exe: d.str(n(r.exe)), start_time_ns: r.start_ns as bigint, cgroup_id: BigInt.asUintN(64, r.cgroup_id as bigint),
    container_id: d.str(n(r.container)), exe_from_memfd: (n(r.exe_flags) & 1) !== 0, exe_deleted: (n(r.exe_flags) & 2) !== 0,
  } as Process;
  const base = { time_ns: r.time_ns as bigint, ktime_ns: r.ktime_ns as bigint, host: d.host(n(r.host)), process };
  const type = d.str(n(r.type));
  switch (kind) {
    case 'file':
      return { kind, event: { ...base, op: type, path: d.str(n(r.path)), dirfd: n(r.dirfd), flags: n(r.flags), mode: n(r.mode), result: n(r.res), truncated: r.truncated === 1n } as FileEvent };
    case 'net':
      return {
        kind,
        event: { ...base, op: type, family: d.str(n(r.family)), dst_ip: d.addr(n(r.dst)), dst_port: n(r.dst_port), fd: n(r.fd), result: n(r.res), protocol: d.str(n(r.proto)), unix_path: d.str(n(r.unix_path)) } as NetEvent,
      };
    case 'process': {
      const exec = type === 'exec';
      return {
        kind,
        event: {
          ...base, kind: type, filename: exec ? d.str(n(r.filename)) : '', args: exec ? (JSON.parse(r.args as string) as string[]) : [], cwd: exec ? d.str(n(r.cwd)) : '',
          exit_code: r.exit_code === null ? 0 : n(r.exit_code), signal: r.signal === null ? 0 : n(r.signal), truncated: r.truncated === 1n,
          cred_change: r.old_uid === null ? null : { old: readCreds(r, 'old'), new: readCreds(r, 'new') },
        } as ProcessEvent,
      };
    }
  }
}
