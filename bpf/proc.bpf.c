// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Process lifecycle: exec (the new image's absolute executable path) and exit (of the last thread).
 * The producer keeps its process table (pid + start time -> executable) from these records.
 */
#include "maps.bpf.h"
#include "path.bpf.h"

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/*
 * Fileless execution (ATT&CK T1620), checked as Falco's modern_bpf does: a memfd is a pseudo
 * dentry that is its own parent, named "memfd:NAME".
 */
static __always_inline __u32 exe_flags(struct file *exe)
{
	__u32 flags = 0;
	struct dentry *d = exe->f_path.dentry;
	if (d->d_parent == d) {
		char name[8] = {};
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
		if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
			flags |= EA_EXE_MEMFD;
	}
	if (d->d_inode->i_nlink == 0)
		flags |= EA_EXE_UNLINKED;
	/*
	 * On overlayfs (container images): the file is on the upper layer when the overlay inode
	 * has an upper dentry with an inode. struct ovl_inode keeps __upperdentry right after its
	 * vfs inode; like Falco, find it by the size of struct inode, so overlay need not be in BTF.
	 */
	if (BPF_CORE_READ(d, d_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		struct dentry *upper = 0;
		bpf_probe_read_kernel(&upper, sizeof(upper), (char *)d->d_inode + bpf_core_type_size(struct inode));
		if (upper && BPF_CORE_READ(upper, d_inode, i_ino) != 0)
			flags |= EA_EXE_UPPER_LAYER;
	}
	return flags;
}

SEC("tracepoint/sched/sched_process_exec")
int ea_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	if (ea_excluded())
		return 0;
	struct ea_proc_exec *e = ea_begin(EA_PROC_EXEC, ea_filter_flags());
	if (!e)
		return 0;
	e->old_tid = ctx->old_pid;
	unsigned int loc = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->filename, EA_PATH_MAX, (void *)ctx + loc);
	e->filename_len = ea_strlen(&e->hdr, n, EA_PATH_MAX);
	e->exe_len = 0;
	e->exe[0] = 0;
	e->exe_flags = 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *exe = task->mm->exe_file;
	if (exe) {
		e->exe_len = resolve_path(&e->hdr, &exe->f_path, e->exe);
		e->exe_flags = exe_flags(exe);
	}
	struct path pwd = task->fs->pwd;
	e->cwd_len = resolve_path(&e->hdr, &pwd, e->cwd);

	/* The new image's argv, already copied to its stack: arg_start..arg_end, NUL-separated. */
	__u64 start = task->mm->arg_start, end = task->mm->arg_end;
	__u64 alen = end > start ? end - start : 0;
	if (alen > EA_ARGS_MAX) {
		alen = EA_ARGS_MAX;
		e->hdr.flags |= EA_F_TRUNCATED;
	}
	if (alen && bpf_probe_read_user(e->args, alen & (2 * EA_ARGS_MAX - 1), (void *)start))
		alen = 0;
	e->args_len = alen;
	ea_submit(e, offsetof(struct ea_proc_exec, args) + alen); /* argv is last: send what is used */
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int ea_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	/* Fires per thread; a process has exited when its last thread does. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (ea_excluded())
		return 0;
	struct ea_proc_exit *e = ea_begin(EA_PROC_EXIT, ea_filter_flags());
	if (!e)
		return 0;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->_pad = 0;
	ea_submit(e, sizeof(*e));
	return 0;
}
