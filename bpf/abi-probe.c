// SPDX-License-Identifier: Apache-2.0
/* Prints sizeof/offsetof of every record in events.h as JSON, for the ABI test. */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "events.h"

#define F(s, f) printf("%s\"%s\":[%zu,%zu]", first ? "" : ",", #f, offsetof(struct s, f), sizeof(((struct s *)0)->f)), first = 0
#define S(s, body) do { int first = 1; printf("%s\"%s\":{\"size\":%zu,\"fields\":{", sep, #s, sizeof(struct s)); body; printf("}}"); sep = ","; } while (0)

int main(void)
{
	const char *sep = "";
	printf("{");
	S(ea_hdr, F(ea_hdr, type); F(ea_hdr, size); F(ea_hdr, flags); F(ea_hdr, ktime_ns));
	S(ea_task, F(ea_task, pid); F(ea_task, tid); F(ea_task, ppid); F(ea_task, uid); F(ea_task, gid);
	  F(ea_task, euid); F(ea_task, egid); F(ea_task, flags); F(ea_task, start_ns); F(ea_task, cgroup_id); F(ea_task, comm);
	  F(ea_task, cap_effective); F(ea_task, tty); F(ea_task, loginuid));
	S(ea_file_open, F(ea_file_open, hdr); F(ea_file_open, task); F(ea_file_open, ret); F(ea_file_open, dirfd);
	  F(ea_file_open, flags); F(ea_file_open, mode); F(ea_file_open, op); F(ea_file_open, path_len); F(ea_file_open, path));
	S(ea_net, F(ea_net, hdr); F(ea_net, task); F(ea_net, ret); F(ea_net, fd); F(ea_net, family); F(ea_net, port);
	  F(ea_net, addr); F(ea_net, op); F(ea_net, sock_type); F(ea_net, protocol); F(ea_net, path_len);
	  F(ea_net, local_addr); F(ea_net, local_port); F(ea_net, path));
	S(ea_file_link, F(ea_file_link, hdr); F(ea_file_link, task); F(ea_file_link, ret); F(ea_file_link, olddirfd);
	  F(ea_file_link, newdirfd); F(ea_file_link, flags); F(ea_file_link, op); F(ea_file_link, path_len);
	  F(ea_file_link, target_len); F(ea_file_link, path); F(ea_file_link, target));
	S(ea_proc_ptrace, F(ea_proc_ptrace, hdr); F(ea_proc_ptrace, task); F(ea_proc_ptrace, ret); F(ea_proc_ptrace, request);
	  F(ea_proc_ptrace, target); F(ea_proc_ptrace, addr); F(ea_proc_ptrace, data));
	S(ea_proc_module, F(ea_proc_module, hdr); F(ea_proc_module, task); F(ea_proc_module, ret); F(ea_proc_module, len);
	  F(ea_proc_module, fd); F(ea_proc_module, flags); F(ea_proc_module, op); F(ea_proc_module, path_len);
	  F(ea_proc_module, params_len); F(ea_proc_module, path); F(ea_proc_module, params));
	S(ea_proc_exec, F(ea_proc_exec, hdr); F(ea_proc_exec, task); F(ea_proc_exec, old_tid); F(ea_proc_exec, filename_len);
	  F(ea_proc_exec, exe_len); F(ea_proc_exec, cwd_len); F(ea_proc_exec, args_len); F(ea_proc_exec, exe_flags);
	  F(ea_proc_exec, filename); F(ea_proc_exec, exe); F(ea_proc_exec, cwd); F(ea_proc_exec, args));
	S(ea_creds, F(ea_creds, uid); F(ea_creds, euid); F(ea_creds, suid); F(ea_creds, fsuid); F(ea_creds, gid);
	  F(ea_creds, egid); F(ea_creds, sgid); F(ea_creds, fsgid); F(ea_creds, cap_effective); F(ea_creds, cap_permitted));
	S(ea_proc_cred, F(ea_proc_cred, hdr); F(ea_proc_cred, task); F(ea_proc_cred, ret); F(ea_proc_cred, op);
	  F(ea_proc_cred, old); F(ea_proc_cred, new));
	S(ea_proc_exit, F(ea_proc_exit, hdr); F(ea_proc_exit, task); F(ea_proc_exit, exit_code));
	S(ea_path_key, F(ea_path_key, prefixlen); F(ea_path_key, path));
	S(ea_filter_cfg, F(ea_filter_cfg, flags); F(ea_filter_cfg, pids); F(ea_filter_cfg, pid_rules));
	/* Every constant the decoder and the filter maps use, by name. */
	printf(",\"constants\":{");
	const char *csep = "";
#define C(name) printf("%s\"%s\":%lld", csep, #name, (long long)(name)), csep = ","
	C(EA_FILE_OPEN);
	C(EA_NET_CONNECT);
	C(EA_PROC_EXEC);
	C(EA_PROC_EXIT);
	C(EA_PROC_CRED);
	C(EA_FILE_LINK);
	C(EA_NET_SOCKET);
	C(EA_NET_DUP);
	C(EA_PROC_PTRACE);
	C(EA_PROC_MODULE);
	C(EA_TYPE_MAX);
	C(EA_CNT_SLOTS);
	C(EA_PATH_MAX);
	C(EA_ARGS_MAX);
	C(EA_PARAMS_MAX);
	C(EA_COMM_LEN);
	C(EA_F_TRUNCATED);
	C(EA_CNT_FILTERED);
	C(EA_RULE_INCLUDE);
	C(EA_RULE_EXCLUDE);
	C(EA_FLT_PID_INCLUDE);
	C(EA_FLT_UID_INCLUDE);
	C(EA_FLT_COMM_INCLUDE);
	C(EA_FLT_PATH_INCLUDE);
	C(EA_FLT_PID_RULES);
	C(EA_FLT_UID_RULES);
	C(EA_FLT_COMM_RULES);
	C(EA_FLT_PATH_RULES);
	C(EA_FLT_FAILED_ONLY);
	C(EA_FLT_SUCCESS_ONLY);
	C(EA_FLT_PID_INLINE);
	C(EA_PID_INLINE);
	C(EA_PATH_KEY_LEN);
	C(EA_TASK_EXE_UNLINKED);
	C(EA_EXE_MEMFD);
	C(EA_EXE_UNLINKED);
	C(EA_EXE_UPPER_LAYER);
	C(EA_OP_OPENAT);
	C(EA_OP_OPENAT2);
	C(EA_OP_OPEN);
	C(EA_OP_CREAT);
	C(EA_OP_CONNECT);
	C(EA_OP_ACCEPT);
	C(EA_OP_ACCEPT4);
	C(EA_OP_SETUID);
	C(EA_OP_SETGID);
	C(EA_OP_SETREUID);
	C(EA_OP_SETREGID);
	C(EA_OP_SETRESUID);
	C(EA_OP_SETRESGID);
	C(EA_OP_SETFSUID);
	C(EA_OP_SETFSGID);
	C(EA_OP_CAPSET);
	C(EA_OP_SYMLINK);
	C(EA_OP_SYMLINKAT);
	C(EA_OP_LINK);
	C(EA_OP_LINKAT);
	C(EA_OP_SOCKET);
	C(EA_OP_DUP);
	C(EA_OP_DUP2);
	C(EA_OP_DUP3);
	C(EA_OP_PTRACE);
	C(EA_OP_INIT_MODULE);
	C(EA_OP_FINIT_MODULE);
	printf("}");
	printf("}\n");
	return 0;
}
