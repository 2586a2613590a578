// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * ptrace(2) requests that start tracing or write into another process (code injection, anti-
 * debugging), recorded at syscall exit with the result. Reads and continues are skipped first
 * thing: a debugger or strace makes thousands of them a second.
 */
#include "maps.bpf.h"
#include "stash.bpf.h"

#define PTRACE_TRACEME 0
#define PTRACE_POKETEXT 4
#define PTRACE_POKEDATA 5
#define PTRACE_POKEUSR 6
#define PTRACE_SETREGS 13
#define PTRACE_SETFPREGS 15
#define PTRACE_ATTACH 16
#define PTRACE_SETREGSET 0x4205
#define PTRACE_SEIZE 0x4206

static __always_inline int recorded(long request)
{
	switch (request) {
	case PTRACE_TRACEME:
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
	case PTRACE_POKEUSR:
	case PTRACE_SETREGS:
	case PTRACE_SETFPREGS:
	case PTRACE_ATTACH:
	case PTRACE_SETREGSET:
	case PTRACE_SEIZE:
		return 1;
	}
	return 0;
}

__noinline int ea_ptrace_emit(long request, __s32 pid, __u64 addr, __u64 data, long ret)
{
	if (!recorded(request) || ea_excluded())
		return 0;
	__u32 flags = ea_filter_flags();
	if (!ea_result_passes(EA_PROC_PTRACE, flags, ret))
		return 0;
	struct ea_proc_ptrace *e = ea_begin(EA_PROC_PTRACE, flags);
	if (!e)
		return 0;
	e->ret = ret;
	e->request = request;
	e->target = request == PTRACE_TRACEME ? 0 : pid;
	e->_pad = 0;
	e->addr = addr;
	e->data = data;
	ea_submit(e, sizeof(*e));
	return 0;
}

/* The fallback stashes only requests worth recording: the rest must stay cheap there too. */
SEC("tracepoint/syscalls/sys_enter_ptrace")
int ea_enter_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	return recorded(ctx->args[0]) ? ea_stash(ctx, EA_PROC_PTRACE, 4) : 0;
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int ea_exit_ptrace(struct trace_event_raw_sys_exit *ctx)
{
	struct ea_args args, *a = ea_unstash(&args);
	return a ? ea_ptrace_emit(a->a[0], a->a[1], a->a[2], a->a[3], ctx->ret) : 0;
}
