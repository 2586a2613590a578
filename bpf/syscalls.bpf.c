// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The preferred hook: a BTF raw tracepoint on every syscall's exit, dispatching by syscall number
 * to the handlers of each family (a switch: other syscalls return at once). They skip the per-syscall perf trace events, whose
 * record building cost the traced syscall more than our programs do. Where the kernel refuses
 * tp_btf, the producer loads the per-syscall tracepoints in file.bpf.c and net.bpf.c instead.
 */
#include "maps.bpf.h"
#include "file.bpf.h"

/* Syscall numbers and argument registers per architecture (not in BTF). */
#if defined(__TARGET_ARCH_x86)
#define NR_OPEN 2
#define NR_CREAT 85
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_ACCEPT4 288
#define NR_OPENAT 257
#define NR_OPENAT2 437
#define NR_SETUID 105
#define NR_SETGID 106
#define NR_SETREUID 113
#define NR_SETREGID 114
#define NR_SETRESUID 117
#define NR_SETRESGID 119
#define NR_SETFSUID 122
#define NR_SETFSGID 123
#define NR_CAPSET 126
#define NR_SOCKET 41
#define NR_DUP 32
#define NR_DUP2 33
#define NR_DUP3 292
#define NR_LINK 86
#define NR_SYMLINK 88
#define NR_LINKAT 265
#define NR_SYMLINKAT 266
#define NR_PTRACE 101
#define NR_INIT_MODULE 175
#define NR_FINIT_MODULE 313
#define SC_NR(regs) ((regs)->orig_ax)
#define SC_ARG0(regs) ((regs)->di)
#define SC_ARG1(regs) ((regs)->si)
#define SC_ARG2(regs) ((regs)->dx)
#define SC_ARG3(regs) ((regs)->r10)
#define SC_ARG4(regs) ((regs)->r8)
#elif defined(__TARGET_ARCH_arm64)
#define NR_CONNECT 203
#define NR_ACCEPT 202
#define NR_ACCEPT4 242
#define NR_OPENAT 56
#define NR_OPENAT2 437
#define NR_SETREGID 143
#define NR_SETGID 144
#define NR_SETREUID 145
#define NR_SETUID 146
#define NR_SETRESUID 147
#define NR_SETRESGID 149
#define NR_SETFSUID 151
#define NR_SETFSGID 152
#define NR_CAPSET 91
#define NR_SOCKET 198
#define NR_DUP 23
#define NR_DUP3 24
#define NR_LINKAT 37
#define NR_SYMLINKAT 36
#define NR_PTRACE 117
#define NR_INIT_MODULE 105
#define NR_FINIT_MODULE 273
#define SC_NR(regs) ((regs)->syscallno)
#define SC_ARG0(regs) ((regs)->orig_x0)
#define SC_ARG1(regs) ((regs)->regs[1])
#define SC_ARG2(regs) ((regs)->regs[2])
#define SC_ARG3(regs) ((regs)->regs[3])
#define SC_ARG4(regs) ((regs)->regs[4])
#else
#error "syscall numbers for this architecture are missing"
#endif

#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

extern int ea_file_emit_openat2(__s32 dirfd, __u64 path, __u64 uhow, long ret);
extern int ea_net_emit(__s32 fd, __u64 uaddr, __u32 addrlen, long ret);
extern int ea_net_emit_accept(__u16 op, long ret);
extern int ea_cred_enter(void);
extern int ea_cred_exit(__u16 op, long ret);
extern int ea_sock_emit_socket(__s32 domain, __s32 type, __s32 protocol, long ret);
extern int ea_sock_emit_dup(__u16 op, __s32 oldfd, long ret);
extern int ea_link_emit(struct link_args *a, long ret);
extern int ea_ptrace_emit(long request, __s32 pid, __u64 addr, __u64 data, long ret);
extern int ea_module_emit_init(__u64 len, __u64 uparams, long ret);
extern int ea_module_emit_finit(__s32 fd, __u64 uparams, __u32 mflags, long ret);

