/**
 * The few libbpf and libc calls the producer makes, through ffi-rs into the system's
 * libbpf.so.1. All of them run at start, at shutdown or on a stats timer: never per event
 * (one FFI call per event is 5-10x too slow, see the kernel notes).
 *
 * Quirks (measured): pointer-returning libbpf calls give NULL + errno; int calls give -errno;
 * errnoCode is stale after a success; null pointers must be passed as U64 0.
 */
import { DataType as D, define, load, open, isNullPointer, unwrapPointer, createPointer, createExternalBuffer, type JsExternal } from 'ffi-rs';
import { BpfError } from '../../common/errors';

export type Ptr = JsExternal;

let opened = false;
function openLibraries(): void {
  if (opened) return;
  try {
    open({ library: 'libbpf', path: 'libbpf.so.1' });
    open({ library: 'libc', path: 'libc.so.6' });
  } catch (err) {
    throw new BpfError(`cannot load libbpf.so.1 (install the libbpf1 package): ${(err as Error).message}`, { cause: err });
  }
  opened = true;
}

function bind() {
  openLibraries();
  return define({
    bpf_object__open_file: { library: 'libbpf', retType: D.External, paramsType: [D.String, D.U64], errno: true },
    bpf_object__close: { library: 'libbpf', retType: D.Void, paramsType: [D.External] },
    bpf_object__find_program_by_name: { library: 'libbpf', retType: D.External, paramsType: [D.External, D.String] },
    bpf_object__find_map_by_name: { library: 'libbpf', retType: D.External, paramsType: [D.External, D.String] },
    bpf_object__find_map_fd_by_name: { library: 'libbpf', retType: D.I32, paramsType: [D.External, D.String] },
    bpf_map__set_max_entries: { library: 'libbpf', retType: D.I32, paramsType: [D.External, D.U32] },
    bpf_program__set_autoload: { library: 'libbpf', retType: D.I32, paramsType: [D.External, D.Boolean] },
    bpf_program__attach: { library: 'libbpf', retType: D.External, paramsType: [D.External], errno: true },
    bpf_program__fd: { library: 'libbpf', retType: D.I32, paramsType: [D.External] },
    bpf_link__destroy: { library: 'libbpf', retType: D.I32, paramsType: [D.External] },
    bpf_map_update_elem: { library: 'libbpf', retType: D.I32, paramsType: [D.I32, D.U8Array, D.U8Array, D.U64] },
    bpf_map_lookup_elem: { library: 'libbpf', retType: D.I32, paramsType: [D.I32, D.U8Array, D.U8Array] },
    bpf_map_delete_elem: { library: 'libbpf', retType: D.I32, paramsType: [D.I32, D.U8Array] },
    bpf_prog_test_run_opts: { library: 'libbpf', retType: D.I32, paramsType: [D.I32, D.U8Array] },
    libbpf_probe_bpf_prog_type: { library: 'libbpf', retType: D.I32, paramsType: [D.I32, D.U64] },
    libbpf_num_possible_cpus: { library: 'libbpf', retType: D.I32, paramsType: [] },
    libbpf_strerror: { library: 'libbpf', retType: D.I32, paramsType: [D.I32, D.U8Array, D.U64] },
    // mmap returns a raw address: as I64 so MAP_FAILED (-1) is visible, then wrapped by pointerAt.
    mmap: { library: 'libc', retType: D.I64, paramsType: [D.U64, D.U64, D.I32, D.I32, D.I32, D.I64], errno: true },
    munmap: { library: 'libc', retType: D.I32, paramsType: [D.External, D.U64] },
    getpagesize: { library: 'libc', retType: D.I32, paramsType: [] },
    clock_gettime: { library: 'libc', retType: D.I32, paramsType: [D.I32, D.U8Array] },
    mount: { library: 'libc', retType: D.I32, paramsType: [D.String, D.String, D.String, D.U64, D.U64], errno: true },
    mallopt: { library: 'libc', retType: D.I32, paramsType: [D.I32, D.I32] },
    pthread_sigmask: { library: 'libc', retType: D.I32, paramsType: [D.I32, D.U8Array, D.U8Array] },
  });
}

let bound: ReturnType<typeof bind> | undefined;
export function lib(): ReturnType<typeof bind> {
  bound ??= bind();
  return bound;
}

