/**
 * Turns ring-buffer records into plain objects, with a decoder table keyed by record type.
 * Strings are copied out here: the ring memory is reused as soon as the drain moves on.
 */
import { DecodeError } from '../../common/errors';
import type { Creds } from '../../schemas/types';
import { COMM_LEN, CREDS, EXE, F_TRUNCATED, PATH_MAX, PROC_CRED, FILE_OPEN, HDR, NET, OPS, PROC_EXEC, PROC_EXIT, RECORD_TYPES, TASK, TASK_EXE_UNLINKED, UNIX_PATH_MAX } from '../../bpf/layout';

export interface RawTask {
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  startNs: bigint;
  cgroupId: bigint;
  comm: string;
  /** The executable has no name on disk at this event (deleted or replaced since exec, or a memfd). */
  exeUnlinked: boolean;
}

interface RawCommon {
  ktimeNs: bigint;
  truncated: boolean;
  task: RawTask;
}

export interface RawFileOpen extends RawCommon {
  type: 'file';
  op: string;
  result: number;
  dirfd: number;
  flags: number;
  mode: number;
  path: string;
}

export interface RawConnect extends RawCommon {
  type: 'net';
  op: string;
  result: number;
  fd: number;
  family: 'inet' | 'inet6' | 'unix';
  ip: string;
  port: number;
  protocol: string;
  unixPath: string;
}

export interface RawExec extends RawCommon {
  type: 'exec';
  oldTid: number;
  filename: string;
  exe: string;
  cwd: string;
  args: string[];
  /** Executed from a memfd (fileless). */
  exeMemfd: boolean;
}

export interface RawExit extends RawCommon {
  type: 'exit';
  exitCode: number;
  signal: number;
}

export interface RawCred extends RawCommon {
  type: 'cred';
  op: string;
  result: number;
  old: Creds;
  new: Creds;
}

export type RawRecord = RawFileOpen | RawConnect | RawExec | RawExit | RawCred;

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

const IP_PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp', 136: 'udplite', 255: 'raw' };
const SOCK_TYPES: Record<number, string> = { 1: 'stream', 2: 'dgram', 3: 'raw', 5: 'seqpacket' };

/** tcp/udp/... for IP sockets; stream/dgram/seqpacket for unix sockets; '' when unknown. */
export function protocolName(family: number, sockType: number, protocol: number): string {
  if (family === AF_UNIX) return SOCK_TYPES[sockType] ?? '';
  if (protocol === 0 && sockType === 0) return '';
  return IP_PROTOCOLS[protocol] ?? `ip-proto-${protocol}`;
}

/**
 * A sun_path of `len` bytes (addrlen minus the family) as text, as ss(8) shows it: a pathname ends
 * at its first NUL; an abstract name (a leading NUL) gets a leading @ and keeps every byte,
 * NULs included (they print escaped); no bytes at all is an unnamed socket: "".
 */
export function unixPath(buf: Buffer, start: number, len: number): string {
  if (len === 0) return '';
  const name = buf.subarray(start, start + len);
  if (name[0] === 0) return `@${name.toString('utf8', 1)}`;
  const z = name.indexOf(0);
  return name.toString('utf8', 0, z < 0 ? len : z);
}

function cstr(buf: Buffer, start: number, max: number): string {
  const z = buf.indexOf(0, start);
  const end = z < 0 || z > start + max ? start + max : z;
  return buf.toString('utf8', start, end);
}

function task(buf: Buffer, o: number): RawTask {
  const t = o + HDR.SIZE;
  return {
    pid: buf.readUInt32LE(t + TASK.pid),
    tid: buf.readUInt32LE(t + TASK.tid),
    ppid: buf.readUInt32LE(t + TASK.ppid),
    uid: buf.readUInt32LE(t + TASK.uid),
    gid: buf.readUInt32LE(t + TASK.gid),
    euid: buf.readUInt32LE(t + TASK.euid),
    egid: buf.readUInt32LE(t + TASK.egid),
    startNs: buf.readBigUInt64LE(t + TASK.start_ns),
    cgroupId: buf.readBigUInt64LE(t + TASK.cgroup_id),
    comm: cstr(buf, t + TASK.comm, COMM_LEN),
    exeUnlinked: (buf.readUInt32LE(t + TASK.flags) & TASK_EXE_UNLINKED) !== 0,
  };
}

