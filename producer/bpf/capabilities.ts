/**
 * What this kernel offers for BPF, probed at start and logged next to the hooks in use, so an
 * operator sees why the producer uses what it uses. Only the syscall hook set (raw tp_btf, else
 * per-syscall tracepoints) depends on it today; the rest is information for other hook families.
 */
import * as fs from 'node:fs';
import { lib } from './native';

/** enum bpf_prog_type values (uapi/linux/bpf.h). */
const PROG_TYPES = { kprobe: 2, tracepoint: 5, raw_tracepoint: 17, cgroup_sock_addr: 18, tracing: 26, lsm: 29 } as const;

export interface KernelCapabilities {
  /** libbpf_probe_bpf_prog_type per program type: true = a minimal program of that type loads. */
  progTypes: Record<keyof typeof PROG_TYPES, boolean>;
  /** kprobe programs also need CONFIG_KPROBES to attach. */
  kprobeEvents: boolean;
  btf: boolean;
}

export function probeCapabilities(): KernelCapabilities {
  const L = lib();
  const progTypes = Object.fromEntries(Object.entries(PROG_TYPES).map(([name, type]) => [name, L.libbpf_probe_bpf_prog_type([type, 0]) === 1])) as KernelCapabilities['progTypes'];
  return {
    progTypes,
    kprobeEvents: fs.existsSync('/sys/bus/event_source/devices/kprobe'),
    btf: fs.existsSync('/sys/kernel/btf/vmlinux'),
  };
}
