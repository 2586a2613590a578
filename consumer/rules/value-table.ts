/**
 * The values a stateful rule holds per key, in one open-addressed table of doubles (key, time,
 * key, time ...): a `distinct(...) > N within T` window's values and when each was last seen, and
 * the tuples a `first_seen(...)` key has learned.
 *
 * Why not a Map of value -> time: the windows live for seconds, so every value stored in a Map
 * (a file path string, a boxed address-and-port number) was copied by each scavenge and then
 * promoted, and every window's Map grew and shrank again as its values aged out; the Maps and
 * their garbage were most of `mass-file-access`'s cost, and that rule was the costliest in the
 * default pack (test/bench/rules.js). Here a value is a double held in the table itself: nothing
 * is allocated per event, and a table is only reallocated when it grows.
 *
 * Values are numbers as they are (exact) and strings by a 53-bit hash of their text. Two strings
 * with the same hash count as one value: a count can then be one short, never one too many, so a
 * collision can delay an alert by one value but never raise one; with at most a few hundred values
 * in a window the odds are below 1 in 10^10 per window. For first_seen a collision would take a
 * new tuple for a known one: with 100,000 tuples held (the cap), about 1 in 10^11 per new tuple.
 */
import { fmix32 as fmix } from '../../common/fmix32';

const EMPTY = NaN;
const MIN_CAPACITY = 16;
/** Tables up to this many slots take their memory from a pool; larger ones (rare) their own. */
const MAX_POOLED = 512;
/** A pool's memory comes in chunks of this many doubles (64 KiB). */
const CHUNK = 8192;

/**
 * Memory for the tables of one stateful rule, reused: a table that grows, shrinks or goes away
 * gives its block back, and the next table of that size takes it. Why: each table is a
 * Float64Array, and a typed array of more than 64 bytes is allocated outside V8's heap, with a
 * backing store the collector must track and later free: 1.5 to 2.8 us each on this VM (2 million
 * `new Float64Array(32)` in a loop), where taking a free block is a pop. mass-file-access alone made
 * 33,000 tables over 500,000 events of the benchmark's workload (grown at 9 values, shrunk again
 * after pruning). Blocks are views into 64 KiB chunks, made once per chunk. A pool holds at most
 * what its rule's tables held at their peak, which maxKeys and the thresholds bound.
 */
export class TablePool {
  /** Free blocks by size class (log2 of the capacity in slots). */
  private readonly free: Float64Array[][] = [];
  /** Bytes of chunks made (for the tests and stats). */
  bytes = 0;

  /** A table of `capacity` slots (a power of two), every key EMPTY. */
  take(capacity: number): Float64Array {
    if (capacity > MAX_POOLED) return new Float64Array(2 * capacity).fill(EMPTY);
    const c = 31 - Math.clz32(capacity);
    const list = (this.free[c] ??= []);
    if (list.length === 0) {
      const size = 2 * capacity;
      const chunk = new Float64Array(CHUNK);
      this.bytes += chunk.byteLength;
      for (let off = 0; off + size <= CHUNK; off += size) list.push(chunk.subarray(off, off + size));
    }
    return list.pop()!.fill(EMPTY);
  }

  /** Give a table's block back: the caller holds no reference to it afterwards. */
  give(table: Float64Array): void {
    const capacity = table.length / 2;
    if (capacity > MAX_POOLED || capacity < MIN_CAPACITY) return;
    this.free[31 - Math.clz32(capacity)].push(table);
  }
}

const NO_TABLE = new Float64Array(0);

/** The key of a value: numbers themselves, strings their hash (always an integer below 2^53). */
export function tableKey(v: number | string): number {
  return typeof v === 'number' ? v : stringKey(v);
}

/** A 53-bit hash of a string: two 32-bit multiplicative hashes in one pass, each finished as murmur3's fmix32. */
export function stringKey(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = fmix(a);
  b = fmix(b);
  return (a >>> 0) + (b >>> 11) * 0x100000000;
}

// A double's two 32-bit halves, for the slot of any key (integers, fractions, -0 alike).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * The home slot of a key: both halves mixed (a small integer's low half is all zeros, and its high
 * half varies in its upper bits only), finished by fmix32 so every bit reaches the slot's bits.
 */