/*
 * Credential syscalls need the credentials from before the call: the only work done at enter.
 * Attached only if the per-syscall sys_enter_set*id tracepoints cannot be (cred.bpf.c): this
 * program would run at the entry of every syscall on the machine for nine rare ones.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(ea_sys_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_SETUID:
	case NR_SETGID:
	case NR_SETREUID:
	case NR_SETREGID:
	case NR_SETRESUID:
	case NR_SETRESGID:
	case NR_SETFSUID:
	case NR_SETFSGID:
	case NR_CAPSET:
		return ea_cred_enter();
	}
	return 0;
}

/*
 * Opens and connects need only the exit: the saved user registers still hold the syscall's
 * arguments there, so no stash map for them (an early return for all other syscalls).
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(ea_sys_exit, struct pt_regs *regs, long ret)
{
	struct open_args a;
	struct link_args l;
	switch (SC_NR(regs)) {
	case NR_OPENAT:
		a = (struct open_args){ .path = SC_ARG1(regs), .flags = SC_ARG2(regs), .mode = SC_ARG3(regs), .dirfd = SC_ARG0(regs), .op = EA_OP_OPENAT };
		goto open;
	case NR_OPENAT2:
		return ea_file_emit_openat2(SC_ARG0(regs), SC_ARG1(regs), SC_ARG2(regs), ret);
#ifdef NR_OPEN
	case NR_OPEN:
		a = (struct open_args){ .path = SC_ARG0(regs), .flags = SC_ARG1(regs), .mode = SC_ARG2(regs), .dirfd = AT_FDCWD, .op = EA_OP_OPEN };
		goto open;
	case NR_CREAT:
		a = (struct open_args){ .path = SC_ARG0(regs), .flags = O_CREAT | O_WRONLY | O_TRUNC, .mode = SC_ARG1(regs), .dirfd = AT_FDCWD, .op = EA_OP_CREAT };
		goto open;
#endif
	case NR_CONNECT:
		return ea_net_emit(SC_ARG0(regs), SC_ARG1(regs), SC_ARG2(regs), ret);
	case NR_ACCEPT:
		return ea_net_emit_accept(EA_OP_ACCEPT, ret);
	case NR_ACCEPT4:
		return ea_net_emit_accept(EA_OP_ACCEPT4, ret);
	case NR_SETUID:
		return ea_cred_exit(EA_OP_SETUID, ret);
	case NR_SETGID:
		return ea_cred_exit(EA_OP_SETGID, ret);
	case NR_SETREUID:
		return ea_cred_exit(EA_OP_SETREUID, ret);
	case NR_SETREGID:
		return ea_cred_exit(EA_OP_SETREGID, ret);
	case NR_SETRESUID:
		return ea_cred_exit(EA_OP_SETRESUID, ret);
	case NR_SETRESGID:
		return ea_cred_exit(EA_OP_SETRESGID, ret);
	case NR_SETFSUID:
		return ea_cred_exit(EA_OP_SETFSUID, ret);
	case NR_SETFSGID:
		return ea_cred_exit(EA_OP_SETFSGID, ret);
	case NR_CAPSET:
		return ea_cred_exit(EA_OP_CAPSET, ret);
	case NR_SOCKET:
		return ea_sock_emit_socket(SC_ARG0(regs), SC_ARG1(regs), SC_ARG2(regs), ret);
	/* A dup matters only onto stdio: the result is checked before any other work. */
	case NR_DUP:
		return (unsigned long)ret > 2 ? 0 : ea_sock_emit_dup(EA_OP_DUP, SC_ARG0(regs), ret);
#ifdef NR_DUP2
	case NR_DUP2:
		return (unsigned long)ret > 2 ? 0 : ea_sock_emit_dup(EA_OP_DUP2, SC_ARG0(regs), ret);
#endif
	case NR_DUP3:
		return (unsigned long)ret > 2 ? 0 : ea_sock_emit_dup(EA_OP_DUP3, SC_ARG0(regs), ret);
#ifdef NR_LINK
	case NR_SYMLINK:
		l = (struct link_args){ .op = EA_OP_SYMLINK, .oldpath = SC_ARG0(regs), .olddirfd = -1, .newdirfd = AT_FDCWD, .newpath = SC_ARG1(regs) };
		return ea_link_emit(&l, ret);
	case NR_LINK:
		l = (struct link_args){ .op = EA_OP_LINK, .oldpath = SC_ARG0(regs), .olddirfd = AT_FDCWD, .newdirfd = AT_FDCWD, .newpath = SC_ARG1(regs) };
		return ea_link_emit(&l, ret);
#endif
	case NR_SYMLINKAT:
		l = (struct link_args){ .op = EA_OP_SYMLINKAT, .oldpath = SC_ARG0(regs), .olddirfd = -1, .newdirfd = SC_ARG1(regs), .newpath = SC_ARG2(regs) };
		return ea_link_emit(&l, ret);
	case NR_LINKAT:
		l = (struct link_args){ .op = EA_OP_LINKAT, .olddirfd = SC_ARG0(regs), .oldpath = SC_ARG1(regs), .newdirfd = SC_ARG2(regs), .newpath = SC_ARG3(regs), .flags = SC_ARG4(regs) };
		return ea_link_emit(&l, ret);
	case NR_PTRACE:
		return ea_ptrace_emit(SC_ARG0(regs), SC_ARG1(regs), SC_ARG2(regs), SC_ARG3(regs), ret);
	case NR_INIT_MODULE:
		return ea_module_emit_init(SC_ARG1(regs), SC_ARG2(regs), ret);
	case NR_FINIT_MODULE:
		return ea_module_emit_finit(SC_ARG0(regs), SC_ARG1(regs), SC_ARG2(regs), ret);
	}
	return 0;
open:
	/* One inlined copy for open, openat and creat (the hot path), not a call. */
	return ea_file_record(&a, ret);
}
