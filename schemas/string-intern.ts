/**
 * Strings read from Avro bytes, handed out again while their bytes recur: one string object per
 * distinct value instead of a fresh one per event. The values that repeat from event to event (a
 * host's id and name, a process's comm, executable, container id and user names, an event's op and
 * family) then cost no allocation, and a Map or Set lookup on them (a rule's `proc.name in (...)`,
 * an aggregate keyed by host, the process table) finds their hash already computed, where a fresh
 * string is hashed again each time. The value is always the one the bytes decode to: a table slot
 * is only reused when its bytes are equal, else it is decoded and replaces the slot.
 *
 * Direct-mapped tables of fixed size: bounded memory, a miss costs one decode, as without them.
 */
import { utf8Slice } from './utf8';

/** Strings of up to 8 bytes, keyed by their bytes packed in two numbers: no copy to compare with. */
const SHORT_SLOTS = 1024;
const shortLo = new Int32Array(SHORT_SLOTS);
const shortHi = new Int32Array(SHORT_SLOTS);
const shortLen = new Uint8Array(SHORT_SLOTS); // 0: empty slot (the empty string is not kept)
const shortStr: string[] = new Array<string>(SHORT_SLOTS).fill('');

/** `len` (1-8) bytes at `pos` as a string, interned. */
export function shortString(buf: Uint8Array, pos: number, len: number): string {
  let lo = 0;
  let hi = 0;
  const mid = len < 4 ? len : 4;
  for (let i = 0; i < mid; i++) lo |= buf[pos + i] << (8 * i);
  for (let i = 4; i < len; i++) hi |= buf[pos + i] << (8 * (i - 4));
  const slot = (Math.imul(lo ^ Math.imul(hi, 0x2c1b3c6d) ^ len, 0x9e3779b1) >>> 22) & (SHORT_SLOTS - 1);
  if (shortLen[slot] === len && shortLo[slot] === lo && shortHi[slot] === hi) return shortStr[slot];
  const s = ascii(buf, pos, len) ?? utf8Slice(buf as Buffer, pos, pos + len);
  shortLo[slot] = lo;
  shortHi[slot] = hi;
  shortLen[slot] = len;
  shortStr[slot] = s;
  return s;
}

const fromCharCode = String.fromCharCode;

/** Up to 8 ASCII bytes as a string with one fromCharCode call (less than the call into C++); undefined if not ASCII. */
function ascii(buf: Uint8Array, pos: number, len: number): string | undefined {
  let or = 0;
  for (let i = pos; i < pos + len; i++) or |= buf[i];
  if (or >= 0x80) return undefined;
  switch (len) {
    case 1:
      return fromCharCode(buf[pos]);
    case 2:
      return fromCharCode(buf[pos], buf[pos + 1]);
    case 3:
      return fromCharCode(buf[pos], buf[pos + 1], buf[pos + 2]);
    case 4:
      return fromCharCode(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]);
    case 5:
      return fromCharCode(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4]);
    case 6:
      return fromCharCode(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4], buf[pos + 5]);
    case 7:
      return fromCharCode(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4], buf[pos + 5], buf[pos + 6]);
    default:
      return fromCharCode(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]);
  }
}

/** Longer strings kept (a container id is 64 bytes; executables' paths mostly fit). */
export const LONG_MAX = 128;
const LONG_SLOTS = 4096;
const longBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(LONG_SLOTS).fill(undefined);
const longStr: string[] = new Array<string>(LONG_SLOTS).fill('');

/**
 * `len` (9 to LONG_MAX) bytes at `pos` as a string, interned. For the fields whose values recur
 * (the process and host records): a path read once would only churn the table. The slot comes
 * from the length and the last 12 bytes (where executables' names and container ids differ).
 */
export function longString(buf: Uint8Array, pos: number, len: number): string {
  const end = pos + len;
  let h = Math.imul(len, 0x9e3779b1);
  for (let i = end - (len < 12 ? len : 12); i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  const slot = (h >>> 20) & (LONG_SLOTS - 1);
  const kept = longBytes[slot];
  if (kept !== undefined && kept.length === len) {
    let i = 0;
    while (i < len && kept[i] === buf[pos + i]) i++;
    if (i === len) return longStr[slot];
  }
  const s = utf8Slice(buf as Buffer, pos, end);
  longBytes[slot] = Uint8Array.prototype.slice.call(buf, pos, end);
  longStr[slot] = s;
  return s;
}
