/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The only definition of the records the BPF programs put on the ring buffer.
 * Every record starts with struct ea_hdr. bpf/layout.ts mirrors these layouts for the producer's
 * decoder and filter maps; test/unit/abi.test.ts checks it against the compiled header.
 * Included by the BPF programs (after vmlinux.h) and by user-space C (after linux/types.h).
 */
#ifndef EBPF_AUDIT_EVENTS_H
#define EBPF_AUDIT_EVENTS_H

#define EA_COMM_LEN 16
#define EA_PATH_MAX 4096 /* PATH_MAX: no 128-byte cut as in the original tool */
#define EA_ARGS_MAX 4096 /* bytes of an exec's argv kept (NUL-separated), the rest is cut */

enum ea_type {
	EA_FILE_OPEN = 1,
	EA_NET_CONNECT = 2,
	EA_PROC_EXEC = 3,
	EA_PROC_EXIT = 4,
	EA_PROC_CRED = 5,
	EA_FILE_LINK = 6,   /* struct ea_file_link: symlink, symlinkat, link, linkat */
	EA_NET_SOCKET = 7,  /* struct ea_net: socket */
	EA_NET_DUP = 8,     /* struct ea_net: dup, dup2, dup3 of an IP socket onto fd 0, 1 or 2 */
	EA_PROC_PTRACE = 9, /* struct ea_proc_ptrace */
	EA_PROC_MODULE = 10, /* struct ea_proc_module: init_module, finit_module */
	EA_TYPE_MAX = 11,
};

/* Which syscall produced a record. */
enum ea_op {
	EA_OP_OPENAT = 1,
	EA_OP_OPENAT2 = 2,
	EA_OP_OPEN = 3,
	EA_OP_CREAT = 4,
	EA_OP_CONNECT = 5,
	EA_OP_ACCEPT = 6,
	EA_OP_ACCEPT4 = 7,
	EA_OP_SETUID = 8,
	EA_OP_SETGID = 9,
	EA_OP_SETREUID = 10,
	EA_OP_SETREGID = 11,
	EA_OP_SETRESUID = 12,
	EA_OP_SETRESGID = 13,
	EA_OP_SETFSUID = 14,
	EA_OP_SETFSGID = 15,
	EA_OP_CAPSET = 16,
	EA_OP_SYMLINK = 17,
	EA_OP_SYMLINKAT = 18,
	EA_OP_LINK = 19,
	EA_OP_LINKAT = 20,
	EA_OP_SOCKET = 21,
	EA_OP_DUP = 22,
	EA_OP_DUP2 = 23,
	EA_OP_DUP3 = 24,
	EA_OP_PTRACE = 25,
	EA_OP_INIT_MODULE = 26,
	EA_OP_FINIT_MODULE = 27,
};

/* Counters, per CPU, indexed by type * EA_CNT_SLOTS + slot. Nothing is lost without a count. */
enum ea_counter_slot {
	EA_CNT_EMITTED = 0,    /* records written to the ring buffer */
	EA_CNT_RB_FULL = 1,    /* records lost: ring buffer full */
	EA_CNT_STASH_FULL = 2, /* syscalls lost: enter/exit stash map full */
	EA_CNT_TRUNCATED = 3,  /* records written with a string cut at its bound */
	EA_CNT_FILTERED = 4,   /* events dropped on purpose by a filter rule (not a loss) */
	EA_CNT_SLOTS = 5,
};
#define EA_COUNTERS (EA_TYPE_MAX * EA_CNT_SLOTS)

struct ea_hdr {
	__u16 type;     /* enum ea_type */
	__u16 size;     /* bytes of the whole record, header included */
	__u32 flags;    /* EA_F_* */
	__u64 ktime_ns; /* bpf_ktime_get_boot_ns(): CLOCK_BOOTTIME, converted to wall time in user space */
};
#define EA_F_TRUNCATED 1u

/* The task that caused the event. */
struct ea_task {
	__u32 pid; /* thread-group id, what user space calls the pid */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 flags;     /* EA_TASK_*: the executable's state at this event */
	__u64 start_ns;  /* group leader's start_boottime: (pid, start_ns) identifies a process */
	__u64 cgroup_id;
	char comm[EA_COMM_LEN];
	__u64 cap_effective; /* the thread's effective capabilities (CAP_SYS_ADMIN is bit 21) */
	__u32 tty;       /* controlling terminal as Falco encodes it (new_encode_dev of major, minor); 0: none */
	__u32 loginuid;  /* audit login uid; 4294967295: unset */
};

/*
 * The executable has no name on disk any more: unlinked (deleted, or replaced by a rename) since
 * the exec, an O_TMPFILE, or a memfd. /proc/PID/exe then ends in " (deleted)".
 */
#define EA_TASK_EXE_UNLINKED 1u

