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
  /** The `dst` column's value: an IPv4 address's number, or minus its addrs id. */
  addr(ip: string): number;
  host(h: Host): number;
}

/** Dictionary values of a day file (reader side). */
export interface Resolver {
  str(id: number): string;
  /** The address of a `dst` value (see Interner.addr). */
  addr(v: number): string;
  host(id: number): Host;
}

export type Row = (number | bigint | string | null)[];

/** The columns every event table starts with, written into `r` from index 0; returns the next index. */
function common(r: Row, e: FileEvent | NetEvent | ProcessEvent, type: string, res: number, d: Interner): number {
  const p = e.process;
  r[0] = e.time_ns;
  r[1] = d.host(e.host);
  r[2] = d.str(type);
  r[3] = p.pid;
  r[4] = p.tid;
  r[5] = p.ppid;
  r[6] = p.uid >>> 0;
  r[7] = p.gid >>> 0;
  r[8] = p.euid >>> 0;
  r[9] = p.egid >>> 0;
  r[10] = d.str(p.comm);
  r[11] = d.str(p.exe);
  r[12] = p.start_time_ns;
  r[13] = BigInt.asIntN(64, p.cgroup_id);
  r[14] = d.str(p.container_id);
  r[15] = e.ktime_ns;
  r[16] = res;
  r[17] = (p.exe_from_memfd ? 1 : 0) | (p.exe_deleted ? 2 : 0);
  return 18;
}

function creds(r: Row, i: number, c: Creds | undefined): number {
  if (!c) {
    for (let j = 0; j < 10; j++) r[i + j] = null;
    return i + 10;
  }
  r[i] = c.uid >>> 0;
  r[i + 1] = c.euid >>> 0;
  r[i + 2] = c.suid >>> 0;
  r[i + 3] = c.fsuid >>> 0;
  r[i + 4] = c.gid >>> 0;
  r[i + 5] = c.egid >>> 0;
  r[i + 6] = c.sgid >>> 0;
  r[i + 7] = c.fsgid >>> 0;
  r[i + 8] = BigInt.asIntN(64, c.cap_effective);
  r[i + 9] = BigInt.asIntN(64, c.cap_permitted);
  return i + 10;
}

/**
 * An event's row, written into `r` (one array per kind, reused for every row: the row is bound
 * and forgotten at once, and the store writes hundreds of thousands a second). The last column
 * is `ext`: the newer fields as JSON (extension.ts), null when all have their default.
 */
export function toRow(ev: AuditEvent, d: Interner, r: Row = []): Row {
  const i = kindRow(ev, d, r);
  const x = extensionOf(ev);
  r[i] = x ? d.str(JSON.stringify(x)) : null;
  return r;
}

