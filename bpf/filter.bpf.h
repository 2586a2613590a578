/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* The filter checks every emitter makes, on the rule maps of maps.bpf.h (which includes this). */
#pragma once

static __always_inline __u32 ea_filter_flags(void)
{
	__u32 zero = 0;
	struct ea_filter_cfg *c = bpf_map_lookup_elem(&filter_cfg, &zero);
	return c ? c->flags : 0;
}

/* 1 if a rule map lets `key` through: not excluded, and included when includes are on. */
static __always_inline int ea_rule_passes(void *map, const void *key, __u32 flags, __u32 include_flag)
{
	__u8 *v = bpf_map_lookup_elem(map, key);
	if (v && *v == EA_RULE_EXCLUDE)
		return 0;
	if ((flags & include_flag) && !(v && *v == EA_RULE_INCLUDE))
		return 0;
	return 1;
}

/* The syscall result filter: cheap, so checked before a record is built. */
static __always_inline int ea_result_passes(__u32 type, __u32 flags, long ret)
{
	if (((flags & EA_FLT_FAILED_ONLY) && ret >= 0) || ((flags & EA_FLT_SUCCESS_ONLY) && ret < 0)) {
		ea_count(type, EA_CNT_FILTERED);
		return 0;
	}
	return 1;
}

/*
 * pid, uid and comm rules, on `task` (the current task: the values ea_begin records), before a
 * record is built. Only the maps that hold rules are looked up, and only their key is read: a
 * hash lookup is a call and a hash each.
 */
static __always_inline int ea_task_passes(__u32 type, __u32 flags, struct task_struct *task)
{
	if (!(flags & (EA_FLT_PID_RULES | EA_FLT_PID_INLINE | EA_FLT_UID_RULES | EA_FLT_COMM_RULES)))
		return 1;
	if (flags & EA_FLT_PID_INLINE) {
		__u32 zero = 0, pid = task->tgid;
		struct ea_filter_cfg *c = bpf_map_lookup_elem(&filter_cfg, &zero);
		__u8 v = 0;
		if (c) {
#pragma unroll
			for (int i = 0; i < EA_PID_INLINE; i++)
				if (c->pids[i] == pid && c->pid_rules[i])
					v = c->pid_rules[i];
		}
		if (v == EA_RULE_EXCLUDE || ((flags & EA_FLT_PID_INCLUDE) && v != EA_RULE_INCLUDE))
			goto out;
	} else if (flags & EA_FLT_PID_RULES) {
		__u32 pid = task->tgid;
		if (!ea_rule_passes(&pid_rules, &pid, flags, EA_FLT_PID_INCLUDE))
			goto out;
	}
	if (flags & EA_FLT_UID_RULES) {
		__u32 uid = task->cred->uid.val;
		if (!ea_rule_passes(&uid_rules, &uid, flags, EA_FLT_UID_INCLUDE))
			goto out;
	}
	if (flags & EA_FLT_COMM_RULES) {
		__u64 comm[EA_COMM_LEN / 8];
		comm[0] = ((__u64 *)task->comm)[0];
		comm[1] = ((__u64 *)task->comm)[1];
		if (!ea_rule_passes(&comm_rules, comm, flags, EA_FLT_COMM_INCLUDE))
			goto out;
	}
	return 1;
out:
	ea_count(type, EA_CNT_FILTERED);
	return 0;
}

/* Path prefix rules on the first EA_PATH_KEY_LEN bytes of `path` (len bytes long). */
static __always_inline int ea_path_passes(__u32 type, __u32 flags, const char *path, __u32 len)
{
	if (!(flags & EA_FLT_PATH_RULES))
		return 1;
	__u32 zero = 0;
	struct ea_path_key *k = bpf_map_lookup_elem(&path_key, &zero);
	if (!k)
		return 1;
	if (len > EA_PATH_KEY_LEN)
		len = EA_PATH_KEY_LEN;
	k->prefixlen = len * 8;
	bpf_probe_read_kernel(k->path, EA_PATH_KEY_LEN, path);
	if (ea_rule_passes(&path_rules, k, flags, EA_FLT_PATH_INCLUDE))
		return 1;
	ea_count(type, EA_CNT_FILTERED);
	return 0;
}
