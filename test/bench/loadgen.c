// SPDX-License-Identifier: Apache-2.0
/* Load generator for the benchmarks: N openat+close of one file, prints the rate and the CPU time
 * per openat+close as JSON.
 * With RATE, paced at RATE opens per second (checked every 1000 opens) for a sustained load.
 * With LOADGEN_STDIN=1 in the environment, it runs one pass per byte read from stdin and exits at
 * end of input: one process (one pid, for tools that filter by pid) for several timed passes,
 * each started when the benchmark is ready. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void pass(long n, const char *file, double rate)
{
	struct timespec a, b;
	double cpu0 = cpu_seconds();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, file, O_RDONLY);
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
	 * busy machine: per open+close it measures what tracing adds, where the rate is noisy. It is
	 * taken over this pass only, so stepped passes each report their own. */
	double cpu = cpu_seconds() - cpu0;
	printf("{\"opens\":%ld,\"seconds\":%.6f,\"rate\":%.0f,\"cpu_ns_per_open\":%.0f}\n", n, s, n / s, cpu * 1e9 / n);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: loadgen COUNT FILE [RATE]\n");
		return 2;
	}
	long n = atol(argv[1]);
	double rate = argc > 3 ? atof(argv[3]) : 0;
	const char *stepped = getenv("LOADGEN_STDIN");
	if (!stepped || stepped[0] != '1') {
		pass(n, argv[2], rate);
		return 0;
	}
	char c;
	while (read(0, &c, 1) == 1)
		pass(n, argv[2], rate);
	return 0;
}
