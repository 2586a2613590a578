/** Reads the kernel's per-CPU counters (bpf/events.h enum ea_counter_slot) and sums them. */
import { BpfError } from '../../common/errors';
import { lib, strerror } from './native';
import { COUNTER_SLOTS, RECORD_TYPES } from '../../bpf/layout';

export type KernelCounters = Record<string, { emitted: number; ringFull: number; stashFull: number; truncated: number; filtered: number }>;

export function createCounterReader(opts: { fd: number }): { read(): KernelCounters } {
  const L = lib();
  const cpus = L.libbpf_num_possible_cpus([]);
  if (cpus <= 0) throw new BpfError(`cannot count possible CPUs: ${strerror(cpus)}`);
  const key = Buffer.alloc(4);
  const value = Buffer.alloc(8 * cpus);
  const sum = (type: number, slot: number): number => {
    key.writeUInt32LE(type * COUNTER_SLOTS.count + slot);
    const rc = L.bpf_map_lookup_elem([opts.fd, key, value]);
    if (rc !== 0) throw new BpfError(`reading counter ${type}/${slot} failed: ${strerror(rc)}`);
    let total = 0n;
    for (let i = 0; i < cpus; i++) total += value.readBigUInt64LE(8 * i);
    return Number(total);
  };
  return {
    read() {
      const out: KernelCounters = {};
      for (const [name, type] of Object.entries(RECORD_TYPES)) {
        out[name] = {
          emitted: sum(type, COUNTER_SLOTS.emitted),
          ringFull: sum(type, COUNTER_SLOTS.ringFull),
          stashFull: sum(type, COUNTER_SLOTS.stashFull),
          truncated: sum(type, COUNTER_SLOTS.truncated),
          filtered: sum(type, COUNTER_SLOTS.filtered),
        };
      }
      return out;
    },
  };
}
