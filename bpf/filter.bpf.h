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

/* pid, uid and comm rules, checked on the task fields of a record begun by ea_begin. */
static __always_inline int ea_task_passes(__u32 type, __u32 flags, struct ea_task *t)
{
	if (!(flags & EA_FLT_TASK_RULES))
		return 1;
	if (ea_rule_passes(&pid_rules, &t->pid, flags, EA_FLT_PID_INCLUDE) &&
	    ea_rule_passes(&uid_rules, &t->uid, flags, EA_FLT_UID_INCLUDE) &&
	    ea_rule_passes(&comm_rules, t->comm, flags, EA_FLT_COMM_INCLUDE))
		return 1;
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