/* open/openat/openat2/creat, emitted at syscall exit. Variable size: path holds path_len bytes. */
struct ea_file_open {
	struct ea_hdr hdr;
	struct ea_task task;
	__s64 ret;   /* fd, or -errno */
	__s32 dirfd; /* AT_FDCWD (-100) for open/creat and cwd-relative openat */
	__u32 flags; /* O_* flags as passed */
	__u32 mode;
	__u16 op;    /* enum ea_op */
	__u16 path_len;
	char path[EA_PATH_MAX];
};

#define EA_UNIX_PATH_MAX 108 /* sizeof(sun_path) */

/*
 * A socket and its two ends, emitted at syscall exit. Variable size: path holds path_len bytes.
 *   EA_NET_CONNECT: connect(2), accept(2)/accept4(2). The remote end is the destination of a
 *                   connect, the peer of an accepted connection.
 *   EA_NET_SOCKET:  socket(2): family, type and protocol (as created, else as passed); fd = ret.
 *   EA_NET_DUP:     dup/dup2/dup3 whose new fd (ret) is 0, 1 or 2 and whose old fd (fd) is an
 *                   IP socket: a shell's stdio on a network connection is a reverse shell's shape.
 */
struct ea_net {
	struct ea_hdr hdr;
	struct ea_task task;
	__s64 ret;     /* connect: 0 or -errno (-EINPROGRESS when non-blocking); accept, socket: the new fd; dup: the new fd */
	__s32 fd;      /* the socket: connect's argument, accept's new socket, dup's old fd */
	__u16 family;  /* AF_INET, AF_INET6, AF_UNIX; socket, dup: any (AF_PACKET, AF_NETLINK ...) */
	__u16 port;    /* remote port, host byte order */
	__u8 addr[16]; /* remote address, network byte order; IPv4 in the first 4 bytes */
	__u16 op;      /* EA_OP_CONNECT, ACCEPT, ACCEPT4, SOCKET, DUP, DUP2, DUP3 */
	__u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM ... (0 when the socket could not be read) */
	__u16 protocol;  /* IPPROTO_TCP, IPPROTO_UDP ...; AF_PACKET: the ethertype (network order, as passed) */
	__u16 path_len;  /* AF_UNIX: addrlen - 2 (at most 108): the sun_path bytes that count; 0: unnamed */
	__u8 local_addr[16]; /* local address (IP sockets, once bound), network byte order */
	__u16 local_port;    /* local port, host byte order */
	__u16 _pad[3];
	char path[EA_UNIX_PATH_MAX];
};

/* sched_process_exec: the new image. */
struct ea_proc_exec {
	struct ea_hdr hdr;
	struct ea_task task;
	__u32 old_tid;
	__u16 filename_len;
	__u16 exe_len;
	__u16 cwd_len;
	__u16 args_len;
	__u32 exe_flags; /* EA_EXE_* */
	char filename[EA_PATH_MAX]; /* as passed to execve (may be relative) */
	char exe[EA_PATH_MAX];      /* mm->exe_file resolved by a dentry walk: absolute; "/memfd:NAME" for a memfd */
	char cwd[EA_PATH_MAX];      /* working directory, resolved the same way */
	char args[EA_ARGS_MAX];     /* argv strings, each NUL-terminated, cut at EA_ARGS_MAX */
};

/* What the new image was executed from (exe_flags of an exec record). */
#define EA_EXE_MEMFD 1u    /* a memfd_create(2) file (fexecve, execveat): "fileless" */
#define EA_EXE_UNLINKED 2u /* a file with no name on disk at exec: a memfd, an O_TMPFILE, a deleted file */
#define EA_EXE_UPPER_LAYER 4u /* on an overlayfs upper layer: written in the container, not from its image */

/* A task's credentials (struct cred), for privilege changes. */
struct ea_creds {
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
	__u64 cap_effective;
	__u64 cap_permitted;
};

/* A setuid-family or capset call that succeeded, with the credentials before and after. */
struct ea_proc_cred {
	struct ea_hdr hdr;
	struct ea_task task;
	__s64 ret;
	__u16 op; /* EA_OP_SET*ID, EA_OP_CAPSET */
	__u16 _pad[3];
	struct ea_creds old;
	struct ea_creds new;
};

/*
 * symlink/symlinkat and link/linkat, emitted at syscall exit. path is the name created, made
 * absolute like an open's path; target is the symlink's content as given, or the existing file
 * of a hard link made absolute (an AT_EMPTY_PATH linkat: the path of the file behind the fd).
 * Variable size: target is last and holds target_len bytes.
 */
