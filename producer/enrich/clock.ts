/**
 * Kernel boot time (CLOCK_BOOTTIME, what bpf_ktime_get_boot_ns returns) to wall-clock time.
 * The offset is measured at start and re-measured on refresh() so NTP steps are followed;
 * converting an event is then one addition.
 *
 * One measurement brackets a boot-time read between two wall-clock reads. Through ffi-rs a read
 * takes a few microseconds, and a bracket is now and then stretched by a GC pause, a JIT compile or
 * the scheduler: a single bracket made the offset differ by up to 0.5 ms from one start to the
 * next. So, as clock synchronisation tools do, take many paired reads and keep the tightest: its
 * midpoint is the offset, and half its width bounds the error.
 */
export interface BootClock {
  toWallNs(ktimeNs: bigint): bigint;
  refresh(): void;
  // Methods, not getters: the file writer asks for measurements() per event, and a getter's read
  // costs a lookup (common/with-getters.ts) where a method call is inlined.
  /** What toWallNs adds: wall-clock time minus boot time, ns (changes on refresh). */
  offsetNs(): bigint;
  /** How many times the offset was measured: a holder of offsetNs()'s value knows when to read it again. */
  measurements(): number;
  /** Bound on the offset's error, ns: half the tightest bracket of the last measurement. */
  errorNs(): bigint;
}

export interface BootClockOptions {
  realtimeNs: () => bigint;
  boottimeNs: () => bigint;
  /** Paired reads per measurement (default 64; about 0.5 ms of work). */
  samples?: number;
}

export function createBootClock(opts: BootClockOptions): BootClock {
  const samples = opts.samples ?? 64;
  let offset = 0n;
  let errorNs = 0n;
  let measurements = 0;
  const measure = (): void => {
    let best = -1n;
    for (let i = 0; i < samples; i++) {
      const a = opts.realtimeNs();
      const b = opts.boottimeNs();
      const c = opts.realtimeNs();
      if (best < 0n || c - a < best) {
        best = c - a;
        offset = (a + c) / 2n - b;
      }
    }
    errorNs = best / 2n;
    measurements++;
  };
  measure();
  return {
    toWallNs: (ktimeNs) => ktimeNs + offset,
    refresh: measure,
    offsetNs: () => offset,
    measurements: () => measurements,
    errorNs: () => errorNs,
  };
}
