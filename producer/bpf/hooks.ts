/**
 * Every program in bpf/build/ebpf-audit.bpf.o and what it is for. The loader attaches each one;
 * a required hook that fails stops the producer, an optional one is logged and skipped (for example
 * open/creat tracepoints, which arm64 does not have). Names must match the SEC functions in bpf/.
 */
export interface Hook {
  program: string;
  family: 'file' | 'net' | 'process';
  attachPoint: string;
  required: boolean;
}

const tp = (program: string, family: Hook['family'], attachPoint: string, required = true): Hook => ({
  program,
  family,
  attachPoint,
  required,
});

export const HOOKS: readonly Hook[] = [
  tp('ea_enter_openat', 'file', 'tracepoint/syscalls/sys_enter_openat'),
  tp('ea_exit_openat', 'file', 'tracepoint/syscalls/sys_exit_openat'),
  tp('ea_enter_openat2', 'file', 'tracepoint/syscalls/sys_enter_openat2', false),
  tp('ea_exit_openat2', 'file', 'tracepoint/syscalls/sys_exit_openat2', false),
  tp('ea_enter_open', 'file', 'tracepoint/syscalls/sys_enter_open', false),
  tp('ea_exit_open', 'file', 'tracepoint/syscalls/sys_exit_open', false),
  tp('ea_enter_creat', 'file', 'tracepoint/syscalls/sys_enter_creat', false),
  tp('ea_exit_creat', 'file', 'tracepoint/syscalls/sys_exit_creat', false),
  tp('ea_enter_connect', 'net', 'tracepoint/syscalls/sys_enter_connect'),
  tp('ea_exit_connect', 'net', 'tracepoint/syscalls/sys_exit_connect'),
  tp('ea_exec', 'process', 'tracepoint/sched/sched_process_exec'),
  tp('ea_exit', 'process', 'tracepoint/sched/sched_process_exit'),
];
