/**
 * Byte offsets of the records in bpf/events.h. test/unit/abi.test.ts compiles a probe that prints
 * the C offsets and sizes and checks them against these, so a change on one side cannot drift.
 */
/** enum ea_type: the record types, and the names their kernel counters are reported under. */
export const RECORD_TYPES = { file: 1, net: 2, exec: 3, exit: 4, cred: 5, link: 6, socket: 7, dup: 8, ptrace: 9, module: 10 } as const;
export const TYPE_MAX = 11;
export const PATH_MAX = 4096;
export const ARGS_MAX = 4096;
export const PARAMS_MAX = 1024;
export const COMM_LEN = 16;
export const F_TRUNCATED = 1;
/** ea_task.flags and ea_proc_exec.exe_flags bits. */
export const TASK_EXE_UNLINKED = 1;
export const EXE = { MEMFD: 1, UNLINKED: 2, UPPER_LAYER: 4 } as const;

export const COUNTER_SLOTS = { emitted: 0, ringFull: 1, stashFull: 2, truncated: 3, filtered: 4, count: 5 } as const;

/** bpf/events.h filter ABI. */
export const RULE = { include: 1, exclude: 2 } as const;
export const FLT = {
  PID_INCLUDE: 1 << 0,
  UID_INCLUDE: 1 << 1,
  COMM_INCLUDE: 1 << 2,
  PATH_INCLUDE: 1 << 3,
  PID_RULES: 1 << 4,
  PATH_RULES: 1 << 5,
  FAILED_ONLY: 1 << 6,
  SUCCESS_ONLY: 1 << 7,
  UID_RULES: 1 << 8,
  COMM_RULES: 1 << 9,
  PID_INLINE: 1 << 10,
} as const;
/** struct ea_filter_cfg: the flags word, and up to PID_INLINE pid rules held in it. */
export const PID_INLINE = 8;
export const FILTER_CFG = { flags: 0, pids: 4, pid_rules: 4 + 4 * PID_INLINE, SIZE: 4 + 5 * PID_INLINE } as const;
export const PATH_KEY_LEN = 256;

export const HDR = { type: 0, size: 2, flags: 4, ktime_ns: 8, SIZE: 16 } as const;

/** struct ea_task, relative to its start (which is HDR.SIZE in every record). */
export const TASK = {
  pid: 0,
  tid: 4,
  ppid: 8,
  uid: 12,
  gid: 16,
  euid: 20,
  egid: 24,
  flags: 28,
  start_ns: 32,
  cgroup_id: 40,
  comm: 48,
  cap_effective: 64,
  tty: 72,
  loginuid: 76,
  SIZE: 80,
} as const;

const T = HDR.SIZE + TASK.SIZE; // first byte after the common part: 96

export const FILE_OPEN = { ret: T, dirfd: T + 8, flags: T + 12, mode: T + 16, op: T + 20, path_len: T + 22, path: T + 24 } as const;
export const UNIX_PATH_MAX = 108;
export const NET = {
  ret: T,
  fd: T + 8,
  family: T + 12,
  port: T + 14,
  addr: T + 16,
  op: T + 32,
  sock_type: T + 34,
  protocol: T + 36,
  path_len: T + 38,
  local_addr: T + 40,
  local_port: T + 56,
  path: T + 64,
  SIZE: Math.ceil((T + 64 + UNIX_PATH_MAX) / 8) * 8, // C pads to 8
} as const;
export const FILE_LINK = {
  ret: T,
  olddirfd: T + 8,
  newdirfd: T + 12,
  flags: T + 16,
  op: T + 20,
  path_len: T + 22,
  target_len: T + 24,
  path: T + 32,
  target: T + 32 + PATH_MAX,
  SIZE: T + 32 + 2 * PATH_MAX,
} as const;
export const PROC_PTRACE = { ret: T, request: T + 8, target: T + 16, addr: T + 24, data: T + 32, SIZE: T + 40 } as const;
export const PROC_MODULE = {
  ret: T,
  len: T + 8,
  fd: T + 16,
  flags: T + 20,
  op: T + 24,
  path_len: T + 26,
  params_len: T + 28,
  path: T + 32,
  params: T + 32 + PATH_MAX,
  SIZE: T + 32 + PATH_MAX + PARAMS_MAX,
} as const;
export const PROC_EXEC = {
  old_tid: T,
  filename_len: T + 4,
  exe_len: T + 6,
  cwd_len: T + 8,
  args_len: T + 10,
  exe_flags: T + 12,
  filename: T + 16,
  exe: T + 16 + PATH_MAX,
  cwd: T + 16 + 2 * PATH_MAX,
  args: T + 16 + 3 * PATH_MAX,
  SIZE: T + 16 + 3 * PATH_MAX + ARGS_MAX,
} as const;
export const PROC_EXIT = { exit_code: T, SIZE: T + 8 } as const;

/** struct ea_creds, relative to its start. */
export const CREDS = {
  uid: 0,
  euid: 4,
  suid: 8,
  fsuid: 12,
  gid: 16,
  egid: 20,
  sgid: 24,
  fsgid: 28,
  cap_effective: 32,
  cap_permitted: 40,
  SIZE: 48,
} as const;
export const PROC_CRED = { ret: T, op: T + 8, old: T + 16, new: T + 16 + CREDS.SIZE, SIZE: T + 16 + 2 * CREDS.SIZE } as const;

/** enum ea_op */
export const OPS: Record<number, string> = {
  1: 'openat',
  2: 'openat2',
  3: 'open',
  4: 'creat',
  5: 'connect',
  6: 'accept',
  7: 'accept4',
  8: 'setuid',
  9: 'setgid',
  10: 'setreuid',
  11: 'setregid',
  12: 'setresuid',
  13: 'setresgid',
  14: 'setfsuid',
  15: 'setfsgid',
  16: 'capset',
  17: 'symlink',
  18: 'symlinkat',
  19: 'link',
  20: 'linkat',
  21: 'socket',
  22: 'dup',
  23: 'dup2',
  24: 'dup3',
  25: 'ptrace',
  26: 'init_module',
  27: 'finit_module',
};