struct ea_file_link {
	struct ea_hdr hdr;
	struct ea_task task;
	__s64 ret;
	__s32 olddirfd;  /* linkat's; AT_FDCWD for link; -1 for symlinks (their target is text) */
	__s32 newdirfd;  /* linkat's and symlinkat's; AT_FDCWD for link and symlink */
	__u32 flags;     /* linkat's AT_SYMLINK_FOLLOW, AT_EMPTY_PATH */
	__u16 op;        /* EA_OP_SYMLINK, SYMLINKAT, LINK, LINKAT */
	__u16 path_len;
	__u16 target_len;
	__u16 _pad[3];
	char path[EA_PATH_MAX];
	char target[EA_PATH_MAX];
};

/*
 * ptrace(2) requests that start tracing or write into the tracee (TRACEME, ATTACH, SEIZE,
 * POKETEXT, POKEDATA, POKEUSER, SETREGS, SETFPREGS, SETREGSET), at syscall exit. Peeks, gets and
 * continues are not recorded: a debugger or strace issues thousands per second.
 */
struct ea_proc_ptrace {
	struct ea_hdr hdr;
	struct ea_task task;
	__s64 ret;
	__s64 request;
	__s32 target; /* the pid argument (in the caller's pid namespace); 0 for TRACEME */
	__u32 _pad;
	__u64 addr;   /* as passed: the address written by a POKE */
	__u64 data;   /* as passed: the word written by a POKE */
};

#define EA_PARAMS_MAX 1024 /* bytes of a module's parameter string kept */

/*
 * init_module/finit_module, at syscall exit. path: finit_module's file (a dentry walk of the fd);
 * init_module loads an image from memory: no path, len is its size. Variable size: params last.
 */
struct ea_proc_module {
	struct ea_hdr hdr;
	struct ea_task task;
	__s64 ret;
	__u64 len;     /* init_module: the image's size in bytes */
	__s32 fd;      /* finit_module: the module file's fd; -1 for init_module */
	__u32 flags;   /* finit_module: MODULE_INIT_* */
	__u16 op;      /* EA_OP_INIT_MODULE, EA_OP_FINIT_MODULE */
	__u16 path_len;
	__u16 params_len;
	__u16 _pad;
	char path[EA_PATH_MAX];
	char params[EA_PARAMS_MAX];
};

/* sched_process_exit of the last thread of a process. */
struct ea_proc_exit {
	struct ea_hdr hdr;
	struct ea_task task;
	__s32 exit_code; /* raw wait status: (code << 8) | signal */
	__u32 _pad;
};

/*
 * Filters, set by the producer before attach and changeable while it runs.
 * Rule maps (pid_rules, uid_rules, comm_rules, path_rules) hold EA_RULE_INCLUDE or
 * EA_RULE_EXCLUDE per key; filter_cfg[0].flags says which checks are on. An event is dropped
 * when its key is excluded, or when includes exist for that key kind and it is not included.
 * Paths match by longest prefix (an LPM trie), so /etc can be included and /etc/ld.so.cache excluded.
 */
enum ea_rule { EA_RULE_INCLUDE = 1, EA_RULE_EXCLUDE = 2 };

#define EA_FLT_PID_INCLUDE (1u << 0)   /* only listed pids */
#define EA_FLT_UID_INCLUDE (1u << 1)   /* only listed uids */
#define EA_FLT_COMM_INCLUDE (1u << 2)  /* only listed comms */
#define EA_FLT_PATH_INCLUDE (1u << 3)  /* only paths under a listed prefix */
#define EA_FLT_PID_RULES (1u << 4)     /* some pid rule exists */
#define EA_FLT_PATH_RULES (1u << 5)    /* some path rule exists */
#define EA_FLT_FAILED_ONLY (1u << 6)   /* only syscalls that returned an error */
#define EA_FLT_SUCCESS_ONLY (1u << 7)  /* only syscalls that succeeded */
#define EA_FLT_UID_RULES (1u << 8)     /* some uid rule exists */
#define EA_FLT_COMM_RULES (1u << 9)    /* some comm rule exists */
#define EA_FLT_PID_INLINE (1u << 10)   /* the pid rules are in filter_cfg's pids (then not in pid_rules) */

/*
 * Up to EA_PID_INLINE pid rules (`--include-pid 1234`, the usual case) are held in filter_cfg
 * itself and matched by a few compares: a pid_rules lookup is a call and a hash, ~30 ns of every
 * event. More pid rules go in the pid_rules map (EA_FLT_PID_RULES).
 */
#define EA_PID_INLINE 8

struct ea_filter_cfg {
	__u32 flags;
	__u32 pids[EA_PID_INLINE];     /* EA_FLT_PID_INLINE: the pids that have a rule; 0: unused slot */
	__u8 pid_rules[EA_PID_INLINE]; /* their enum ea_rule */
};

#define EA_PATH_KEY_LEN 256 /* bytes of a path compared by the prefix rules */
struct ea_path_key {
	__u32 prefixlen; /* bits */
	char path[EA_PATH_KEY_LEN];
};

#endif
