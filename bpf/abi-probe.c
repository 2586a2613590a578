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
	  F(ea_task, euid); F(ea_task, egid); F(ea_task, flags); F(ea_task, start_ns); F(ea_task, cgroup_id); F(ea_task, comm));
	S(ea_file_open, F(ea_file_open, hdr); F(ea_file_open, task); F(ea_file_open, ret); F(ea_file_open, dirfd);
	  F(ea_file_open, flags); F(ea_file_open, mode); F(ea_file_open, op); F(ea_file_open, path_len); F(ea_file_open, path));
	S(ea_net, F(ea_net, hdr); F(ea_net, task); F(ea_net, ret); F(ea_net, fd); F(ea_net, family); F(ea_net, port);
	  F(ea_net, addr); F(ea_net, op); F(ea_net, sock_type); F(ea_net, protocol); F(ea_net, path_len); F(ea_net, path));
	S(ea_proc_exec, F(ea_proc_exec, hdr); F(ea_proc_exec, task); F(ea_proc_exec, old_tid); F(ea_proc_exec, filename_len);
	  F(ea_proc_exec, exe_len); F(ea_proc_exec, cwd_len); F(ea_proc_exec, args_len); F(ea_proc_exec, exe_flags);
	  F(ea_proc_exec, filename); F(ea_proc_exec, exe); F(ea_proc_exec, cwd); F(ea_proc_exec, args));
	S(ea_creds, F(ea_creds, uid); F(ea_creds, euid); F(ea_creds, suid); F(ea_creds, fsuid); F(ea_creds, gid);
	  F(ea_creds, egid); F(ea_creds, sgid); F(ea_creds, fsgid); F(ea_creds, cap_effective); F(ea_creds, cap_permitted));
	S(ea_proc_cred, F(ea_proc_cred, hdr); F(ea_proc_cred, task); F(ea_proc_cred, ret); F(ea_proc_cred, op);
	  F(ea_proc_cred, old); F(ea_proc_cred, new));
	S(ea_proc_exit, F(ea_proc_exit, hdr); F(ea_proc_exit, task); F(ea_proc_exit, exit_code));
	S(ea_path_key, F(ea_path_key, prefixlen); F(ea_path_key, path));
	S(ea_filter_cfg, F(ea_filter_cfg, flags));
	printf(",\"constants\":{\"EA_FILE_OPEN\":%d,\"EA_NET_CONNECT\":%d,\"EA_PROC_EXEC\":%d,\"EA_PROC_EXIT\":%d,\"EA_PROC_CRED\":%d,"
	       "\"EA_TYPE_MAX\":%d,\"EA_CNT_SLOTS\":%d,\"EA_PATH_MAX\":%d,\"EA_ARGS_MAX\":%d,\"EA_COMM_LEN\":%d,\"EA_F_TRUNCATED\":%u,"
	       "\"EA_CNT_FILTERED\":%d,\"EA_RULE_INCLUDE\":%d,\"EA_RULE_EXCLUDE\":%d,\"EA_FLT_PID_INCLUDE\":%u,"
	       "\"EA_FLT_UID_INCLUDE\":%u,\"EA_FLT_COMM_INCLUDE\":%u,\"EA_FLT_PATH_INCLUDE\":%u,\"EA_FLT_TASK_RULES\":%u,"
	       "\"EA_FLT_PATH_RULES\":%u,\"EA_FLT_FAILED_ONLY\":%u,\"EA_FLT_SUCCESS_ONLY\":%u,\"EA_PATH_KEY_LEN\":%d,"
	       "\"EA_TASK_EXE_UNLINKED\":%u,\"EA_EXE_MEMFD\":%u,\"EA_EXE_UNLINKED\":%u}",
	       EA_FILE_OPEN, EA_NET_CONNECT, EA_PROC_EXEC, EA_PROC_EXIT, EA_PROC_CRED, EA_TYPE_MAX, EA_CNT_SLOTS, EA_PATH_MAX,
	       EA_ARGS_MAX, EA_COMM_LEN, EA_F_TRUNCATED, EA_CNT_FILTERED, EA_RULE_INCLUDE, EA_RULE_EXCLUDE, EA_FLT_PID_INCLUDE,
	       EA_FLT_UID_INCLUDE, EA_FLT_COMM_INCLUDE, EA_FLT_PATH_INCLUDE, EA_FLT_TASK_RULES, EA_FLT_PATH_RULES,
	       EA_FLT_FAILED_ONLY, EA_FLT_SUCCESS_ONLY, EA_PATH_KEY_LEN, EA_TASK_EXE_UNLINKED, EA_EXE_MEMFD, EA_EXE_UNLINKED);
	printf("}\n");
	return 0;
}
