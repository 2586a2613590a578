/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
#pragma once
#include "maps.bpf.h"

/*
 * The per-syscall tracepoint fallback for syscalls the raw sys_exit reads from the saved
 * registers: enter stashes the six raw arguments by thread id, exit takes them back. One map for
 * all of them: a thread is inside one syscall at a time.
 */
struct ea_args {
	__u64 a[6];
};

EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EA_STASH_ENTRIES);
	__type(key, __u32);
	__type(value, struct ea_args);
} args_stash SEC(".maps");

/*
 * Stash the first `nargs` arguments (a constant). Reading past a syscall's own arguments would
 * make the attach fail: the kernel refuses a program that reads beyond the tracepoint's record.
 */
static __always_inline int ea_stash(struct trace_event_raw_sys_enter *ctx, __u32 type, int nargs)
{
	if (ea_excluded())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	/* One load per argument at a constant offset: the verifier refuses a moved ctx pointer. */
	struct ea_args a = {};
	a.a[0] = ctx->args[0];
	if (nargs > 1)
		a.a[1] = ctx->args[1];
	if (nargs > 2)
		a.a[2] = ctx->args[2];
	if (nargs > 3)
		a.a[3] = ctx->args[3];
	if (nargs > 4)
		a.a[4] = ctx->args[4];
	if (nargs > 5)
		a.a[5] = ctx->args[5];
	if (bpf_map_update_elem(&args_stash, &tid, &a, BPF_ANY))
		ea_count(type, EA_CNT_STASH_FULL);
	return 0;
}

/* The stashed arguments copied to *out and removed; NULL when enter did not stash (excluded). */
static __always_inline struct ea_args *ea_unstash(struct ea_args *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ea_args *p = bpf_map_lookup_elem(&args_stash, &tid);
	if (!p)
		return 0;
	*out = *p;
	bpf_map_delete_elem(&args_stash, &tid);
	return out;
}

#define EA_STASH_ENTER(name, type, nargs)                                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)                             \
	int ea_enter_##name(struct trace_event_raw_sys_enter *ctx) { return ea_stash(ctx, type, nargs); }
