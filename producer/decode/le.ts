/**
 * Little-endian integer reads for ring records, without Node's Buffer readers: in the decoder's
 * profile every `buf.readUInt32LE` call showed as V8's generic LoadIC builtin (14-17% of
 * decodeRecord's perf samples), and readBigUInt64LE builds each value as
 * BigInt(lo) + (BigInt(hi) << 32n). Plain element reads are inlined. The values are the same,
 * and a read past the end throws a RangeError as Node's do (test/unit/le.test.ts).
 */

const TWO_32 = 2 ** 32;

function check(buf: Buffer, at: number, size: number): void {
  if (!(at >= 0 && at + size <= buf.length)) throw new RangeError(`read of ${size} bytes at ${at} is outside a buffer of ${buf.length}`);
}

/**
 * The reads below without their bounds check, for a caller that checked the whole record's bounds
 * once (the direct file writer reads 13 fields and the task cache compares 20 words per record:
 * a check each was a few percent of the producer's samples). Past the end they read undefined as
 * 0 instead of throwing: never use them on unchecked offsets.
 */
export const u16Unchecked = (buf: Buffer, at: number): number => buf[at] | (buf[at + 1] << 8);
export const u32Unchecked = (buf: Buffer, at: number): number => (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16)) + buf[at + 3] * 0x1000000;
export const i32Unchecked = (buf: Buffer, at: number): number => buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24);

export function u16(buf: Buffer, at: number): number {
  check(buf, at, 2);
  return u16Unchecked(buf, at);
}

export function u32(buf: Buffer, at: number): number {
  check(buf, at, 4);
  return u32Unchecked(buf, at);
}

export function i32(buf: Buffer, at: number): number {
  check(buf, at, 4);
  return i32Unchecked(buf, at);
}

/** An unsigned 64-bit value: one BigInt from an exact number below 2^53. */
export function u64(buf: Buffer, at: number): bigint {
  const lo = u32(buf, at);
  const hi = u32(buf, at + 4);
  return hi < 0x200000 ? BigInt(hi * TWO_32 + lo) : BigInt(lo) + (BigInt(hi) << 32n);
}

/**
 * A signed 64-bit value as a number, as Number(buf.readBigInt64LE(at)) gives it: hi * 2^32 is
 * exact, so the sum is rounded once, to the same nearest double.
 */
export function i64Number(buf: Buffer, at: number): number {
  return i32(buf, at + 4) * TWO_32 + u32(buf, at);
}
