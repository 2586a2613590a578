/** Sample events shared by tests (typed: the compiler checks them against schemas/types.ts). */
import type { FileEvent, Host, NetEvent, Process, ProcessEvent, StatsEvent } from '../../schemas/types';

export const host: Host = { id: 'host-1', name: 'web-1', boot_id: 'b00t' };

export const proc: Process = {
  pid: 1234,
  tid: 1235,
  ppid: 1,
  uid: 1000,
  gid: 1000,
  euid: 0,
  egid: 0,
  comm: 'cat',
  exe: '/usr/bin/cat',
  start_time_ns: 123_456_789_000n,
  cgroup_id: 1n,
  container_id: '',
  exe_from_memfd: false,
  exe_deleted: false,
  exe_upper_layer: false,
  cap_effective: 0n,
  tty: 0,
  loginuid: -1,
  user_name: 'alice',
  login_user_name: '',
};

export const fileEvent: FileEvent = {
  time_ns: 1_764_012_345_123_456_789n,
  ktime_ns: 987_654_321n,
  host,
  process: proc,
  op: 'openat',
  path: '/etc/passwd',
  dirfd: -100,
  flags: 0,
  mode: 0,
  result: 3,
  truncated: false,
  target: '',
};

export const netEvent: NetEvent = {
  time_ns: 1_764_012_345_000_000_001n,
  ktime_ns: 1n,
  host,
  process: { ...proc, comm: 'curl', exe: '/usr/bin/curl' },
  op: 'connect',
  family: 'inet',
  dst_ip: '10.1.2.3',
  dst_port: 443,
  fd: 5,
  result: 0,
  protocol: 'tcp',
  unix_path: '',
  local_ip: '10.0.0.5',
  local_port: 40000,
  socket_type: 'stream',
  socket_protocol: 6,
};

export const execEvent: ProcessEvent = {
  time_ns: 1_764_012_345_000_000_000n,
  ktime_ns: 2n,
  host,
  process: proc,
  kind: 'exec',
  filename: '/bin/cat',
  args: ['cat', '/etc/hosts'],
  cwd: '/root',
  exit_code: 0,
  signal: 0,
  truncated: false,
  cred_change: null,
  result: 0,
  ptrace: null,
  module: null,
  ancestors: [{ pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' }],
};

export const statsEvent: StatsEvent = {
  time_ns: 1_764_012_345_000_000_000n,
  host,
  started_ns: 1_764_012_000_000_000_000n,
  final: true,
  kernel: [{ type: 'file', emitted: 10n, ring_full: 1n, stash_full: 0n, truncated: 0n, filtered: 2n }],
  decoded: 10n,
  decode_errors: 0n,
  encode_errors: 0n,
  queue_drops: 0n,
  sent: 10n,
  rejected: 0n,
  queued: 0n,
  spool_bytes: 0n,
  spool_drops: 0n,
  lost: 1n,
};
