/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
#pragma once
#include "maps.bpf.h"
#include <bpf/bpf_endian.h>

/* The socket behind a file descriptor, and its two ends, for net.bpf.c and sock.bpf.c. */

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The struct sock behind a file descriptor, or NULL when the fd is not a socket. */
static __always_inline struct sock *sock_of_fd(long fd)
{
	struct file *f = ea_file_of_fd(fd);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : 0;
}

static __always_inline void fill_sock(struct ea_net *e, struct sock *sk)
{
	e->sock_type = sk ? BPF_CORE_READ(sk, sk_type) : 0;
	e->protocol = sk ? BPF_CORE_READ(sk, sk_protocol) : 0;
}

/* Local address and port of an IP socket (zero until it is bound). */
static __always_inline void fill_local(struct ea_net *e, struct sock *sk, __u16 family)
{
	e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->local_addr, &a, 4);
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->local_addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	}
}

/* Remote address and port of an IP socket (zero until it is connected). */
static __always_inline void fill_remote(struct ea_net *e, struct sock *sk, __u16 family)
{
	e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->addr, &a, 4);
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/*
 * Begin a net-shaped record of `type` for `op`: the result filter first (cheap), then the task's.
 * Addresses, port and path start empty.
 */
static __always_inline struct ea_net *ea_net_begin(__u16 type, __u16 op, __s32 fd, long ret)
{
	if (ea_excluded())
		return 0;
	__u32 flags = ea_filter_flags();
	if (!ea_result_passes(type, flags, ret))
		return 0;
	struct ea_net *e = ea_begin(type, flags);
	if (!e)
		return 0;
	e->ret = ret;
	e->fd = fd;
	e->op = op;
	e->port = 0;
	e->local_port = 0;
	e->path_len = 0;
	e->sock_type = 0;
	e->protocol = 0;
	e->_pad[0] = e->_pad[1] = e->_pad[2] = 0;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	__builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
	return e;
}
