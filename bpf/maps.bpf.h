/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Maps and helpers shared by every hook family. The .bpf.c files are compiled separately and
 * linked into one object (bpftool gen object), so the maps below are defined once, in
 * maps.bpf.c, and declared extern everywhere else: one ring buffer, one set of counters.
 */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

#ifndef EA_MAPS_DEFINE
#define EA_MAP extern
#else
#define EA_MAP
#endif

#define EA_RINGBUF_DEFAULT (16 << 20) /* the producer resizes it before load (--ring-buffer-mb) */
#define EA_STASH_ENTRIES 16384        /* threads in the middle of a traced syscall at once */

EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EA_RINGBUF_DEFAULT);
} events SEC(".maps");

EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EA_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * The thread group whose activity is never recorded: the producer itself, set before attach, by
 * the global tgid that ea_self_tgid (self.bpf.c) reports, not by its process.pid (a PID
 * namespace's). An array of one, whose lookup the verifier inlines: a hash map's was a call and
 * a hash, ~35 ns of every event.
 */
EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} excluded_tgid SEC(".maps");

EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ea_filter_cfg);
} filter_cfg SEC(".maps");

#define EA_RULE_MAP(name, keytype, n)                \
	EA_MAP struct {                               \
		__uint(type, BPF_MAP_TYPE_HASH);      \
		__uint(max_entries, n);               \
		__type(key, keytype);                 \
		__type(value, __u8);                  \
	} name SEC(".maps")
EA_RULE_MAP(pid_rules, __u32, 1024);
EA_RULE_MAP(uid_rules, __u32, 1024);
EA_RULE_MAP(comm_rules, char[EA_COMM_LEN], 1024);

EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ea_path_key);
	__type(value, __u8);
} path_rules SEC(".maps");

/* Per-CPU key space for path rule lookups (too big for the 512-byte stack). */
EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ea_path_key);
} path_key SEC(".maps");

/* The arguments of an open-family syscall, passed to the shared emitter in file.bpf.c. */
struct open_args {
	__u64 path; /* user pointer */
	__u32 flags;
	__u32 mode;
	__s32 dirfd;
	__u16 op;
};

/* The arguments of a link-family syscall (more than a BPF call's five), for link.bpf.c. */
struct link_args {
	__u64 oldpath; /* user pointers */
	__u64 newpath;
	__s32 olddirfd; /* -1 for symlinks: their target is text */
	__s32 newdirfd;
	__u32 flags;
	__u16 op;
};

/* Per-CPU space to build one record before bpf_ringbuf_output copies its used length. */
#define EA_SCRATCH_SIZE sizeof(struct ea_proc_exec) /* the largest record */
EA_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ea_proc_exec);
} scratch SEC(".maps");

/* Whether the process `tgid` is the producer (the tgid in excluded_tgid). */
static __always_inline int ea_tgid_excluded(__u32 tgid)
{
	__u32 zero = 0;
	__u32 *self = bpf_map_lookup_elem(&excluded_tgid, &zero);
	return self && *self == tgid;
}

/* The same for `task` (the current task, which a hot emitter has already fetched). */
static __always_inline int ea_task_excluded(struct task_struct *task)
{
	return ea_tgid_excluded(task->tgid);
}