function slotOf(key: number, mask: number): number {
  f64[0] = key === 0 ? 0 : key; // -0 and 0 are one key
  return fmix(u32[0] ^ Math.imul(u32[1], 0x85ebca6b)) & mask;
}

export class ValueTable {
  /** key, time (ms) pairs; an empty slot's key is NaN. */
  private table: Float64Array;
  private mask = MIN_CAPACITY - 1;
  size = 0;
  /** When the values were last pruned (ms). */
  prunedAt: number;

  /** `pool`: shared by the tables of one rule (a table alone gets its own). */
  constructor(
    now = 0,
    private readonly pool: TablePool = new TablePool(),
  ) {
    this.prunedAt = now;
    this.table = pool.take(MIN_CAPACITY);
  }

  /**
   * Give the table's memory back to the pool. The table must not be used afterwards (its memory is
   * another table's); disposing twice is harmless.
   */
  dispose(): void {
    if (this.table === NO_TABLE) return;
    this.pool.give(this.table);
    this.table = NO_TABLE;
    this.size = 0;
  }

  /** The slot that holds `key`, or else the empty slot where it would go (the table is never full). */
  private find(key: number): number {
    const table = this.table;
    const mask = this.mask;
    let i = slotOf(key, mask);
    for (let k = table[2 * i]; k !== key && k === k; k = table[2 * i]) i = (i + 1) & mask;
    return i;
  }

  has(key: number): boolean {
    return this.table[2 * this.find(key)] === key;
  }

  /**
   * Remove `key`. Linear probing's deletion: the entries after it in its run move back into the
   * hole when their own slot is at or before it, so every lookup still finds its key.
   */
  delete(key: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.find(key);
    if (table[2 * i] !== key) return;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = table[2 * j];
      if (k !== k) break;
      const home = slotOf(k, mask);
      // j's entry may fill the hole at i when its home is not cyclically within (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[2 * i] = k;
        table[2 * i + 1] = table[2 * j + 1];
        i = j;
      }
    }
    table[2 * i] = EMPTY;
    table[2 * i + 1] = EMPTY;
    this.size--;
  }

  /** Record `key` as seen at `t`. */
  set(key: number, t: number): void {
    const table = this.table;
    const i = this.find(key);
    table[2 * i + 1] = t;
    if (table[2 * i] === key) return;
    table[2 * i] = key;
    // Kept at most half full: probes stay short.
    if (++this.size * 2 > this.mask + 1) this.rebuild(2 * (this.mask + 1), -Infinity);
  }

  /** The longest run of occupied slots: how far a lookup may probe (for the tests). */
  longestRun(): number {
    let longest = 0;
    let run = 0;
    // Twice around, so a run across the table's end is counted whole.
    for (let i = 0; i < 2 * (this.mask + 1); i++) {
      const k = this.table[2 * (i & this.mask)];
      run = k === k ? run + 1 : 0;
      longest = Math.max(longest, Math.min(run, this.mask + 1));
    }
    return longest;
  }

  /** Forget the values last seen more than `window` ms before `t`. */
  prune(t: number, window: number): void {
    this.prunedAt = t;
    let live = 0;
    const table = this.table;
    for (let i = 1; i < table.length; i += 2) if (t - table[i] <= window) live++;
    if (live === this.size) return;
    // Shrunk when mostly empty, so a key that was busy once does not hold a large table.
    let capacity = this.mask + 1;
    while (capacity > MIN_CAPACITY && live * 8 < capacity) capacity /= 2;
    this.rebuild(capacity, t - window);
  }

  /** Reinsert the entries seen at `since` or later into a table of `capacity` slots. */
  private rebuild(capacity: number, since: number): void {
    const old = this.table;
    this.table = this.pool.take(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    const table = this.table;
    for (let j = 0; j < old.length; j += 2) {
      const key = old[j];
      if (key !== key || old[j + 1] < since) continue;
      const i = this.find(key);
      table[2 * i] = key;
      table[2 * i + 1] = old[j + 1];
      this.size++;
    }
    this.pool.give(old);
  }
}
