// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Sockets made and sockets put on a program's stdio: socket(2) (any family: AF_PACKET sockets
 * sniff and spoof at layer 2), and dup/dup2/dup3 of an IP socket onto fd 0, 1 or 2 (a reverse
 * shell wires its shell to a connection so). Recorded at syscall exit; the raw sys_exit dispatcher
 * calls these with the saved arguments, the tracepoints below with the stashed ones.
 */
#include "sock.bpf.h"
#include "stash.bpf.h"

#define SOCK_TYPE_MASK 0xf

/* socket(domain, type, protocol): what was created (from the new socket), else what was asked. */
__noinline int ea_sock_emit_socket(__s32 domain, __s32 type, __s32 protocol, long ret)
{
	struct ea_net *e = ea_net_begin(EA_NET_SOCKET, EA_OP_SOCKET, ret, ret);
	if (!e)
		return 0;
	e->family = domain;
	e->sock_type = type & SOCK_TYPE_MASK;
	e->protocol = protocol;
	struct sock *sk = sock_of_fd(ret);
	/* Protocol 0 means the family's default: the new socket knows it (IPPROTO_TCP for an
	 * AF_INET stream). A given protocol stays as passed (packet sockets keep it elsewhere). */
	if (sk && !protocol)
		fill_sock(e, sk);
	ea_submit(e, offsetof(struct ea_net, path));
	return 0;
}

/*
 * dup, dup2, dup3 onto 0, 1 or 2 (the dispatcher checks ret first: other dups cost nothing more).
 * Only an IP socket is recorded, with both of its ends; after the call oldfd and ret share it.
 * Unix sockets are left out: they are how services get their stdio (systemd's journal streams,
 * a parent's socketpairs), several per process start.
 */
__noinline int ea_sock_emit_dup(__u16 op, __s32 oldfd, long ret)
{
	struct sock *sk = sock_of_fd(ret);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	struct ea_net *e = ea_net_begin(EA_NET_DUP, op, oldfd, ret);
	if (!e)
		return 0;
	e->family = family;
	fill_sock(e, sk);
	fill_remote(e, sk, family);
	fill_local(e, sk, family);
	ea_submit(e, offsetof(struct ea_net, path));
	return 0;
}

static __always_inline int dup_exit(__u16 op, long ret)
{
	struct ea_args args, *a = ea_unstash(&args);
	if (!a || ret < 0 || ret > 2)
		return 0;
	return ea_sock_emit_dup(op, a->a[0], ret);
}

EA_STASH_ENTER(socket, EA_NET_SOCKET, 3)
SEC("tracepoint/syscalls/sys_exit_socket")
int ea_exit_socket(struct trace_event_raw_sys_exit *ctx)
{
	struct ea_args args, *a = ea_unstash(&args);
	return a ? ea_sock_emit_socket(a->a[0], a->a[1], a->a[2], ctx->ret) : 0;
}

EA_STASH_ENTER(dup, EA_NET_DUP, 1)
SEC("tracepoint/syscalls/sys_exit_dup")
int ea_exit_dup(struct trace_event_raw_sys_exit *ctx) { return dup_exit(EA_OP_DUP, ctx->ret); }

EA_STASH_ENTER(dup2, EA_NET_DUP, 2)
SEC("tracepoint/syscalls/sys_exit_dup2")
int ea_exit_dup2(struct trace_event_raw_sys_exit *ctx) { return dup_exit(EA_OP_DUP2, ctx->ret); }

EA_STASH_ENTER(dup3, EA_NET_DUP, 3)
SEC("tracepoint/syscalls/sys_exit_dup3")
int ea_exit_dup3(struct trace_event_raw_sys_exit *ctx) { return dup_exit(EA_OP_DUP3, ctx->ret); }
