/**
 * Avro's longs as zigzag varints, for the BigInt reader and writer (registry.ts) and the readers
 * that want the digits without a BigInt (consumer/core/output/json-avro.ts). Values of 2^48 and
 * more (every wall-clock time_ns) go between a BigInt and two 32-bit words through a 64-bit typed
 * array, not BigInt arithmetic: `node dist/test/bench/longs.js` compares the two.
 *
 * A varint is read in parts. The low 49 bits (7 bytes) are gathered as a number, exactly; the
 * rest (bytes 8-10) only for values of 2^48 and more, so the value is (negative ? -1 : 1) *
 * (high * 2^48 + half) with both parts exact numbers. A read past the end leaves pos past the end,
 * as avsc's readers do; the caller reports a truncated buffer.
 */
export interface LongParts {
  /** The position after the varint. */
  pos: number;
  negative: boolean;
  /** The magnitude's low 48 bits. */
  half: number;
  /** The magnitude's bits from 2^48 up. */
  high: number;
}

/** Reads the varint at `pos` into `into` (one object reused per reader: nothing allocated). */
export function readLongParts(buf: Uint8Array, pos: number, into: LongParts): void {
  let low = 0;
  let factor = 1;
  let b: number;
  do {
    b = buf[pos++];
    low += (b & 0x7f) * factor;
    factor *= 128;
  } while (b & 0x80 && factor < 2 ** 49);
  let high = 0;
  if (b & 0x80) {
    factor = 1;
    do {
      b = buf[pos++];
      high += (b & 0x7f) * factor;
      factor *= 128;
    } while (b & 0x80 && factor < 2 ** 21);
  }
  // zigzag: z even is z / 2, z odd is -(z + 1) / 2; the lowest bit is in `low`.
  into.pos = pos;
  into.negative = low % 2 === 1;
  into.half = into.negative ? (low + 1) / 2 : low / 2;
  into.high = high;
}

const TWO_32 = 2 ** 32;
const words64 = new BigInt64Array(1);
const words32 = new Uint32Array(words64.buffer);
/** Which 32-bit word is the low one (the platform's byte order). */
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * The parts' value as a BigInt. Beyond 2^48 (every wall-clock time_ns), the two 32-bit words are
 * written into a 64-bit typed array and read back as one BigInt: one allocation, where building it
 * with BigInt arithmetic (shift, add, negate) made four or five. The read wraps modulo 2^64, as
 * Avro's 64-bit long does.
 */
export function longValue(p: LongParts): bigint {
  if (p.high === 0) return BigInt(p.negative ? -p.half : p.half);
  // magnitude = high * 2^48 + half, as words: half's low 32 bits, and the rest above them.
  let lo = p.half % TWO_32;
  let hi = (Math.floor(p.half / TWO_32) + p.high * 0x10000) % TWO_32;
  if (p.negative) {
    // Two's complement of the pair: invert both, add one to the low word, carry into the high.
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  words32[LOW] = lo;
  words32[1 - LOW] = hi;
  return words64[0];
}

/**
 * Writes `n` (wrapped modulo 2^64, as Avro's 64-bit long) as its zigzag varint at `pos` and
 * returns the position after it. Past the end of `buf` nothing is written but the position moves
 * on. Any long; the registry's writer sends those beyond 2^52 here (avsc's number writer is exact
 * below).
 */
export function writeBigZigzag(buf: Uint8Array, pos: number, n: bigint): number {
  words64[0] = n;
  return writeZigzagWords(buf, pos, words32[LOW], words32[1 - LOW]);
}

/** The zigzag varint of the 64-bit two's complement value whose words are `lo` and `hi` (unsigned). */
export function writeZigzagWords(buf: Uint8Array, pos: number, lo: number, hi: number): number {
  // zigzag of the 64-bit pair: (n << 1) ^ (n >> 63)
  const negative = hi >= 0x80000000;
  hi = ((hi << 1) | (lo >>> 31)) >>> 0;
  lo = (lo << 1) >>> 0;
  if (negative) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  }
  while (hi !== 0 || lo > 0x7f) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}