export function strerror(code: number): string {
  const buf = Buffer.alloc(256);
  lib().libbpf_strerror([code, buf, buf.length]);
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

export function isNull(p: Ptr): boolean {
  return isNullPointer(p);
}

/** A pointer to the numeric address `addr` (ffi-rs has no direct number -> pointer cast). */
export function pointerAt(addr: number): Ptr {
  return unwrapPointer(createPointer({ paramsType: [D.U64], paramsValue: [addr] }))[0];
}

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

/** mmap a BPF map's memory and view it as a Buffer without copying. */
export function mapMemory(fd: number, length: number, prot: number, offset: number): { ptr: Ptr; buf: Buffer } {
  const r = lib().mmap([0, length, prot, MAP_SHARED, fd, offset]);
  if (r.value === -1) throw new BpfError(`mmap of BPF map fd ${fd} (${length} bytes at ${offset}) failed: ${r.errnoMessage}`);
  const ptr = pointerAt(r.value);
  return { ptr, buf: createExternalBuffer(ptr, length) };
}

export function unmapMemory(ptr: Ptr, length: number): void {
  lib().munmap([ptr, length]);
}

export const CLOCK_REALTIME = 0;
export const CLOCK_BOOTTIME = 7;

/** mallopt's parameter for the size from which glibc's malloc maps a block of its own (malloc.h). */
const M_MMAP_THRESHOLD = -3;

/**
 * Fix glibc's mmap threshold at `bytes` (its initial 128 KiB). Left alone, glibc raises the
 * threshold to the size of every mapped block that is freed, up to 32 MiB: after the first
 * produce request's buffer (about 1 MiB) went, such buffers came from the heap, and the heap kept
 * their pages after they were freed. A fixed threshold also turns that adjustment off, so large
 * blocks stay mapped and go back to the kernel when freed. Peak RSS at 100,000 events/s: 176-182
 * -> 156-167 MiB (drain.js, see README "Memory budget"). Returns false when libc refused.
 */
export function fixMmapThreshold(bytes = 128 * 1024): boolean {
  return lib().mallopt([M_MMAP_THRESHOLD, bytes]) === 1;
}

const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
/** The kernel's sigset_t is 64 bits here; glibc's is 1024 bits (128 bytes), and it reads them all. */
const SIGSET_BYTES = 128;
/** Raised by a fault in the code that runs (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV): never blocked. */
const SYNCHRONOUS = [4, 5, 7, 8, 11];

/**
 * Run `fn` with the calling thread's asynchronous signals blocked, then restore its mask (a signal
 * that came meanwhile is delivered then). The verifier stops loading a program with EAGAIN when a
 * signal is pending (it checks between instructions), and libbpf gives up after five tries: the
 * producer then failed to start. V8's sampling profiler (`node --cpu-prof`) sends SIGPROF every
 * millisecond, so the producer could not be profiled at all; a Ctrl+C or a stop during the load
 * failed it with that EAGAIN, reported as missing privileges.
 */
export function withSignalsBlocked<T>(fn: () => T): T {
  const all = Buffer.alloc(SIGSET_BYTES, 0xff);
  for (const sig of SYNCHRONOUS) all[(sig - 1) >> 3] &= ~(1 << ((sig - 1) & 7));
  const old = Buffer.alloc(SIGSET_BYTES);
  const rc = lib().pthread_sigmask([SIG_BLOCK, all, old]);
  if (rc !== 0) throw new BpfError(`pthread_sigmask failed: ${rc}`);
  try {
    return fn();
  } finally {
    lib().pthread_sigmask([SIG_SETMASK, old, Buffer.alloc(SIGSET_BYTES)]);
  }
}

/**
 * bpf_object__load(obj) on a thread of libuv's pool (ffi-rs runInNewThread): the verifier takes
 * about half a second, and meanwhile the event loop goes on, so the first send to Kafka (topic
 * creation, metadata) progresses while the programs load instead of after. Signals: the pool's
 * threads start on first use, here in the producer, so they inherit the mask withSignalsBlocked
 * sets around the call and never take a signal (seen in /proc/PID/task/TID/status: SigBlk all but
 * the synchronous ones). Had the pool started earlier, the main thread would still take the
 * process's signals first (it blocks none), V8's SIGPROF goes to the main thread only, and
 * openWithRetry tries a load interrupted with EAGAIN again.
 */
export function loadObjectInThread(obj: Ptr): Promise<number> {
  lib(); // the library is open before the thread uses it
  return withSignalsBlocked(
    () =>
      load({
        library: 'libbpf',
        funcName: 'bpf_object__load',
        retType: D.I32,
        paramsType: [D.External],
        paramsValue: [obj],
        runInNewThread: true,
      }) as Promise<number>,
  );
}

/** clock_gettime(clock) in nanoseconds. */
export function clockNs(clock: number): bigint {
  const ts = Buffer.alloc(16);
  if (lib().clock_gettime([clock, ts]) !== 0) throw new BpfError(`clock_gettime(${clock}) failed`);
  return ts.readBigInt64LE(0) * 1_000_000_000n + ts.readBigInt64LE(8);
}
