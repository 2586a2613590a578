/**
 * The producer's thread group id as the kernel knows it: the key of its own entry in
 * excluded_tgid. In a PID namespace of its own (a pod without hostPID, systemd-nspawn,
 * unshare --pid) process.pid is that namespace's number, while bpf_get_current_pid_tgid() in our
 * programs gives the global one: excluding process.pid would record the producer's own syscalls
 * (its feedback loop) and silence whichever host process has that number. So the kernel is asked:
 * ea_self_tgid (bpf/self.bpf.c) returns the tgid of the task that runs it, and BPF_PROG_TEST_RUN
 * runs a raw_tp program in the calling task (Linux 5.10+; our programs need 5.11 anyway).
 */
import { BpfError } from '../../common/errors';
import { lib, strerror } from './native';

/** struct bpf_test_run_opts of libbpf 1.x: its size (the sz field) and where retval is. */
const OPTS_SIZE = 80;
const RETVAL_OFFSET = 56;

/** Run ea_self_tgid (its program fd) in this thread: the global tgid of this process. */
export function kernelTgid(progFd: number): number {
  const opts = Buffer.alloc(OPTS_SIZE);
  opts.writeBigUInt64LE(BigInt(OPTS_SIZE), 0);
  const rc = lib().bpf_prog_test_run_opts([progFd, opts]);
  if (rc !== 0) throw new BpfError(`cannot learn the producer's kernel tgid (BPF_PROG_TEST_RUN of ea_self_tgid): ${strerror(rc)}`);
  const tgid = opts.readUInt32LE(RETVAL_OFFSET);
  if (tgid === 0) throw new BpfError('ea_self_tgid returned tgid 0: the producer cannot exclude itself');
  return tgid;
}