/** The kind's columns, written into `r`; returns the index of the `ext` column. */
function kindRow(ev: AuditEvent, d: Interner, r: Row): number {
  switch (ev.kind) {
    case 'file': {
      const e = ev.event;
      const i = common(r, e, e.op, e.result, d);
      r[i] = d.str(e.path);
      r[i + 1] = e.flags;
      r[i + 2] = e.mode;
      r[i + 3] = e.dirfd;
      r[i + 4] = e.truncated ? 1 : 0;
      return i + 5;
    }
    case 'net': {
      const e = ev.event;
      const i = common(r, e, e.op, e.result, d);
      r[i] = d.str(e.family);
      r[i + 1] = d.str(e.protocol);
      r[i + 2] = d.addr(e.dst_ip);
      r[i + 3] = e.dst_port;
      r[i + 4] = d.str(e.unix_path);
      r[i + 5] = e.fd;
      return i + 6;
    }
    case 'process': {
      const e = ev.event;
      const exec = e.kind === 'exec';
      const exit = e.kind === 'exit';
      // res: the call's result (a ptrace's or a module load's error), an exit's code.
      const i = common(r, e, e.kind, exit ? e.exit_code : e.result, d);
      r[i] = exec ? d.str(e.filename) : null;
      r[i + 1] = exec ? d.str(e.cwd) : null;
      r[i + 2] = exec ? e.args.join(' ') : null;
      r[i + 3] = exec ? JSON.stringify(e.args) : null;
      r[i + 4] = exit ? e.exit_code : null;
      r[i + 5] = exit ? e.signal : null;
      r[i + 6] = e.truncated ? 1 : 0;
      return creds(r, creds(r, i + 7, e.cred_change?.old), e.cred_change?.new);
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
    uid: u32(r[`${w}_uid`]),
    euid: u32(r[`${w}_euid`]),
    suid: u32(r[`${w}_suid`]),
    fsuid: u32(r[`${w}_fsuid`]),
    gid: u32(r[`${w}_gid`]),
    egid: u32(r[`${w}_egid`]),
    sgid: u32(r[`${w}_sgid`]),
    fsgid: u32(r[`${w}_fsgid`]),
    cap_effective: BigInt.asIntN(64, r[`${w}_cap_eff`] as bigint),
    cap_permitted: BigInt.asIntN(64, r[`${w}_cap_perm`] as bigint),
  };
}

/** A table row (as an object of columns) back to the event it was made from. */
export function fromRow(kind: EventKind, r: Record<string, Col>, d: Resolver): AuditEvent {
  return withExtension(kindFromRow(kind, r, d), r.ext === null || r.ext === undefined ? undefined : JSON.parse(d.str(n(r.ext))));
}

/** The event's fields that have columns of their own; the rest come from `ext`. */
function kindFromRow(kind: EventKind, r: Record<string, Col>, d: Resolver): AuditEvent {
  const process = {
    pid: n(r.pid),
    tid: n(r.tid),
    ppid: n(r.ppid),
    uid: u32(r.uid),
    gid: u32(r.gid),
    euid: u32(r.euid),
    egid: u32(r.egid),
    comm: d.str(n(r.comm)),
    exe: d.str(n(r.exe)),
    start_time_ns: r.start_ns as bigint,
    cgroup_id: BigInt.asUintN(64, r.cgroup_id as bigint),
    container_id: d.str(n(r.container)),
    exe_from_memfd: (n(r.exe_flags) & 1) !== 0,
    exe_deleted: (n(r.exe_flags) & 2) !== 0,
  } as Process;
  const base = { time_ns: r.time_ns as bigint, ktime_ns: r.ktime_ns as bigint, host: d.host(n(r.host)), process };
  const type = d.str(n(r.type));
  switch (kind) {
    case 'file':
      return {
        kind,
        event: { ...base, op: type, path: d.str(n(r.path)), dirfd: n(r.dirfd), flags: n(r.flags), mode: n(r.mode), result: n(r.res), truncated: r.truncated === 1n } as FileEvent,
      };
    case 'net':
      return {
        kind,
        event: {
          ...base,
          op: type,
          family: d.str(n(r.family)),
          dst_ip: d.addr(n(r.dst)),
          dst_port: n(r.dst_port),
          fd: n(r.fd),
          result: n(r.res),
          protocol: d.str(n(r.proto)),
          unix_path: d.str(n(r.unix_path)),
        } as NetEvent,
      };
    case 'process': {
      const exec = type === 'exec';
      return {
        kind,
        event: {
          ...base,
          kind: type,
          filename: exec ? d.str(n(r.filename)) : '',
          args: exec ? (JSON.parse(r.args as string) as string[]) : [],
          cwd: exec ? d.str(n(r.cwd)) : '',
          exit_code: r.exit_code === null ? 0 : n(r.exit_code),
          signal: r.signal === null ? 0 : n(r.signal),
          truncated: r.truncated === 1n,
          cred_change: r.old_uid === null ? null : { old: readCreds(r, 'old'), new: readCreds(r, 'new') },
        } as ProcessEvent,
      };
    }
  }
}
