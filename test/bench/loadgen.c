// SPDX-License-Identifier: Apache-2.0
/* Load generator for the benchmarks: N openat+close of one file, prints the rate and the CPU time per openat+close as JSON.
 * With RATE, paced at RATE opens per second (checked every 1000 opens) for a sustained load. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: loadgen COUNT FILE [RATE]\n");
		return 2;
	}
	long n = atol(argv[1]);
	double rate = argc > 3 ? atof(argv[3]) : 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, argv[2], O_RDONLY);
		if (fd >= 0)
			close(fd);
		if (rate > 0 && i % 1000 == 999) {
			/* Sleep until this many opens are due. */
			double due = a.tv_sec + a.tv_nsec / 1e9 + (i + 1) / rate;
			clock_gettime(CLOCK_MONOTONIC, &b);
			double ahead = due - (b.tv_sec + b.tv_nsec / 1e9);
			if (ahead > 0) {
				struct timespec d = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };
				nanosleep(&d, NULL);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	/* CPU time is charged for the syscalls and the BPF programs they run, not for waiting on a
	 * busy machine: per open+close it measures what tracing adds, where the rate is noisy. */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("{\"opens\":%ld,\"seconds\":%.6f,\"rate\":%.0f,\"cpu_ns_per_open\":%.0f}\n", n, s, n / s, cpu * 1e9 / n);
	return 0;
}
