import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { i32, i64Number, u16, u32, u64 } from '../../producer/decode/le';

test("little-endian reads give Node's Buffer readers' values: edges, random, every offset", () => {
  const edges = [
    0n,
    1n,
    0x7fn,
    0xffn,
    0xffffn,
    0x7fffffffn,
    0x80000000n,
    0xffffffffn,
    2n ** 32n,
    2n ** 52n - 1n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 63n - 1n,
    2n ** 63n,
    2n ** 64n - 1n,
  ];
  const buf = Buffer.alloc(8 * edges.length + 3);
  edges.forEach((v, i) => buf.writeBigUInt64LE(v, 3 + 8 * i));
  const all = Buffer.concat([buf, randomBytes(4096)]);
  for (let at = 0; at + 8 <= all.length; at++) {
    assert.equal(u16(all, at), all.readUInt16LE(at));
    assert.equal(u32(all, at), all.readUInt32LE(at));
    assert.equal(i32(all, at), all.readInt32LE(at));
    assert.equal(u64(all, at), all.readBigUInt64LE(at), `u64 at ${at}`);
    assert.equal(i64Number(all, at), Number(all.readBigInt64LE(at)), `i64 at ${at}`);
  }
});

test("a read past the end throws a RangeError, as Node's readers do", () => {
  const b = Buffer.alloc(8);
  for (const [read, size] of [
    [u16, 2],
    [u32, 4],
    [i32, 4],
    [u64, 8],
    [i64Number, 8],
  ] as const) {
    assert.doesNotThrow(() => read(b, 8 - size));
    assert.throws(() => read(b, 9 - size), RangeError);
    assert.throws(() => read(b, -1), RangeError);
  }
});
