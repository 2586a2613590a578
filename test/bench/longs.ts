/**
 * Avro longs of 2^48 and more (every event's wall-clock time_ns, about 2^60.6): written and read
 * the way schemas/zigzag-long.ts does it (the value's two 32-bit words through a 64-bit typed
 * array) against BigInt arithmetic, the way it was done before (writer: the low word by
 * BigInt.asUintN and the high word from the double; reader: shift, add and negate). Both ways run
 * on the same values in one process, alternating, and must give the same bytes and values.
 * Nanoseconds per long, best of seven rounds of each, and the ratio.
 *   node dist/test/bench/longs.js [values=1000000]
 */
import { longValue, readLongParts, writeBigZigzag, writeZigzagWords, type LongParts } from '../../schemas/zigzag-long';
import { rng as seeded } from '../helpers/rng';

const N = Number(process.argv[2] ?? 1_000_000);
const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;

/** The writer before: one BigInt op for the low word, the high word from the double (n > 2^52 here); the varint as now. */
function writeArithmetic(buf: Uint8Array, pos: number, n: bigint): number {
  const d = Number(n);
  let lo: number;
  let hi: number;
  if (d > 0 && d < TWO_63) {
    lo = Number(BigInt.asUintN(32, n));
    hi = Math.floor(d / TWO_32);
    const rest = d - hi * TWO_32;
    if (lo - rest > TWO_31) hi--;
    else if (rest - lo > TWO_31) hi++;
  } else {
    lo = Number(BigInt.asUintN(32, n));
    hi = Number(BigInt.asIntN(32, n >> 32n)) >>> 0;
  }
  return writeZigzagWords(buf, pos, lo, hi);
}

/** The reader before: the BigInt built with arithmetic. */
function valueArithmetic(p: LongParts): bigint {
  if (p.high === 0) return BigInt(p.negative ? -p.half : p.half);
  const magnitude = (BigInt(p.high) << 48n) + BigInt(p.half);
  return p.negative ? -magnitude : magnitude;
}

function main(): void {
  // Wall-clock times a few microseconds apart, as a busy host's events are.
  const rng = seeded(12);
  const values: bigint[] = [];
  let t = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < N; i++) values.push((t += BigInt(1 + Math.floor(rng() * 20_000))));
  const stride = 10;
  const wire = new Uint8Array(N * stride);
  const other = new Uint8Array(N * stride);
  const parts: LongParts = { pos: 0, negative: false, half: 0, high: 0 };

  const timeNs = (fn: () => void): number => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / N;
  };
  /** Every value read back with `value`, XORed together (so the two readers' results cancel out). */
  const readAll = (value: (p: LongParts) => bigint): bigint => {
    let x = 0n;
    for (let i = 0; i < N; i++) {
      readLongParts(wire, i * stride, parts);
      x ^= value(parts);
    }
    return x;
  };
  const best = { write: [Infinity, Infinity], read: [Infinity, Infinity] };
  let sink = 0n;
  for (let round = 0; round < 7; round++) {
    best.write[0] = Math.min(
      best.write[0],
      timeNs(() => values.forEach((v, i) => writeArithmetic(other, i * stride, v))),
    );
    best.write[1] = Math.min(
      best.write[1],
      timeNs(() => values.forEach((v, i) => writeBigZigzag(wire, i * stride, v))),
    );
    best.read[0] = Math.min(
      best.read[0],
      timeNs(() => (sink ^= readAll(valueArithmetic))),
    );
    best.read[1] = Math.min(
      best.read[1],
      timeNs(() => (sink ^= readAll(longValue))),
    );
  }
  // Same bytes from both writers; each read gives the value back (the two reads XOR to zero).
  if (!Buffer.from(wire).equals(Buffer.from(other))) throw new Error('the writers differ');
  if (sink !== 0n) throw new Error('the readers differ');
  for (let i = 0; i < N; i += 997) {
    readLongParts(wire, i * stride, parts);
    if (longValue(parts) !== values[i]) throw new Error(`value ${values[i]} read back as ${longValue(parts)}`);
  }
  const line = (what: string, [before, now]: number[]): string =>
    `${what.padEnd(34)} BigInt arithmetic ${before.toFixed(1)} ns, 32-bit words ${now.toFixed(1)} ns: ${(before / now).toFixed(2)}x`;
  console.log(`${N} wall-clock times (ns), best of 7 rounds, per long`);
  console.log(line('write (zigzag varint)', best.write));
  console.log(line('read (varint parts, then value)', best.read));
}

main();
