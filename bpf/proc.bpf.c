// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Process lifecycle: exec (the new image's absolute executable path) and exit (of the last thread).
 * The producer keeps its process table (pid + start time -> executable) from these records.
 */
#include "maps.bpf.h"

/*
 * Absolute path of a struct path without bpf_d_path (refused here: LSM and fentry programs get
 * EPERM): walk dentries up to the mount root, hop to the parent mount, repeat. bpf_loop keeps the
 * verifier happy (an unrolled walk hit the 1M-instruction limit). About 4 us, so only used on exec.
 */
#define WALK_DEPTH 64

struct walk {
	const unsigned char *names[WALK_DEPTH];
	__u64 dentry;
	__u64 mnt;
	__u32 n;
	__u32 off;
	__u32 cut;
	char buf[2 * EA_PATH_MAX]; /* a component is copied at off < EA_PATH_MAX with a bound of EA_PATH_MAX */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walk_scratch SEC(".maps");

static __always_inline struct walk *walk_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&walk_scratch, &zero);
}

static long walk_up(__u32 i, void *unused)
{
	struct walk *w = walk_get();
	if (!w)
		return 1;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (d == mnt_root) {
		struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt)
			return 1; /* the root of the mount tree */
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)parent;
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == parent)
		return 1;
	__u32 n = w->n;
	if (n >= WALK_DEPTH) {
		w->cut = 1;
		return 1;
	}
	w->names[n] = BPF_CORE_READ(d, d_name.name);
	w->n = n + 1;
	w->dentry = (__u64)parent;
	return 0;
}

static long walk_emit(__u32 i, void *unused)
{
	struct walk *w = walk_get();
	if (!w)
		return 1;
	int k = (int)w->n - 1 - (int)i; /* the root-most component first */
	if (k < 0 || k >= WALK_DEPTH)
		return 1;
	__u32 off = w->off;
	if (off >= EA_PATH_MAX - 1) {
		w->cut = 1;
		return 1;
	}
	off &= EA_PATH_MAX - 1;
	w->buf[off] = '/';
	long l = bpf_probe_read_kernel_str(&w->buf[off + 1], EA_PATH_MAX, w->names[k]);
	w->off = off + 1 + (l > 1 ? l - 1 : 0);
	return 0;
}

/* Resolve `p` into dst (EA_PATH_MAX bytes); returns the length. */
static __always_inline __u16 resolve_path(struct ea_hdr *h, const struct path *p, char *dst)
{
	struct walk *w = walk_get();
	if (!w)
		return 0;
	struct vfsmount *vm = BPF_CORE_READ(p, mnt);
	w->dentry = (__u64)BPF_CORE_READ(p, dentry);
	w->mnt = (__u64)container_of(vm, struct mount, mnt);
	w->n = 0;
	w->off = 0;
	w->cut = 0;
	bpf_loop(WALK_DEPTH + 16, walk_up, 0, 0);
	bpf_loop(WALK_DEPTH, walk_emit, 0, 0);
	__u32 off = w->off;
	if (off == 0)
		w->buf[off++] = '/';
	if (off > EA_PATH_MAX - 1) {
		off = EA_PATH_MAX - 1;
		w->cut = 1;
	}
	off &= EA_PATH_MAX - 1;
	w->buf[off] = 0;
	if (w->cut)
		h->flags |= EA_F_TRUNCATED;
	bpf_probe_read_kernel(dst, EA_PATH_MAX, w->buf);
	return off;
}

SEC("tracepoint/sched/sched_process_exec")
int ea_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	if (ea_excluded())
		return 0;
	struct ea_proc_exec *e = ea_begin(EA_PROC_EXEC);
	if (!e || !ea_task_passes(EA_PROC_EXEC, ea_filter_flags(), &e->task))
		return 0;
	e->old_tid = ctx->old_pid;
	unsigned int loc = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->filename, EA_PATH_MAX, (void *)ctx + loc);
	e->filename_len = ea_strlen(&e->hdr, n, EA_PATH_MAX);
	e->exe_len = 0;
	e->exe[0] = 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe)
		e->exe_len = resolve_path(&e->hdr, &exe->f_path, e->exe);
	ea_submit(e, sizeof(*e));
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
	struct ea_proc_exit *e = ea_begin(EA_PROC_EXIT);
	if (!e || !ea_task_passes(EA_PROC_EXIT, ea_filter_flags(), &e->task))
		return 0;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->_pad = 0;
	ea_submit(e, sizeof(*e));
	return 0;
}
