/**
 * Turns ring-buffer records into plain objects (./records.ts), with a decoder table keyed by
 * record type. Strings are copied out here: the ring memory is reused as soon as the drain moves on.
 */
import { utf8Slice } from '../../schemas/utf8';
import { DecodeError } from '../../common/errors';
import type { Creds } from '../../schemas/types';
import {
  COMM_LEN,
  CREDS,
  EXE,
  F_TRUNCATED,
  FILE_LINK,
  FILE_OPEN,
  HDR,
  NET,
  OPS,
  PARAMS_MAX,
  PATH_MAX,
  PROC_CRED,
  PROC_EXEC,
  PROC_EXIT,
  PROC_MODULE,
  PROC_PTRACE,
  RECORD_TYPES,
  TASK,
  TASK_EXE_UNLINKED,
  UNIX_PATH_MAX,
} from '../../bpf/layout';
import type { RawNet, RawRecord, RawTask } from './records';
import { AF_INET, AF_INET6, AF_UNIX, familyName, formatAddress, protocolName, socketTypeName, unixPath } from './socket-text';
import { i32, i32Unchecked, i64Number, u16, u32, u32Unchecked, u64 } from './le';

export type * from './records';
// No value re-exports here (socket-text's are imported from there): TypeScript makes each one a
// getter on the exports object, which turns that object into a dictionary, and the file writer
// calls `task` through it for every record (a LoadIC call in optimized code instead of a load).

const PTRACE_REQUESTS: Record<number, string> = {
  0: 'PTRACE_TRACEME',
  4: 'PTRACE_POKETEXT',
  5: 'PTRACE_POKEDATA',
  6: 'PTRACE_POKEUSR',
  13: 'PTRACE_SETREGS',
  15: 'PTRACE_SETFPREGS',
  16: 'PTRACE_ATTACH',
  0x4205: 'PTRACE_SETREGSET',
  0x4206: 'PTRACE_SEIZE',
};

/**
 * buf.toString('utf8', start, end), clamped as toString clamps its bounds, without its encoding
 * switch and argument handling: toString and the slice it calls were 2.8% of the producer's CPU
 * profile, about half the time of decoding the path itself (utf8Slice).
 */
function utf8(buf: Buffer, start: number, end: number): string {
  if (start < 0) start = 0;
  if (end > buf.length) end = buf.length;
  return end <= start ? '' : utf8Slice(buf, start, end);
}

function cstr(buf: Buffer, start: number, max: number): string {
  const z = buf.indexOf(0, start);
  const end = z < 0 || z > start + max ? start + max : z;
  return utf8(buf, start, end);
}

/**
 * The task's comm, as cstr reads it. Records come in runs from the same few tasks: while the bytes
 * equal the last comm's, its string is handed out again (a 16-byte compare instead of indexOf and
 * a UTF-8 decode, two calls into C++ and a new string per record).
 */
const lastComm = new Uint8Array(COMM_LEN);
let lastCommLen = -1;
let lastCommText = '';
function comm(buf: Buffer, start: number): string {
  let n = 0;
  while (n < COMM_LEN && buf[start + n] !== 0) n++;
  if (n === lastCommLen) {
    let i = 0;
    while (i < n && buf[start + i] === lastComm[i]) i++;
    if (i === n) return lastCommText;
  }
  const text = cstr(buf, start, COMM_LEN);
  if (start + n > buf.length) return text; // cut by the buffer's end: not kept
  for (let i = 0; i < n; i++) lastComm[i] = buf[start + i];
  lastCommLen = n;
  lastCommText = text;
  return text;
}

function readTask(buf: Buffer, t: number): RawTask {
  return {
    pid: u32(buf, t + TASK.pid),
    tid: u32(buf, t + TASK.tid),
    ppid: u32(buf, t + TASK.ppid),
    uid: u32(buf, t + TASK.uid),
    gid: u32(buf, t + TASK.gid),
    euid: u32(buf, t + TASK.euid),
    egid: u32(buf, t + TASK.egid),
    startNs: u64(buf, t + TASK.start_ns),
    cgroupId: u64(buf, t + TASK.cgroup_id),
    comm: comm(buf, t + TASK.comm),
    exeUnlinked: (u32(buf, t + TASK.flags) & TASK_EXE_UNLINKED) !== 0,
    capEffective: u64(buf, t + TASK.cap_effective),
    tty: u32(buf, t + TASK.tty),
    loginuid: u32(buf, t + TASK.loginuid),
  };
}

