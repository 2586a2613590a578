// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Kernel module loads: init_module (an image from memory) and finit_module (from a file), at
 * syscall exit with the result: refused attempts (EPERM, a bad signature, ENOSYS on a kernel
 * without modules) are events too. The file's path costs a dentry walk: loads are rare.
 */
#include "maps.bpf.h"
#include "path.bpf.h"
#include "stash.bpf.h"

static __always_inline int emit(__u16 op, __s32 fd, __u64 len, __u64 uparams, __u32 mflags, long ret)
{
	if (ea_excluded())
		return 0;
	__u32 flags = ea_filter_flags();
	if (!ea_result_passes(EA_PROC_MODULE, flags, ret))
		return 0;
	struct ea_proc_module *e = ea_begin(EA_PROC_MODULE, flags);
	if (!e)
		return 0;
	e->ret = ret;
	e->len = len;
	e->fd = fd;
	e->flags = mflags;
	e->op = op;
	e->_pad = 0;
	e->path_len = 0;
	struct file *f = ea_file_of_fd(fd);
	if (f)
		e->path_len = resolve_path(&e->hdr, &f->f_path, e->path);
	long n = bpf_probe_read_user_str(e->params, EA_PARAMS_MAX, (const char *)uparams);
	e->params_len = ea_strlen(&e->hdr, n, EA_PARAMS_MAX);
	ea_submit(e, offsetof(struct ea_proc_module, params) + (e->params_len & (EA_PARAMS_MAX - 1)));
	return 0;
}

/* Global (not inlined): the raw sys_exit dispatcher calls them too. */
__noinline int ea_module_emit_init(__u64 len, __u64 uparams, long ret) { return emit(EA_OP_INIT_MODULE, -1, len, uparams, 0, ret); }
__noinline int ea_module_emit_finit(__s32 fd, __u64 uparams, __u32 mflags, long ret) { return emit(EA_OP_FINIT_MODULE, fd, 0, uparams, mflags, ret); }

/* Only on kernels built with modules: elsewhere these tracepoints do not exist (optional hooks). */
EA_STASH_ENTER(init_module, EA_PROC_MODULE, 3)
SEC("tracepoint/syscalls/sys_exit_init_module")
int ea_exit_init_module(struct trace_event_raw_sys_exit *ctx)
{
	struct ea_args args, *a = ea_unstash(&args);
	return a ? ea_module_emit_init(a->a[1], a->a[2], ctx->ret) : 0;
}

EA_STASH_ENTER(finit_module, EA_PROC_MODULE, 3)
SEC("tracepoint/syscalls/sys_exit_finit_module")
int ea_exit_finit_module(struct trace_event_raw_sys_exit *ctx)
{
	struct ea_args args, *a = ea_unstash(&args);
	return a ? ea_module_emit_finit(a->a[0], a->a[1], a->a[2], ctx->ret) : 0;
}
