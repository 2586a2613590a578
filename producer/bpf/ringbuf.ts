/**
 * A BPF ring buffer consumer written in JS over the map's mmap'd memory: no FFI call and no
 * wakeup per event (1.1M events/s in the spike, against 135k/s with a libbpf callback per event).
 *
 * Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (we write it); page 1 holds
 * producer_pos; the data area follows, mapped twice in a row so a record that wraps is contiguous.
 * Each record has an 8-byte header: u32 length with BUSY (bit 31) and DISCARD (bit 30), u32 page offset.
 */
import { mapMemory, lib, PROT_READ, PROT_WRITE, unmapMemory, type Ptr } from './native';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const LEN_MASK = 0x3fffffff;
const HDR = 8;

/** Called with the data area, the record's offset in it and its length; must not keep `data`. */
export type RecordHandler = (data: Buffer, offset: number, length: number) => void;

export interface RingReader {
  /** Consume up to `max` records; returns how many were handed to `onRecord`. */
  drain(onRecord: RecordHandler, max: number): number;
  /** Bytes written by the kernel and not consumed yet. */
  pending(): number;
  close(): void;
}

export function openRingReader(opts: { fd: number; size: number }): RingReader {
  const page = lib().getpagesize([]);
  const size = opts.size;
  if (size & (size - 1) || size % page) throw new Error(`ring size ${size} must be a power of two multiple of ${page}`);
  const mask = size - 1;
  const cons = mapMemory(opts.fd, page, PROT_READ | PROT_WRITE, 0);
  const prod = mapMemory(opts.fd, page + 2 * size, PROT_READ, page);
  const consPos = new BigUint64Array(cons.buf.buffer, cons.buf.byteOffset, 1);
  const prodPos = new BigUint64Array(prod.buf.buffer, prod.buf.byteOffset, 1);
  const data = prod.buf.subarray(page);
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  const maps: [Ptr, number][] = [[cons.ptr, page], [prod.ptr, page + 2 * size]];

  return {
    drain(onRecord, max) {
      let c = Number(Atomics.load(consPos, 0));
      let p = Number(Atomics.load(prodPos, 0));
      let n = 0;
      while (c < p && n < max) {
        const off = c & mask;
        const len = Atomics.load(words, off >>> 2); // acquire: the record is complete once BUSY clears
        if (len & BUSY) break;
        const dlen = len & LEN_MASK;
        try {
          if (!(len & DISCARD)) {
            onRecord(data, off + HDR, dlen);
            n++;
          }
        } finally {
          c += (dlen + HDR + 7) & ~7;
          // Release space as we go so the kernel can reuse it during a long drain.
          if ((n & 1023) === 0) Atomics.store(consPos, 0, BigInt(c));
        }
        if (c >= p) p = Number(Atomics.load(prodPos, 0));
      }
      Atomics.store(consPos, 0, BigInt(c));
      return n;
    },
    pending() {
      return Number(Atomics.load(prodPos, 0) - Atomics.load(consPos, 0));
    },
    close() {
      for (const [ptr, len] of maps.splice(0)) unmapMemory(ptr, len);
    },
  };
}
