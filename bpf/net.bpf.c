// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * connect(2) over IPv4 and IPv6, recorded at syscall exit with the address and the result
 * (0, -EINPROGRESS, -ECONNREFUSED ...). On the per-syscall tracepoints enter stashes the arguments.
 */
#include "maps.bpf.h"
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

struct connect_args {
	__u64 addr; /* user pointer to the sockaddr */
	__s32 fd;
	__u32 addrlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EA_STASH_ENTRIES);
	__type(key, __u32);
	__type(value, struct connect_args);
} connect_stash SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_connect")
int ea_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	__s32 fd = ctx->args[0];
	__u64 uaddr = ctx->args[1];
	__u32 addrlen = ctx->args[2];
	if (ea_excluded())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_args a = { .addr = uaddr, .fd = fd, .addrlen = addrlen };
	if (bpf_map_update_elem(&connect_stash, &tid, &a, BPF_ANY))
		ea_count(EA_NET_CONNECT, EA_CNT_STASH_FULL);
	return 0;
}

/*
 * Emit one connect record. Global (not inlined): the raw sys_exit dispatcher in syscalls.bpf.c,
 * which reads the arguments from the saved registers, calls it as well as the tracepoint here.
 */
__noinline int ea_net_emit(__s32 fd, __u64 uaddr, long ret)
{
	if (ea_excluded())
		return 0;

	__u16 family = 0;
	bpf_probe_read_user(&family, sizeof(family), (void *)uaddr);
	if (family != AF_INET && family != AF_INET6)
		return 0; /* AF_UNIX, netlink ...: not network destinations */

	__u32 flags = ea_filter_flags();
	if (!ea_result_passes(EA_NET_CONNECT, flags, ret))
		return 0;
	struct ea_net_connect *e = ea_begin(EA_NET_CONNECT);
	if (!e || !ea_task_passes(EA_NET_CONNECT, flags, &e->task))
		return 0;
	e->ret = ret;
	e->fd = fd;
	e->family = family;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	if (family == AF_INET) {
		struct sockaddr_in sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		e->port = bpf_ntohs(sa.sin_port);
		__builtin_memcpy(e->addr, &sa.sin_addr, 4);
	} else {
		struct sockaddr_in6 sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		e->port = bpf_ntohs(sa.sin6_port);
		__builtin_memcpy(e->addr, &sa.sin6_addr, 16);
	}
	ea_submit(e, sizeof(*e));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int ea_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_args *a = bpf_map_lookup_elem(&connect_stash, &tid);
	if (!a)
		return 0;
	__u64 uaddr = a->addr;
	__s32 fd = a->fd;
	bpf_map_delete_elem(&connect_stash, &tid);
	return ea_net_emit(fd, uaddr, ctx->ret);
}
