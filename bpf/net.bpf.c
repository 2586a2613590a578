// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Network: connect(2) over IPv4, IPv6 and unix sockets, and accepted connections (accept,
 * accept4) with their peer, recorded at syscall exit. The socket behind the fd gives the type and
 * protocol (TCP, UDP). On the per-syscall tracepoints connect's enter stashes its arguments.
 */
#include "sock.bpf.h"

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

/*
 * Emit one connect record. Global (not inlined): the raw sys_exit dispatcher in syscalls.bpf.c,
 * which reads the arguments from the saved registers, calls it as well as the tracepoint here.
 */
__noinline int ea_net_emit(__s32 fd, __u64 uaddr, __u32 addrlen, long ret)
{
	__u16 family = 0;
	bpf_probe_read_user(&family, sizeof(family), (void *)uaddr);
	if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
		return 0; /* netlink, packet ...: not network destinations */
	struct ea_net *e = ea_net_begin(EA_NET_CONNECT, EA_OP_CONNECT, fd, ret);
	if (!e)
		return 0;
	e->family = family;
	struct sock *sk = sock_of_fd(fd);
	fill_sock(e, sk);
	if (sk && family != AF_UNIX)
		fill_local(e, sk, family); /* the source address and port the kernel picked */
	__u32 size = offsetof(struct ea_net, path);
	if (family == AF_INET) {
		struct sockaddr_in sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		e->port = bpf_ntohs(sa.sin_port);
		__builtin_memcpy(e->addr, &sa.sin_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		e->port = bpf_ntohs(sa.sin6_port);
		__builtin_memcpy(e->addr, &sa.sin6_addr, 16);
	} else {
		/*
		 * sun_path holds addrlen - 2 bytes that count: a pathname (up to its first NUL) or an
		 * abstract name (a NUL, then bytes that may include NULs, not terminated). The bytes
		 * past addrlen are whatever the caller's buffer held. None (addrlen 2): unnamed.
		 * The decoder splits the three cases; the kernel only bounds the length.
		 */
		__u32 n = addrlen > 2 ? addrlen - 2 : 0;
		if (n > EA_UNIX_PATH_MAX)
			n = EA_UNIX_PATH_MAX;
		if (n && bpf_probe_read_user(e->path, n, (char *)uaddr + 2))
			n = 0;
		e->path_len = n;
		size += n;
	}
	ea_submit(e, size);
	return 0;
}

/* An accepted connection (ret is the new fd): its peer, read from the new socket. */
__noinline int ea_net_emit_accept(__u16 op, long ret)
{
	if (ret < 0)
		return 0; /* EAGAIN on non-blocking listeners would flood: failed accepts are not events */
	struct sock *sk = sock_of_fd(ret);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	struct ea_net *e = ea_net_begin(EA_NET_CONNECT, op, ret, ret);
	if (!e)
		return 0;
	e->family = family;
	fill_sock(e, sk);
	fill_remote(e, sk, family);
	fill_local(e, sk, family);
	ea_submit(e, offsetof(struct ea_net, path));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int ea_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	if (ea_excluded())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_args a = { .addr = ctx->args[1], .fd = ctx->args[0], .addrlen = ctx->args[2] };
	if (bpf_map_update_elem(&connect_stash, &tid, &a, BPF_ANY))
		ea_count(EA_NET_CONNECT, EA_CNT_STASH_FULL);
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
	__u32 addrlen = a->addrlen;
	bpf_map_delete_elem(&connect_stash, &tid);
	return ea_net_emit(fd, uaddr, addrlen, ctx->ret);
}

/* accept needs no stash: the peer comes from the returned socket. */
SEC("tracepoint/syscalls/sys_exit_accept")
int ea_exit_accept(struct trace_event_raw_sys_exit *ctx) { return ea_net_emit_accept(EA_OP_ACCEPT, ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int ea_exit_accept4(struct trace_event_raw_sys_exit *ctx) { return ea_net_emit_accept(EA_OP_ACCEPT4, ctx->ret); }