/**
 * The last task seen per slot (tid modulo TASK_SLOTS): its TASK.SIZE bytes as 32-bit words and the
 * frozen RawTask read from them. A task's records come in runs, and while its bytes are the same
 * the same object is handed out: 20 word compares instead of 14 reads, 3 BigInts and an object
 * (`task` was 3% of the producer's perf samples), and the enricher knows the task by identity.
 */
const TASK_SLOTS = 64;
const TASK_WORDS = TASK.SIZE / 4;
const taskWords = new Int32Array(TASK_SLOTS * TASK_WORDS);
const taskObjects: (RawTask | undefined)[] = new Array<RawTask | undefined>(TASK_SLOTS).fill(undefined);

/** The task of the record at `o`. Throws a RangeError when the task's bytes go past the buffer's end. */
export function task(buf: Buffer, o: number): RawTask {
  const t = o + HDR.SIZE;
  // One check for the whole task, then reads without one each (20 compares per record).
  if (!(t >= 0 && t + TASK.SIZE <= buf.length)) throw new RangeError(`a task at ${t} is outside a buffer of ${buf.length}`);
  const slot = u32Unchecked(buf, t + TASK.tid) & (TASK_SLOTS - 1);
  const w = slot * TASK_WORDS;
  const cached = taskObjects[slot];
  if (cached !== undefined) {
    let i = 0;
    while (i < TASK_WORDS && i32Unchecked(buf, t + 4 * i) === taskWords[w + i]) i++;
    if (i === TASK_WORDS) return cached;
  }
  const fresh = Object.freeze(readTask(buf, t));
  for (let i = 0; i < TASK_WORDS; i++) taskWords[w + i] = i32Unchecked(buf, t + 4 * i);
  taskObjects[slot] = fresh;
  return fresh;
}

const ktime = (buf: Buffer, o: number): bigint => u64(buf, o + HDR.ktime_ns);
const truncated = (buf: Buffer, o: number): boolean => (u32(buf, o + HDR.flags) & F_TRUNCATED) !== 0;

/** argv as the kernel laid it out: NUL-terminated strings; a cut last one is kept as it is. */
function splitArgs(buf: Buffer, start: number, len: number): string[] {
  if (len === 0) return [];
  const end = buf[start + len - 1] === 0 ? len - 1 : len;
  return utf8(buf, start, start + end).split('\0');
}

function creds(buf: Buffer, o: number): Creds {
  const u = (f: number): number => u32(buf, o + f) | 0; // ids as Avro int: 4294967295 (-1) stays -1
  return {
    uid: u(CREDS.uid),
    euid: u(CREDS.euid),
    suid: u(CREDS.suid),
    fsuid: u(CREDS.fsuid),
    gid: u(CREDS.gid),
    egid: u(CREDS.egid),
    sgid: u(CREDS.sgid),
    fsgid: u(CREDS.fsgid),
    cap_effective: u64(buf, o + CREDS.cap_effective),
    cap_permitted: u64(buf, o + CREDS.cap_permitted),
  };
}

const ZERO16 = Buffer.alloc(16);

/**
 * The net-shaped records. connect and accept (`ipOnly`) are IP or unix by construction; socket
 * and dup carry any family (packet, netlink ...), whose addresses stay empty.
 */
