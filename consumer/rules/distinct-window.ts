/**
 * The values a `distinct(...) > N within T` window has seen and when each was last seen, in one
 * open-addressed table of doubles (key, time, key, time ...) per window.
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
 * in a window the odds are below 1 in 10^10 per window.
 */

const EMPTY = NaN;
const MIN_CAPACITY = 16;

/** The key of a value: numbers themselves, strings their hash (always an integer below 2^53). */
export function valueKey(v: number | string): number {
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

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// A double's two 32-bit halves, for the slot of any key (integers, fractions, -0 alike).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function slotOf(key: number, mask: number): number {
  f64[0] = key === 0 ? 0 : key; // -0 and 0 are one key
  return (Math.imul(u32[0] ^ Math.imul(u32[1], 0x85ebca6b), 0x9e3779b1) >>> 0) & mask;
}

export class DistinctWindow {
  /** key, time (ms) pairs; an empty slot's key is NaN. */
  private table = new Float64Array(2 * MIN_CAPACITY).fill(EMPTY);
  private mask = MIN_CAPACITY - 1;
  size = 0;
  /** When the values were last pruned (ms). */
  prunedAt: number;

  constructor(now: number) {
    this.prunedAt = now;
  }

  /** Record `key` as seen at `t`. */
  set(key: number, t: number): void {
    const table = this.table;
    const mask = this.mask;
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      const k = table[2 * i];
      if (k === key) {
        table[2 * i + 1] = t;
        return;
      }
      if (k !== k) {
        table[2 * i] = key;
        table[2 * i + 1] = t;
        // Kept at most half full: probes stay short.
        if (++this.size * 2 > mask + 1) this.rebuild(2 * (mask + 1), -Infinity);
        return;
      }
    }
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
    const mask = this.mask;
    for (let j = 0; j < old.length; j += 2) {
      const key = old[j];
      if (key !== key || old[j + 1] < since) continue;
      let i = slotOf(key, mask);
      while (table[2 * i] === table[2 * i]) i = (i + 1) & mask;
      table[2 * i] = key;
      table[2 * i + 1] = old[j + 1];
      this.size++;
    }
  }
}