static __always_inline int ea_excluded(void)
{
	return ea_tgid_excluded(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline void ea_count(__u32 type, __u32 slot)
{
	__u32 key = type * EA_CNT_SLOTS + slot;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);
	/* Per-CPU, but another program can interrupt this one on the same CPU: stay atomic. */
	if (v)
		__sync_fetch_and_add(v, 1);
}

#include "task.bpf.h"
#include "filter.bpf.h"

/*
 * Start a record of `type` in this CPU's scratch space: header and `task` (the current task, from
 * bpf_get_current_task_btf()) filled in. NULL when the pid, uid or comm rules of `flags`
 * (ea_filter_flags()) drop the task's events: they are checked first, so a filtered event costs
 * no record. The hot emitters get the task once and pass it: bpf_get_current_task_btf is a helper
 * call (not inlined on 6.18), and a call and its return cost several ns with this CPU's
 * return-thunk mitigation.
 */
static __always_inline void *ea_begin_task(__u16 type, __u32 flags, struct task_struct *task)
{
	if (!ea_task_passes(type, flags, task))
		return 0;
	__u32 zero = 0;
	struct ea_hdr *h = bpf_map_lookup_elem(&scratch, &zero);
	if (!h)
		return 0;
	h->type = type;
	h->flags = 0;
	h->ktime_ns = bpf_ktime_get_boot_ns();

	struct ea_task *t = (struct ea_task *)(h + 1);
	/*
	 * A BTF task pointer: fields are plain (fault-safe) loads. They replace the pid_tgid,
	 * uid_gid, cgroup_id and comm helpers, whose calls (and comm's strscpy_pad, uid_gid's
	 * from_kuid/from_kgid) cost ~150 ns per record here; the values are the same (ids as
	 * the initial namespaces number them, comm's bytes NUL-padded as set_task_comm leaves them).
	 */
	const struct cred *cred = task->cred;
	t->pid = task->tgid;
	t->tid = task->pid;
	t->uid = cred->uid.val;
	t->gid = cred->gid.val;
	t->ppid = task->real_parent->tgid;
	t->euid = cred->euid.val;
	t->egid = cred->egid.val;
	/* A few plain loads per record: whether the executable was deleted or replaced since the exec. */
	struct file *exe = task->mm ? task->mm->exe_file : 0;
	t->flags = exe && ea_file_unlinked(exe) ? EA_TASK_EXE_UNLINKED : 0;
	t->start_ns = task->group_leader->start_boottime;
	t->cgroup_id = task->cgroups->dfl_cgrp->kn->id; /* bpf_get_current_cgroup_id()'s value */
	__u64 *comm = (__u64 *)task->comm;
	((__u64 *)t->comm)[0] = comm[0];
	((__u64 *)t->comm)[1] = comm[1];
	/* kernel_cap_t is one u64 since 6.3, two u32 (low first) before: the same 8 bytes. */
	if (bpf_core_field_exists(cred->cap_effective.val))
		t->cap_effective = cred->cap_effective.val;
	else
		bpf_probe_read_kernel(&t->cap_effective, 8, &cred->cap_effective);
	t->tty = ea_tty(task);
	t->loginuid = bpf_core_field_exists(task->loginuid) ? task->loginuid.val : 0xffffffff;
	return h;
}

static __always_inline void *ea_begin(__u16 type, __u32 flags)
{
	return ea_begin_task(type, flags, bpf_get_current_task_btf());
}

/*
 * Copy the first `size` bytes of the record to the ring buffer and count the outcome.
 * No wakeup: the producer drains on a timer, and a wakeup per event costs the traced
 * syscall about 5 us in this VM (see the kernel notes).
 */
static __always_inline void ea_submit(void *rec, __u64 size)
{
	struct ea_hdr *h = rec;
	__u32 type = h->type;
	if (size > EA_SCRATCH_SIZE)
		size = EA_SCRATCH_SIZE;
	h->size = size;
	if (h->flags & EA_F_TRUNCATED)
		ea_count(type, EA_CNT_TRUNCATED);
	if (bpf_ringbuf_output(&events, rec, size, BPF_RB_NO_WAKEUP))
		ea_count(type, EA_CNT_RB_FULL);
	else
		ea_count(type, EA_CNT_EMITTED);
}

/* Length of a string read by bpf_probe_read_*_str into a buffer of `cap` bytes (NUL excluded). */
static __always_inline __u16 ea_strlen(struct ea_hdr *h, long n, __u32 cap)
{
	if (n <= 0)
		return 0;
	if (n >= cap)
		h->flags |= EA_F_TRUNCATED; /* may also be exactly cap-1 chars: counted as cut, safely */
	return (__u16)((n - 1) & (cap - 1));
}