function net(buf: Buffer, o: number, len: number, ipOnly: boolean): RawNet {
  need(len, NET.path, 'net');
  const family = u16(buf, o + NET.family);
  const pathLen = Math.min(u16(buf, o + NET.path_len), UNIX_PATH_MAX);
  need(len, NET.path + pathLen, 'net');
  const ip = family === AF_INET || family === AF_INET6;
  if (ipOnly && !ip && family !== AF_UNIX) throw new DecodeError(`net record with address family ${family}`);
  const addr = (at: number) => buf.subarray(o + at, o + at + 16);
  const remote = ip ? formatAddress(family, addr(NET.addr)) : undefined;
  // An unbound socket's local address is all zeros: no text for it rather than 0.0.0.0.
  const local = ip && !addr(NET.local_addr).equals(ZERO16) ? formatAddress(family, addr(NET.local_addr)).ip : '';
  const sockType = u16(buf, o + NET.sock_type);
  const protocol = u16(buf, o + NET.protocol);
  const port = u16(buf, o + NET.port);
  return {
    type: 'net',
    ktimeNs: ktime(buf, o),
    truncated: truncated(buf, o),
    task: task(buf, o),
    op: OPS[u16(buf, o + NET.op)] ?? 'unknown',
    result: i64Number(buf, o + NET.ret),
    fd: i32(buf, o + NET.fd),
    family: remote ? remote.family : familyName(family),
    ip: remote && (ipOnly || port !== 0 || !addr(NET.addr).equals(ZERO16)) ? remote.ip : '',
    port,
    localIp: local,
    localPort: u16(buf, o + NET.local_port),
    protocol: protocolName(family, sockType, protocol),
    socketType: socketTypeName(sockType),
    socketProtocol: protocol,
    unixPath: family === AF_UNIX ? unixPath(buf, o + NET.path, pathLen) : '',
  };
}

type Decoder = (buf: Buffer, o: number, len: number) => RawRecord;

function need(len: number, min: number, what: string): void {
  if (len < min) throw new DecodeError(`${what} record of ${len} bytes, want at least ${min}`);
}

