/**
 * The kernel's records as plain objects, one shape per record type (bpf/events.h), before
 * enrichment. Strings are copies: the ring memory is reused as soon as the drain moves on.
 */
import type { Creds } from '../../schemas/types';

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
  capEffective: bigint;
  /** Controlling terminal, Falco's encoding of its device number; 0: none. */
  tty: number;
  /** Audit login uid; 4294967295 when unset. */
  loginuid: number;
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

/** symlink, symlinkat, link, linkat. */
export interface RawLink extends RawCommon {
  type: 'link';
  op: string;
  result: number;
  /** linkat's, AT_FDCWD for link, -1 for symlinks. */
  olddirfd: number;
  newdirfd: number;
  /** linkat's AT_* flags. */
  flags: number;
  /** The name created, absolute. */
  path: string;
  /** A symlink's text as given; a hard link's existing file, absolute. */
  target: string;
}

/** connect, accept, accept4 (record type net), socket, dup, dup2, dup3: a socket and its ends. */
export interface RawNet extends RawCommon {
  type: 'net';
  op: string;
  result: number;
  fd: number;
  /** inet, inet6, unix; for socket and dup any family: packet, netlink ... (af-N when unnamed). */
  family: string;
  ip: string;
  port: number;
  localIp: string;
  localPort: number;
  /** tcp, udp ... for IP sockets; stream, dgram, seqpacket for unix sockets; '' otherwise. */
  protocol: string;
  /** stream, dgram, raw, seqpacket, rdm, packet ...; '' when unknown. */
  socketType: string;
  /** The protocol number: IPPROTO_* for IP sockets, the ethertype in network order for packet ones. */
  socketProtocol: number;
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
  /** Executed from an overlayfs upper layer (written in the container). */
  exeUpperLayer: boolean;
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

export interface RawPtrace extends RawCommon {
  type: 'ptrace';
  result: number;
  /** PTRACE_ATTACH, PTRACE_POKETEXT ... (PTRACE_<n> when unnamed). */
  request: string;
  requestCode: number;
  /** The pid argument; 0 for PTRACE_TRACEME. */
  target: number;
  addr: bigint;
  data: bigint;
}

/** init_module, finit_module. */
export interface RawModule extends RawCommon {
  type: 'module';
  op: string;
  result: number;
  /** finit_module: the module file; '' for init_module. */
  path: string;
  /** init_module: the image's size. */
  size: number;
  /** finit_module's fd; -1 for init_module. */
  fd: number;
  flags: number;
  params: string;
}

export type RawRecord = RawFileOpen | RawLink | RawNet | RawExec | RawExit | RawCred | RawPtrace | RawModule;
