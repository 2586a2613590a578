// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Privilege changes: the setuid family and capset. Enter stashes the credentials by thread id,
 * exit emits old and new when the call succeeded. Enter is the per-syscall tracepoints below in
 * both hook sets (the raw tp_btf/sys_enter in syscalls.bpf.c only as a fallback: it runs for every
 * syscall); exit is the raw sys_exit dispatcher, or the tracepoints below in the fallback set.
 */
#include "maps.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EA_STASH_ENTRIES);
	__type(key, __u32);
	__type(value, struct ea_creds);
} cred_stash SEC(".maps");

static __always_inline void read_creds(struct ea_creds *c)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cr = task->cred;
	c->uid = cr->uid.val;
	c->euid = cr->euid.val;
	c->suid = cr->suid.val;
	c->fsuid = cr->fsuid.val;
	c->gid = cr->gid.val;
	c->egid = cr->egid.val;
	c->sgid = cr->sgid.val;
	c->fsgid = cr->fsgid.val;
	/* kernel_cap_t is a u64 since 6.3 and two u32 (low first) before: the same 8 bytes either way. */
	bpf_probe_read_kernel(&c->cap_effective, 8, &cr->cap_effective);
	bpf_probe_read_kernel(&c->cap_permitted, 8, &cr->cap_permitted);
}

/* Global (not inlined): the raw sys_enter/sys_exit dispatchers in syscalls.bpf.c call these too. */
__noinline int ea_cred_enter(void)
{
	if (ea_excluded())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ea_creds c;
	read_creds(&c);
	if (bpf_map_update_elem(&cred_stash, &tid, &c, BPF_ANY))
		ea_count(EA_PROC_CRED, EA_CNT_STASH_FULL);
	return 0;
}

__noinline int ea_cred_exit(__u16 op, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ea_creds *old = bpf_map_lookup_elem(&cred_stash, &tid);
	if (!old)
		return 0;
	struct ea_creds before = *old;
	bpf_map_delete_elem(&cred_stash, &tid);
	/* setfsuid/setfsgid return the previous id, never an error: a change is their success. */
	int fs = op == EA_OP_SETFSUID || op == EA_OP_SETFSGID;
	if (!fs && ret != 0)
		return 0;
	struct ea_proc_cred *e = ea_begin(EA_PROC_CRED, ea_filter_flags());
	if (!e)
		return 0;
	e->ret = ret;
	e->op = op;
	e->_pad[0] = e->_pad[1] = e->_pad[2] = 0;
	e->old = before;
	read_creds(&e->new);
	if (fs && e->old.fsuid == e->new.fsuid && e->old.fsgid == e->new.fsgid)
		return 0;
	ea_submit(e, sizeof(*e));
	return 0;
}

#define CRED_HOOKS(name, op)                                                        \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                 \
	int ea_enter_##name(void *ctx) { return ea_cred_enter(); }                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                  \
	int ea_exit_##name(struct trace_event_raw_sys_exit *ctx) { return ea_cred_exit(op, ctx->ret); }

CRED_HOOKS(setuid, EA_OP_SETUID)
CRED_HOOKS(setgid, EA_OP_SETGID)
CRED_HOOKS(setreuid, EA_OP_SETREUID)
CRED_HOOKS(setregid, EA_OP_SETREGID)
CRED_HOOKS(setresuid, EA_OP_SETRESUID)
CRED_HOOKS(setresgid, EA_OP_SETRESGID)
CRED_HOOKS(setfsuid, EA_OP_SETFSUID)
CRED_HOOKS(setfsgid, EA_OP_SETFSGID)
CRED_HOOKS(capset, EA_OP_CAPSET)
