/**
 * Every program in bpf/build/ebpf-audit.bpf.o and what it is for. Names must match the SEC
 * functions in bpf/. Syscalls are captured by one of two program sets:
 *   raw:        tp_btf/sys_exit dispatching by syscall number and reading the arguments from
 *               the saved registers (no stash map for opens and connects: the cheapest);
 *   tracepoint: per-syscall tracepoints (syscalls/sys_enter_openat ...), for kernels that refuse
 *               tp_btf programs.
 * Credential syscalls need the credentials from before the call: both sets take them at enter
 * with the per-syscall tracepoints (sys_enter_setuid ...). The raw set does so too rather than
 * with tp_btf/sys_enter, which would run a program at the entry of every syscall on the machine
 * (two per open+close, 50 ns each with statistics on) for nine rare ones; the per-syscall
 * tracepoints cost other syscalls one bitmap test. tp_btf/sys_enter remains the raw set's
 * fallback if one of them cannot be attached. Exec and exit always use the sched tracepoints.
 */
export type SyscallHooks = 'raw' | 'tracepoint';

export interface Hook {
  program: string;
  family: 'file' | 'net' | 'process';
  attachPoint: string;
  /** Which syscall program sets it belongs to; undefined = always loaded. */
  sets?: readonly SyscallHooks[];
  /** A hook that may be missing (open/creat do not exist on arm64); its enter/exit pair is dropped. */
  optional?: boolean;
  /** Attached only if one of these programs of the same set could not be: it does their work. */
  fallbackFor?: readonly string[];
}

const tp = (program: string, family: Hook['family'], attachPoint: string, optional = false, sets: readonly SyscallHooks[] = ['tracepoint']): Hook => ({
  program,
  family,
  attachPoint,
  sets,
  optional,
});

const CRED_SYSCALLS = ['setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'capset'];

export const HOOKS: readonly Hook[] = [
  {
    program: 'ea_sys_enter',
    family: 'process',
    attachPoint: 'tp_btf/sys_enter',
    sets: ['raw'],
    fallbackFor: CRED_SYSCALLS.map((sc) => `ea_enter_${sc}`),
  },
  { program: 'ea_sys_exit', family: 'file', attachPoint: 'tp_btf/sys_exit', sets: ['raw'] },
  tp('ea_enter_openat', 'file', 'tracepoint/syscalls/sys_enter_openat'),
  tp('ea_exit_openat', 'file', 'tracepoint/syscalls/sys_exit_openat'),
  tp('ea_enter_openat2', 'file', 'tracepoint/syscalls/sys_enter_openat2', true),
  tp('ea_exit_openat2', 'file', 'tracepoint/syscalls/sys_exit_openat2', true),
  tp('ea_enter_open', 'file', 'tracepoint/syscalls/sys_enter_open', true),
  tp('ea_exit_open', 'file', 'tracepoint/syscalls/sys_exit_open', true),
  tp('ea_enter_creat', 'file', 'tracepoint/syscalls/sys_enter_creat', true),
  tp('ea_exit_creat', 'file', 'tracepoint/syscalls/sys_exit_creat', true),
  tp('ea_enter_connect', 'net', 'tracepoint/syscalls/sys_enter_connect'),
  tp('ea_exit_connect', 'net', 'tracepoint/syscalls/sys_exit_connect'),
  tp('ea_exit_accept', 'net', 'tracepoint/syscalls/sys_exit_accept', true),
  tp('ea_exit_accept4', 'net', 'tracepoint/syscalls/sys_exit_accept4', true),
  ...CRED_SYSCALLS.flatMap((sc): Hook[] => [
    tp(`ea_enter_${sc}`, 'process', `tracepoint/syscalls/sys_enter_${sc}`, true, ['raw', 'tracepoint']),
    tp(`ea_exit_${sc}`, 'process', `tracepoint/syscalls/sys_exit_${sc}`, true),
  ]),
  // link/symlink/dup2 do not exist on arm64; init_module/finit_module not on kernels without modules.
  ...(
    [
      ['symlink', 'file', true],
      ['symlinkat', 'file', false],
      ['link', 'file', true],
      ['linkat', 'file', false],
      ['socket', 'net', false],
      ['dup', 'net', false],
      ['dup2', 'net', true],
      ['dup3', 'net', false],
      ['ptrace', 'process', false],
      ['init_module', 'process', true],
      ['finit_module', 'process', true],
    ] as const
  ).flatMap(([sc, family, optional]): Hook[] => [
    tp(`ea_enter_${sc}`, family, `tracepoint/syscalls/sys_enter_${sc}`, optional),
    tp(`ea_exit_${sc}`, family, `tracepoint/syscalls/sys_exit_${sc}`, optional),
  ]),
  { program: 'ea_exec', family: 'process', attachPoint: 'tracepoint/sched/sched_process_exec' },
  { program: 'ea_exit', family: 'process', attachPoint: 'tracepoint/sched/sched_process_exit' },
];
