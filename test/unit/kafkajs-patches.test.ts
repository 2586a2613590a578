/**
 * The kafkajs patches (patches/kafkajs+2.2.4.patch) change how every produce request is encoded:
 * their output must be byte-for-byte what upstream's code computes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

/* eslint-disable @typescript-eslint/no-require-imports */
const Encoder = require('kafkajs/src/protocol/encoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const Long = require('kafkajs/src/utils/long');
const crc32C: (b: Buffer) => number = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C');

/** Upstream's varlong: zigzag over Long, 7 bits at a time. */
function upstreamVarLong(value: number): Buffer {
  const bytes: number[] = [];
  let v = Encoder.encodeZigZag64(Long.fromNumber(value));
  while (v.and(Long.fromValue('0xffffffffffffff80')).notEquals(Long.fromInt(0))) {
    bytes.push(v.and(0x7f).or(0x80).toInt());
    v = v.shiftRightUnsigned(7);
  }
  bytes.push(v.toInt());
  return Buffer.from(bytes);
}

/** The reference bit-by-bit CRC32C (Castagnoli, reflected 0x82F63B78). */
function referenceCrc32c(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const VALUES = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, -8193, 2 ** 20, 2 ** 30, -(2 ** 31), 2 ** 31 - 1, 123456789, -987654321];

test('varints written in place and small varlongs decode to what was written, with upstream bytes and sizes', () => {
  for (const v of VALUES) {
    const e = new Encoder();
    e.writeVarInt(v).writeVarLong(v).writeUVarInt(Math.abs(v) >>> 0);
    const d = new Decoder(e.buffer);
    assert.equal(d.readVarInt(), v);
    assert.equal(d.readVarLong().toNumber(), v);
    assert.equal(d.readUVarInt(), Math.abs(v) >>> 0);
    const lng = new Encoder().writeVarLong(v).buffer;
    assert.deepEqual(lng, upstreamVarLong(v), `varlong bytes of ${v}`);
    assert.equal(Encoder.sizeOfVarLong(v), lng.length, `varlong size of ${v}`);
  }
  const big = new Encoder().writeVarLong(Long.fromNumber(2 ** 40)).buffer;
  assert.equal(new Decoder(big).readVarLong().toNumber(), 2 ** 40, 'Long values still take the Long path');
});

test('CRC32C: the check value, and the reference on random buffers', () => {
  assert.equal(crc32C(Buffer.from('123456789')), 0xe3069283);
  for (const n of [0, 1, 7, 64, 1000, 65537]) {
    const b = randomBytes(n);
    assert.equal(crc32C(b), referenceCrc32c(b), `${n} bytes`);
  }
});
