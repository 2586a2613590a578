/**
 * Document ids of events, computed per event without building strings or calling into crypto:
 * the event time (8 bytes, big-endian, so ids grow with time and Lucene's per-write id lookup
 * stays local to the newest terms), then a 64-bit hash of the README's dedup key: boot id (the
 * host id when there is none), kernel time, thread id, kind and type. Not a secret, only a name:
 * two murmur3-style lanes with different seeds, strings hashed once and remembered.
 */
import { fmix32 as fmix } from '../../../common/fmix32';
import type { AuditEvent } from '../../../schemas/types';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function round(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function strHash(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = round(h, s.charCodeAt(i));
  return fmix(h ^ s.length);
}

/** Strings repeat (a few boot ids, a dozen types): each hashed once, both lanes. */
const seen = new Map<string, [number, number]>();
function strLanes(s: string): [number, number] {
  let v = seen.get(s);
  if (!v) {
    if (seen.size > 10_000) seen.clear();
    v = [strHash(s, 0x9747b28c), strHash(s, 0x5bd1e995)];
    seen.set(s, v);
  }
  return v;
}

const buf = Buffer.alloc(16);

export function eventId(ev: AuditEvent): string {
  const e = ev.event;
  const [a0, b0] = strLanes(e.host.boot_id || `host:${e.host.id}`);
  const [a1, b1] = strLanes(`${ev.kind}:${ev.kind === 'process' ? ev.event.kind : ev.event.op}`);
  const kt = BigInt.asUintN(64, e.ktime_ns);
  const lo = Number(kt & 0xffffffffn) | 0;
  const hi = Number(kt >> 32n) | 0;
  const tid = e.process.tid | 0;
  let a = round(round(round(round(a0, lo), hi), tid), a1);
  let b = round(round(round(round(b0, hi), lo), tid), b1);
  a = fmix(a ^ 20);
  b = fmix(b ^ 20);
  buf.writeBigUInt64BE(BigInt.asUintN(64, e.time_ns), 0);
  buf.writeInt32BE(a, 8);
  buf.writeInt32BE(b, 12);
  return buf.toString('base64url');
}
