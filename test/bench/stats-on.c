// SPDX-License-Identifier: Apache-2.0
/* Runs a command with BPF run-time statistics on (BPF_ENABLE_STATS), for bpf-cost.sh.
 * The kernel keeps them on while this fd is open. Unlike the kernel.bpf_stats_enabled sysctl, no
 * other process can turn them off mid-pass (another benchmark on a shared machine did). */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: stats-on CMD [ARGS...]\n");
		return 2;
	}
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	int fd = syscall(SYS_bpf, BPF_ENABLE_STATS, &attr, sizeof(attr));
	if (fd < 0) {
		perror("BPF_ENABLE_STATS");
		return 1;
	}
	pid_t child = fork();
	if (child == 0) {
		close(fd);
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	int status = 0;
	waitpid(child, &status, 0);
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
