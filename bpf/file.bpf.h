/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* The open record, shared by file.bpf.c and the raw sys_exit dispatcher in syscalls.bpf.c. */
#pragma once
#include "maps.bpf.h"
#include "path.bpf.h"

/*
 * Build and submit one open record. Inlined into the raw sys_exit program (the hot path: no
 * BPF-to-BPF call and return, which cost a return thunk each with this CPU's mitigations) and into
 * the global ea_file_emit that the per-syscall tracepoints and openat2 call.
 */
static __always_inline int ea_file_record(struct open_args *a, long ret)
{
	if (!a)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (ea_task_excluded(task))
		return 0;
	__u32 flags = ea_filter_flags();
	if (!ea_result_passes(EA_FILE_OPEN, flags, ret))
		return 0;
	struct ea_file_open *e = ea_begin_task(EA_FILE_OPEN, flags, task);
	if (!e)
		return 0;
	e->ret = ret;
	e->dirfd = a->dirfd;
	e->flags = a->flags;
	e->mode = a->mode;
	e->op = a->op;
	long n = bpf_probe_read_user_str(e->path, EA_PATH_MAX, (const char *)a->path);
	e->path_len = ea_strlen(&e->hdr, n, EA_PATH_MAX);
	e->path_len = make_absolute(&e->hdr, a->dirfd, e->path, e->path_len);
	if (!ea_path_passes(EA_FILE_OPEN, flags, e->path, e->path_len))
		return 0;
	ea_submit(e, offsetof(struct ea_file_open, path) + e->path_len);
	return 0;
}
