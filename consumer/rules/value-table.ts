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
  private table = new Float64Array(2 * MIN_CAPACITY).fill(EMPTY);
  private mask = MIN_CAPACITY - 1;
  size = 0;
  /** When the values were last pruned (ms). */
  prunedAt: number;

  constructor(now = 0) {
    this.prunedAt = now;
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
    this.table = new Float64Array(2 * capacity).fill(EMPTY);
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
  }
}