/** Text form of an address; IPv4-mapped IPv6 (::ffff:a.b.c.d) is reported as IPv4. */
export function formatAddress(family: number, addr: Buffer): { family: 'inet' | 'inet6'; ip: string } {
  if (family === AF_INET) return { family: 'inet', ip: `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` };
  let mapped = addr[10] === 0xff && addr[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = addr[i] === 0;
  if (mapped) return { family: 'inet', ip: `${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}` };
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(addr.readUInt16BE(i));
  return { family: 'inet6', ip: formatIpv6(groups) };
}

/** RFC 5952 text: lower-case hex, the longest run (2 or more) of zero groups as "::". */
export function formatIpv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

const ktime = (buf: Buffer, o: number): bigint => buf.readBigUInt64LE(o + HDR.ktime_ns);
const truncated = (buf: Buffer, o: number): boolean => (buf.readUInt32LE(o + HDR.flags) & F_TRUNCATED) !== 0;

/** argv as the kernel laid it out: NUL-terminated strings; a cut last one is kept as it is. */
function splitArgs(buf: Buffer, start: number, len: number): string[] {
  if (len === 0) return [];
  const end = buf[start + len - 1] === 0 ? len - 1 : len;
  return buf.toString('utf8', start, start + end).split('\0');
}

function creds(buf: Buffer, o: number): Creds {
  const u = (f: number): number => buf.readUInt32LE(o + f) | 0; // ids as Avro int: 4294967295 (-1) stays -1
  return {
    uid: u(CREDS.uid), euid: u(CREDS.euid), suid: u(CREDS.suid), fsuid: u(CREDS.fsuid),
    gid: u(CREDS.gid), egid: u(CREDS.egid), sgid: u(CREDS.sgid), fsgid: u(CREDS.fsgid),
    cap_effective: buf.readBigUInt64LE(o + CREDS.cap_effective), cap_permitted: buf.readBigUInt64LE(o + CREDS.cap_permitted),
  };
}

type Decoder = (buf: Buffer, o: number, len: number) => RawRecord;

function need(len: number, min: number, what: string): void {
  if (len < min) throw new DecodeError(`${what} record of ${len} bytes, want at least ${min}`);
}

const DECODERS: Record<number, Decoder> = {
  [RECORD_TYPES.file]: (buf, o, len) => {
    need(len, FILE_OPEN.path, 'file');
    const pathLen = buf.readUInt16LE(o + FILE_OPEN.path_len);
    need(len, FILE_OPEN.path + pathLen, 'file');
    return {
      type: 'file',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      op: OPS[buf.readUInt16LE(o + FILE_OPEN.op)] ?? 'unknown',
      result: Number(buf.readBigInt64LE(o + FILE_OPEN.ret)),
      dirfd: buf.readInt32LE(o + FILE_OPEN.dirfd),
      flags: buf.readUInt32LE(o + FILE_OPEN.flags) | 0,
      mode: buf.readUInt32LE(o + FILE_OPEN.mode) | 0,
      path: buf.toString('utf8', o + FILE_OPEN.path, o + FILE_OPEN.path + pathLen),
    };
  },
  [RECORD_TYPES.net]: (buf, o, len) => {
    need(len, NET.path, 'net');
    const family = buf.readUInt16LE(o + NET.family);
    const pathLen = Math.min(buf.readUInt16LE(o + NET.path_len), UNIX_PATH_MAX);
    need(len, NET.path + pathLen, 'net');
    if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) throw new DecodeError(`net record with address family ${family}`);
    const a = family === AF_UNIX ? { family: 'unix' as const, ip: '' } : formatAddress(family, buf.subarray(o + NET.addr, o + NET.addr + 16));
    return {
      type: 'net',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      op: OPS[buf.readUInt16LE(o + NET.op)] ?? 'unknown',
      result: Number(buf.readBigInt64LE(o + NET.ret)),
      fd: buf.readInt32LE(o + NET.fd),
      family: a.family,
      ip: a.ip,
      port: buf.readUInt16LE(o + NET.port),
      protocol: protocolName(family, buf.readUInt16LE(o + NET.sock_type), buf.readUInt16LE(o + NET.protocol)),
      unixPath: unixPath(buf, o + NET.path, pathLen),
    };
  },
  [RECORD_TYPES.exec]: (buf, o, len) => {
    need(len, PROC_EXEC.args, 'exec');
    const fl = Math.min(buf.readUInt16LE(o + PROC_EXEC.filename_len), PATH_MAX - 1);
    const el = Math.min(buf.readUInt16LE(o + PROC_EXEC.exe_len), PATH_MAX - 1);
    const cl = Math.min(buf.readUInt16LE(o + PROC_EXEC.cwd_len), PATH_MAX - 1);
    const al = buf.readUInt16LE(o + PROC_EXEC.args_len);
    need(len, PROC_EXEC.args + al, 'exec');
    return {
      type: 'exec',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      oldTid: buf.readUInt32LE(o + PROC_EXEC.old_tid),
      filename: buf.toString('utf8', o + PROC_EXEC.filename, o + PROC_EXEC.filename + fl),
      exe: buf.toString('utf8', o + PROC_EXEC.exe, o + PROC_EXEC.exe + el),
      cwd: buf.toString('utf8', o + PROC_EXEC.cwd, o + PROC_EXEC.cwd + cl),
      args: splitArgs(buf, o + PROC_EXEC.args, al),
      exeMemfd: (buf.readUInt32LE(o + PROC_EXEC.exe_flags) & EXE.MEMFD) !== 0,
    };
  },
  [RECORD_TYPES.exit]: (buf, o, len) => {
    need(len, PROC_EXIT.SIZE, 'exit');
    const status = buf.readInt32LE(o + PROC_EXIT.exit_code);
    const signal = status & 0x7f;
    return { type: 'exit', ktimeNs: ktime(buf, o), truncated: truncated(buf, o), task: task(buf, o), exitCode: signal ? -1 : (status >> 8) & 0xff, signal };
  },
  [RECORD_TYPES.cred]: (buf, o, len) => {
    need(len, PROC_CRED.SIZE, 'cred');
    return {
      type: 'cred',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      op: OPS[buf.readUInt16LE(o + PROC_CRED.op)] ?? 'unknown',
      result: Number(buf.readBigInt64LE(o + PROC_CRED.ret)),
      old: creds(buf, o + PROC_CRED.old),
      new: creds(buf, o + PROC_CRED.new),
    };
  },
};

/** Decode the record at `offset` (`length` bytes). Throws DecodeError on an unknown or short record. */
export function decodeRecord(buf: Buffer, offset: number, length: number): RawRecord {
  if (length < HDR.SIZE + 64) throw new DecodeError(`record of ${length} bytes is shorter than its header`);
  const type = buf.readUInt16LE(offset + HDR.type);
  const size = buf.readUInt16LE(offset + HDR.size);
  if (size !== length) throw new DecodeError(`record type ${type} says ${size} bytes, ring says ${length}`);
  const d = DECODERS[type];
  if (!d) throw new DecodeError(`unknown record type ${type}`);
  return d(buf, offset, length);
}
