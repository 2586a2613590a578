/**
 * murmur3's 32-bit finalizer: spreads every input bit over every output bit. Shared by the hashes
 * that must be well mixed and cheap (OpenSearch document ids, the rules' value tables).
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
