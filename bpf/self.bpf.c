// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The producer's own tgid as our programs see it, for excluded_tgid. In a PID namespace of its
 * own (a pod without hostPID, systemd-nspawn, unshare --pid) the producer's process.pid is that
 * namespace's number, while bpf_get_current_pid_tgid() gives the global one. Never attached: the
 * producer runs it once with BPF_PROG_TEST_RUN, which runs a raw_tp program in the calling task,
 * and reads the tgid from its return value. So ea_excluded() stays one hash lookup in every setup.
 */
#include "maps.bpf.h"

SEC("raw_tp")
int ea_self_tgid(void *ctx)
{
	return bpf_get_current_pid_tgid() >> 32;
}
