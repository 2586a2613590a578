/**
 * TypeScript shapes of the Avro records in schemas/*.avsc (the source of truth).
 * test/unit/schemas.test.ts checks that these field lists equal the .avsc ones.
 * Avro longs are BigInt: nanosecond times exceed 2^53.
 */
export interface Host {
  id: string;
  name: string;
  boot_id: string;
}

export interface Process {
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  comm: string;
  exe: string;
  start_time_ns: bigint;
  cgroup_id: bigint;
  container_id: string;
  exe_from_memfd: boolean;
  exe_deleted: boolean;
  exe_upper_layer: boolean;
  cap_effective: bigint;
  tty: number;
  loginuid: number;
  user_name: string;
  login_user_name: string;
}

interface Common {
  time_ns: bigint;
  ktime_ns: bigint;
  host: Host;
  process: Process;
}

export interface FileEvent extends Common {
  op: 'openat' | 'openat2' | 'open' | 'creat' | 'symlink' | 'symlinkat' | 'link' | 'linkat' | string;
  path: string;
  dirfd: number;
  flags: number;
  mode: number;
  result: number;
  truncated: boolean;
  target: string;
}

export interface NetEvent extends Common {
  op: 'connect' | 'accept' | 'accept4' | 'socket' | 'dup' | 'dup2' | 'dup3' | string;
  family: 'inet' | 'inet6' | 'unix' | 'packet' | 'netlink' | string;
  dst_ip: string;
  dst_port: number;
  fd: number;
  result: number;
  protocol: string;
  unix_path: string;
  local_ip: string;
  local_port: number;
  socket_type: string;
  socket_protocol: number;
}

export interface Creds {
  uid: number;
  euid: number;
  suid: number;
  fsuid: number;
  gid: number;
  egid: number;
  sgid: number;
  fsgid: number;
  cap_effective: bigint;
  cap_permitted: bigint;
}

export interface PtraceCall {
  request: string;
  request_code: number;
  target_pid: number;
  addr: bigint;
  data: bigint;
}

export interface ModuleLoad {
  path: string;
  size: bigint;
  fd: number;
  flags: number;
  params: string;
}

export interface Ancestor {
  pid: number;
  comm: string;
  exe: string;
}

export interface ProcessEvent extends Common {
  kind: 'exec' | 'exit' | 'ptrace' | 'init_module' | 'finit_module' | string;
  filename: string;
  args: string[];
  cwd: string;
  exit_code: number;
  signal: number;
  truncated: boolean;
  cred_change: { old: Creds; new: Creds } | null;
  result: number;
  ptrace: PtraceCall | null;
  module: ModuleLoad | null;
  ancestors: Ancestor[];
}

export type EventKind = 'file' | 'net' | 'process';
/** Every event kind, in topic order: one topic and one schema each. */
export const EVENT_KINDS: readonly EventKind[] = ['file', 'net', 'process'];

export type AuditEvent = { kind: 'file'; event: FileEvent } | { kind: 'net'; event: NetEvent } | { kind: 'process'; event: ProcessEvent };

export interface KernelCounterRow {
  type: string;
  emitted: bigint;
  ring_full: bigint;
  stash_full: bigint;
  truncated: bigint;
  filtered: bigint;
}

export interface StatsEvent {
  time_ns: bigint;
  host: Host;
  started_ns: bigint;
  final: boolean;
  kernel: KernelCounterRow[];
  decoded: bigint;
  decode_errors: bigint;
  encode_errors: bigint;
  queue_drops: bigint;
  sent: bigint;
  rejected: bigint;
  queued: bigint;
  spool_bytes: bigint;
  spool_drops: bigint;
  lost: bigint;
}
