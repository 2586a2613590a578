/**
 * A long's zigzag varint read in parts, for the readers that want a BigInt (registry.ts) or the
 * digits without one (consumer/core/output/json-avro.ts). The low 49 bits (7 bytes) are gathered as
 * a number, exactly; the rest (bytes 8-10) only for values of 2^48 and more, so the value is
 * (negative ? -1 : 1) * (high * 2^48 + half) with both parts exact numbers. A read past the end
 * leaves pos past the end, as avsc's readers do; the caller reports a truncated buffer.
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

/** The parts' value as a BigInt. */
export function longValue(p: LongParts): bigint {
  if (p.high === 0) return BigInt(p.negative ? -p.half : p.half);
  const magnitude = (BigInt(p.high) << 48n) + BigInt(p.half);
  return p.negative ? -magnitude : magnitude;
}