const DECODERS: Record<number, Decoder> = {
  [RECORD_TYPES.file]: (buf, o, len) => {
    need(len, FILE_OPEN.path, 'file');
    const pathLen = u16(buf, o + FILE_OPEN.path_len);
    need(len, FILE_OPEN.path + pathLen, 'file');
    return {
      type: 'file',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      op: OPS[u16(buf, o + FILE_OPEN.op)] ?? 'unknown',
      result: i64Number(buf, o + FILE_OPEN.ret),
      dirfd: i32(buf, o + FILE_OPEN.dirfd),
      flags: u32(buf, o + FILE_OPEN.flags) | 0,
      mode: u32(buf, o + FILE_OPEN.mode) | 0,
      path: utf8(buf, o + FILE_OPEN.path, o + FILE_OPEN.path + pathLen),
    };
  },
  [RECORD_TYPES.net]: (buf, o, len) => net(buf, o, len, true),
  [RECORD_TYPES.socket]: (buf, o, len) => net(buf, o, len, false),
  [RECORD_TYPES.dup]: (buf, o, len) => net(buf, o, len, false),
  [RECORD_TYPES.link]: (buf, o, len) => {
    need(len, FILE_LINK.target, 'link');
    const pl = Math.min(u16(buf, o + FILE_LINK.path_len), PATH_MAX - 1);
    const tl = u16(buf, o + FILE_LINK.target_len);
    need(len, FILE_LINK.target + tl, 'link');
    return {
      type: 'link',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      op: OPS[u16(buf, o + FILE_LINK.op)] ?? 'unknown',
      result: i64Number(buf, o + FILE_LINK.ret),
      olddirfd: i32(buf, o + FILE_LINK.olddirfd),
      newdirfd: i32(buf, o + FILE_LINK.newdirfd),
      flags: u32(buf, o + FILE_LINK.flags) | 0,
      path: utf8(buf, o + FILE_LINK.path, o + FILE_LINK.path + pl),
      target: utf8(buf, o + FILE_LINK.target, o + FILE_LINK.target + tl),
    };
  },
  [RECORD_TYPES.ptrace]: (buf, o, len) => {
    need(len, PROC_PTRACE.SIZE, 'ptrace');
    const code = i64Number(buf, o + PROC_PTRACE.request);
    return {
      type: 'ptrace',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      result: i64Number(buf, o + PROC_PTRACE.ret),
      request: PTRACE_REQUESTS[code] ?? `PTRACE_${code}`,
      requestCode: code,
      target: i32(buf, o + PROC_PTRACE.target),
      addr: u64(buf, o + PROC_PTRACE.addr),
      data: u64(buf, o + PROC_PTRACE.data),
    };
  },
  [RECORD_TYPES.module]: (buf, o, len) => {
    need(len, PROC_MODULE.params, 'module');
    const pl = Math.min(u16(buf, o + PROC_MODULE.path_len), PATH_MAX - 1);
    const ql = Math.min(u16(buf, o + PROC_MODULE.params_len), PARAMS_MAX - 1);
    need(len, PROC_MODULE.params + ql, 'module');
    return {
      type: 'module',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      op: OPS[u16(buf, o + PROC_MODULE.op)] ?? 'unknown',
      result: i64Number(buf, o + PROC_MODULE.ret),
      path: utf8(buf, o + PROC_MODULE.path, o + PROC_MODULE.path + pl),
      size: Number(u64(buf, o + PROC_MODULE.len)),
      fd: i32(buf, o + PROC_MODULE.fd),
      flags: u32(buf, o + PROC_MODULE.flags) | 0,
      params: utf8(buf, o + PROC_MODULE.params, o + PROC_MODULE.params + ql),
    };
  },
  [RECORD_TYPES.exec]: (buf, o, len) => {
    need(len, PROC_EXEC.args, 'exec');
    const fl = Math.min(u16(buf, o + PROC_EXEC.filename_len), PATH_MAX - 1);
    const el = Math.min(u16(buf, o + PROC_EXEC.exe_len), PATH_MAX - 1);
    const cl = Math.min(u16(buf, o + PROC_EXEC.cwd_len), PATH_MAX - 1);
    const al = u16(buf, o + PROC_EXEC.args_len);
    need(len, PROC_EXEC.args + al, 'exec');
    return {
      type: 'exec',
      ktimeNs: ktime(buf, o),
      truncated: truncated(buf, o),
      task: task(buf, o),
      oldTid: u32(buf, o + PROC_EXEC.old_tid),
      filename: utf8(buf, o + PROC_EXEC.filename, o + PROC_EXEC.filename + fl),
      exe: utf8(buf, o + PROC_EXEC.exe, o + PROC_EXEC.exe + el),
      cwd: utf8(buf, o + PROC_EXEC.cwd, o + PROC_EXEC.cwd + cl),
      args: splitArgs(buf, o + PROC_EXEC.args, al),
      exeMemfd: (u32(buf, o + PROC_EXEC.exe_flags) & EXE.MEMFD) !== 0,
      exeUpperLayer: (u32(buf, o + PROC_EXEC.exe_flags) & EXE.UPPER_LAYER) !== 0,
    };
  },
  [RECORD_TYPES.exit]: (buf, o, len) => {
    need(len, PROC_EXIT.SIZE, 'exit');
    const status = i32(buf, o + PROC_EXIT.exit_code);
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
      op: OPS[u16(buf, o + PROC_CRED.op)] ?? 'unknown',
      result: i64Number(buf, o + PROC_CRED.ret),
      old: creds(buf, o + PROC_CRED.old),
      new: creds(buf, o + PROC_CRED.new),
    };
  },
};

/** Decode the record at `offset` (`length` bytes). Throws DecodeError on an unknown or short record. */
export function decodeRecord(buf: Buffer, offset: number, length: number): RawRecord {
  if (length < HDR.SIZE + 64) throw new DecodeError(`record of ${length} bytes is shorter than its header`);
  const type = u16(buf, offset + HDR.type);
  const size = u16(buf, offset + HDR.size);
  if (size !== length) throw new DecodeError(`record type ${type} says ${size} bytes, ring says ${length}`);
  const d = DECODERS[type];
  if (!d) throw new DecodeError(`unknown record type ${type}`);
  return d(buf, offset, length);
}
