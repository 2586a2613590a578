// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * File opens: open, openat, openat2, creat, recorded at syscall exit with the result, so failed
 * attempts (EACCES, ENOENT) are events too. The path is read at exit: at enter the user page may
 * not be faulted in yet (97 of 4223 reads failed in the spike). On the per-syscall tracepoints
 * the exit has no arguments, so enter stashes them by thread id.
 */
#include "maps.bpf.h"
#include "file.bpf.h"

#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EA_STASH_ENTRIES);
	__type(key, __u32);
	__type(value, struct open_args);
} open_stash SEC(".maps");

static __always_inline int stash(__u16 op, __s32 dirfd, __u64 path, __u32 flags, __u32 mode)
{
	if (ea_excluded())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args a = { .path = path, .flags = flags, .mode = mode, .dirfd = dirfd, .op = op };
	if (bpf_map_update_elem(&open_stash, &tid, &a, BPF_ANY))
		ea_count(EA_FILE_OPEN, EA_CNT_STASH_FULL);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int ea_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return stash(EA_OP_OPENAT, ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int ea_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return stash(EA_OP_OPENAT2, ctx->args[0], ctx->args[1], how.flags, how.mode);
}

SEC("tracepoint/syscalls/sys_enter_open")
int ea_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return stash(EA_OP_OPEN, AT_FDCWD, ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_creat")
int ea_enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	return stash(EA_OP_CREAT, AT_FDCWD, ctx->args[0], O_CREAT | O_WRONLY | O_TRUNC, ctx->args[1]);
}

/*
 * Emit one open record (file.bpf.h). Global, for the per-syscall tracepoints here and openat2; the
 * raw sys_exit dispatcher in syscalls.bpf.c inlines the same code for open, openat and creat.
 */
__noinline int ea_file_emit(struct open_args *a, long ret)
{
	return ea_file_record(a, ret);
}

/* openat2 passes flags and mode in a struct open_how in user memory. */
__noinline int ea_file_emit_openat2(__s32 dirfd, __u64 path, __u64 uhow, long ret)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)uhow);
	struct open_args a = { .path = path, .flags = how.flags, .mode = how.mode, .dirfd = dirfd, .op = EA_OP_OPENAT2 };
	return ea_file_emit(&a, ret);
}

static __always_inline int emit_stashed(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args *p = bpf_map_lookup_elem(&open_stash, &tid);
	if (!p)
		return 0;
	struct open_args a = *p;
	bpf_map_delete_elem(&open_stash, &tid);
	return ea_file_emit(&a, ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int ea_exit_openat(struct trace_event_raw_sys_exit *ctx) { return emit_stashed(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_openat2")
int ea_exit_openat2(struct trace_event_raw_sys_exit *ctx) { return emit_stashed(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_open")
int ea_exit_open(struct trace_event_raw_sys_exit *ctx) { return emit_stashed(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_creat")
int ea_exit_creat(struct trace_event_raw_sys_exit *ctx) { return emit_stashed(ctx->ret); }
