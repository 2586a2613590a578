/**
 * Kernel boot time (CLOCK_BOOTTIME, what bpf_ktime_get_boot_ns returns) to wall-clock time.
 * The offset is measured at start and re-measured on refresh() so NTP steps are followed;
 * converting an event is then one addition.
 */
export interface BootClock {
  toWallNs(ktimeNs: bigint): bigint;
  refresh(): void;
}

export function createBootClock(opts: { realtimeNs: () => bigint; boottimeNs: () => bigint }): BootClock {
  const measure = (): bigint => {
    // Bracket the boot-time read between two wall-clock reads and take the midpoint.
    const a = opts.realtimeNs();
    const b = opts.boottimeNs();
    const c = opts.realtimeNs();
    return (a + c) / 2n - b;
  };
  let offset = measure();
  return {
    toWallNs: (ktimeNs) => ktimeNs + offset,
    refresh() {
      offset = measure();
    },
  };
}
