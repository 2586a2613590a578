/**
 * The kafkajs patches (patches/kafkajs+2.2.4.patch) change how every produce request is encoded
 * and how every fetched record is decoded: their output must be byte-for-byte, and their decoded
 * records field-for-field, what upstream's code computes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

/* eslint-disable @typescript-eslint/no-require-imports */
const Encoder = require('kafkajs/src/protocol/encoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const Long = require('kafkajs/src/utils/long');
const crc32C: (b: Buffer) => number = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C');
const { RecordBatch, RecordBatchOfMessages } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const Batch = require('kafkajs/src/consumer/batch');

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
    e.writeVarInt(v)
      .writeVarLong(v)
      .writeUVarInt(Math.abs(v) >>> 0);
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

test("readVarLongNumber: the number for varlongs of up to 7 bytes, readVarLong's Long beyond", () => {
  const values = [...VALUES, 2 ** 47, -(2 ** 47), 2 ** 48 - 1, -(2 ** 48), 2 ** 48, -(2 ** 48) - 1, 2 ** 53 - 1, -(2 ** 53) + 1];
  for (const v of values) {
    const buf = new Encoder().writeVarLong(Long.fromNumber(v)).writeInt8(7).buffer;
    const d = new Decoder(buf);
    const n = d.readVarLongNumber();
    const expected = new Decoder(buf).readVarLong();
    if (Math.abs(v) < 2 ** 48) assert.equal(n, v, `number for ${v}`);
    assert.equal(Long.fromValue(n).toString(), expected.toString(), `value of ${v}`);
    assert.equal(d.readInt8(), 7, `position after ${v}`);
  }
});

/** Offsets and timestamps as upstream computes them: Long arithmetic on the batch's strings. */
const longAdd = (base: string, delta: number | string): string => Long.fromValue(base).add(Long.fromValue(delta)).toString();

async function roundTrip(firstOffset: string, firstTimestamp: number, records: Array<{ offsetDelta: number; timestampDelta: number | string; headers: Record<string, unknown> }>) {
  const encoded = await RecordBatch({
    firstOffset: Long.fromString(firstOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp,
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) => Record({ ...r, timestampDelta: Long.fromValue(r.timestampDelta), key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })),
  });
  return (await decodeRecordBatch(new Decoder(encoded.buffer))).records;
}

test("record batches decode with exact offsets and timestamps, numbers or Longs, and upstream's headers", async () => {
  const proto = JSON.parse('{"__proto__": "p"}') as Record<string, unknown>; // an own key named __proto__
  const headers = [{}, { kind: 'file', host: 'h1' }, { dup: ['a', 'b', 'c'], one: 'x' }, proto];
  for (const [firstOffset, firstTimestamp] of [
    ['0', 1_764_012_345_678],
    ['9007199254740000', 1_764_012_345_678],
    ['9223372036854775000', -1],
  ] as const) {
    const deltas = [0, 1, 500, 999];
    const specs = deltas.map((d, i) => ({ offsetDelta: d, timestampDelta: i === 3 ? '300000000000000' : d * 7, headers: headers[i] }));
    const records = await roundTrip(firstOffset, firstTimestamp, specs);
    assert.equal(records.length, specs.length);
    records.forEach((r: any, i: number) => {
      assert.equal(r.offset, longAdd(firstOffset, specs[i].offsetDelta), `offset ${firstOffset}+${specs[i].offsetDelta}`);
      assert.equal(r.timestamp, longAdd(String(firstTimestamp), specs[i].timestampDelta), `timestamp of record ${i}`);
      assert.deepEqual(r.key, Buffer.from(`k${i}`));
      assert.deepEqual(r.value, Buffer.from(`v${i}`));
      // Upstream's own reduce over the header pairs, in the encoder's order.
      const pairs = Object.keys(specs[i].headers).flatMap((k) => [specs[i].headers[k]].flat().map((v) => ({ key: k, value: Buffer.from(String(v)) })));
      const upstream = pairs.reduce(
        (obj: any, { key, value }) => ({ ...obj, [key]: obj[key] === undefined ? value : Array.isArray(obj[key]) ? obj[key].concat([value]) : [obj[key], value] }),
        {},
      );
      assert.deepEqual(r.headers, upstream);
      assert.deepEqual(Object.keys(r.headers), Object.keys(specs[i].headers));
    });
  }
});

test('a fetched batch keeps the messages at or after the fetched offset, numbers or Longs', () => {
  const msgs = (offsets: string[]) => offsets.map((offset) => ({ offset, key: null, isControlRecord: false, batchContext: {} }));
  const kept = (fetched: string, offsets: string[]) =>
    new Batch('t', fetched, { partition: 0, highWatermark: '0', messages: msgs(offsets), abortedTransactions: [] }).messages.map((m: { offset: string }) => m.offset);
  assert.deepEqual(kept('5', ['3', '4', '5', '6']), ['5', '6']);
  assert.deepEqual(kept('9007199254740993', ['9007199254740992', '9007199254740993', '9007199254740994']), ['9007199254740993', '9007199254740994']);
  assert.deepEqual(kept('9007199254740991', ['9007199254740990', '9007199254740991', '9007199254740992']), ['9007199254740991', '9007199254740992']);
});

test('uncompressed batches written in one buffer: the bytes of RecordBatch over Record encoders', async () => {
  const shared = Object.freeze({ kind: 'file', schema: 'ab12', host: 'h1' });
  const messages = [
    { key: Buffer.from('host-1'), value: randomBytes(200), timestamp: '1764012345678', headers: shared },
    { key: 'text key é', value: 'text value ü', timestamp: '1764012345600', headers: { a: ['1', '2'], b: Buffer.from([0, 1]) } },
    { key: null, value: null, headers: {} },
    { key: Buffer.alloc(0), value: randomBytes(70_000), timestamp: '1764012345999', headers: shared },
    { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '1764012345000' },
    { key: Buffer.from('host-1'), value: randomBytes(33), timestamp: '1764012345678', headers: shared }, // the frozen headers, from cache
  ];
  const dateNow = 1_764_012_346_000;
  for (const transactional of [false, true]) {
    const firstTimestamp = '1764012345000';
    const maxTimestamp = '1764012345999';
    const args = { firstTimestamp, maxTimestamp, producerId: Long.fromValue(7), producerEpoch: 2, firstSequence: 11, transactional };
    const upstream = await RecordBatch({
      ...args,
      lastOffsetDelta: messages.length - 1,
      records: messages.map((m, i) =>
        Record({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: Number(m.timestamp || dateNow) - Number(firstTimestamp) }),
      ),
    });
    const direct = RecordBatchOfMessages({ ...args, messages, dateNow });
    assert.deepEqual(direct.buffer, upstream.buffer, `transactional ${transactional}`);
  }
});

test('records are decoded in place: null and empty keys and values, numbers beside the strings, toJSON, and a compressed batch', async () => {
  const { Types, Codecs } = require('kafkajs/src/protocol/message/compression');
  const specs = [
    { key: null, value: Buffer.from('v0') },
    { key: Buffer.alloc(0), value: null },
    { key: Buffer.from('host-0001'), value: Buffer.alloc(0) },
    { key: Buffer.from('k3'), value: randomBytes(300), headers: { h: 'x', dup: ['1', '2'] } },
  ];
  for (const compression of [Types.None, Types.GZIP]) {
    const encoded = await RecordBatch({
      compression,
      firstOffset: Long.fromValue(41),
      firstTimestamp: 1_764_012_345_000,
      maxTimestamp: 1_764_012_345_009,
      lastOffsetDelta: specs.length - 1,
      records: specs.map((s, i) => Record({ offsetDelta: i, timestampDelta: i * 3, key: s.key, value: s.value, headers: s.headers ?? {} })),
    });
    assert.ok(compression === Types.None || Codecs[compression], 'gzip is built in');
    const { records } = await decodeRecordBatch(new Decoder(encoded.buffer));
    records.forEach((r: any, i: number) => {
      const s = specs[i];
      assert.deepEqual(r.key, s.key, `key ${i}`);
      assert.deepEqual(r.value, s.value, `value ${i}`);
      assert.equal(r.offsetNumber, 41 + i);
      assert.equal(r.offset, String(41 + i));
      assert.equal(r.timestampNumber, 1_764_012_345_000 + i * 3);
      assert.equal(r.timestamp, String(1_764_012_345_000 + i * 3));
      assert.equal(r.key, r.key, 'made once and kept');
      // The value's bytes in place: the same bytes as the value, with no Buffer made for them.
      if (s.value === null) assert.equal(r.valueAt, -1, `value ${i}: null has no bytes in place`);
      else assert.deepEqual(r.valueBuffer.subarray(r.valueAt, r.valueEnd), s.value, `value ${i} in place`);
      assert.equal(r.value, r.value, 'made once and kept');
      const plain = JSON.parse(JSON.stringify(r));
      assert.deepEqual(Object.keys(plain), ['magicByte', 'attributes', 'timestamp', 'offset', 'key', 'value', 'headers', 'isControlRecord', 'batchContext']);
      assert.equal(plain.offset, String(41 + i));
    });
    assert.deepEqual(records[3].headers, { h: Buffer.from('x'), dup: [Buffer.from('1'), Buffer.from('2')] });
    // A consumer may set a field, as it could on upstream's plain records.
    records[0].offset = '7';
    assert.equal(records[0].offset, '7');
    assert.equal(records[0].offsetNumber, undefined, 'the number no longer says the offset');
    assert.equal(records[2].magicByte, 2, "the batch's magic byte");
    assert.equal(records[2].isControlRecord, false);
    records[2].isControlRecord = true;
    records[2].magicByte = 1;
    assert.equal(records[2].isControlRecord, true, 'a set field reads back');
    assert.equal(records[2].magicByte, 1);
    assert.equal(records[3].isControlRecord, false, "another record's is its batch's");
    records[1].value = Buffer.from('set');
    assert.deepEqual(records[1].value, Buffer.from('set'));
    assert.equal(records[1].valueAt, -1, 'the bytes in place no longer say the value');
  }
});

test('a record whose length overruns its batch, or whose fields overrun its length, throws', async () => {
  const good = await RecordBatch({
    firstOffset: Long.fromValue(0),
    firstTimestamp: 1,
    maxTimestamp: 1,
    lastOffsetDelta: 0,
    records: [Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.from('value') })],
  });
  const buf: Buffer = Buffer.from(good.buffer);
  // The record starts after the 61-byte batch header (records count included): its length varint.
  const at = 61;
  const length = new Decoder(buf.subarray(at)).readVarInt();
  const withLength = (n: number): Buffer => {
    const e = new Encoder().writeVarInt(n).buffer;
    assert.equal(e.length, 1, 'the test keeps the varint one byte long');
    const b = Buffer.from(buf);
    e.copy(b, at);
    return b;
  };
  await assert.rejects(decodeRecordBatch(new Decoder(withLength(length + 40))), /overruns its batch/);
  await assert.rejects(decodeRecordBatch(new Decoder(withLength(4))), /overrun its length/);
  // The value's length varint follows the key's (key "k": length 1 and one byte) at 61 + 1 + 1 + 1 + 1 + 2.
  const valueLengthAt = at + 6;
  assert.equal(new Decoder(buf.subarray(valueLengthAt)).readVarInt(), 5, 'the test finds the value length');
  const badValue = Buffer.from(buf);
  new Encoder().writeVarInt(-2).buffer.copy(badValue, valueLengthAt);
  await assert.rejects(decodeRecordBatch(new Decoder(badValue)), /value length -2/);
  const ok = await decodeRecordBatch(new Decoder(withLength(length)));
  assert.deepEqual(ok.records[0].value, Buffer.from('value'));
});

test('a fetched batch hands on the fetched array when it keeps every message, and leaves out control records', () => {
  const msg = (offsetNumber: number, isControlRecord = false) => ({ offsetNumber, isControlRecord, key: null, batchContext: {} });
  const all = [msg(5), msg(6), msg(7)];
  const batch = new Batch('t', '5', { partition: 0, highWatermark: '0', messages: all, abortedTransactions: [] });
  assert.equal(batch.messages, all, 'no copy when nothing is left out');
  assert.equal(batch.messagesWithinOffset, all);
  const withControl = [msg(5), msg(6, true), msg(7)];
  const c = new Batch('t', '5', { partition: 0, highWatermark: '0', messages: withControl, abortedTransactions: [] });
  assert.deepEqual(
    c.messages.map((m: { offsetNumber: number }) => m.offsetNumber),
    [5, 7],
  );
  assert.equal(c.messagesWithinOffset.length, 3, 'a control record is within the offset');
  assert.equal(withControl.length, 3, 'the fetched array is not changed');
});

test('a fetch response of several record batches decodes to all their records, in order', async () => {
  const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');
  const batches = [];
  let offset = 0;
  for (const n of [3, 1, 4]) {
    const b = await RecordBatch({
      firstOffset: Long.fromValue(offset),
      firstTimestamp: 1,
      maxTimestamp: 1,
      lastOffsetDelta: n - 1,
      records: Array.from({ length: n }, (_, i) => Record({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${offset + i}`) })),
    });
    batches.push(b.buffer);
    offset += n;
  }
  const body = Buffer.concat(batches);
  const framed = new Encoder().writeInt32(body.length).buffer;
  const records = await decodeMessages(new Decoder(Buffer.concat([framed, body])));
  assert.deepEqual(
    records.map((r: { offsetNumber: number; value: Buffer }) => [r.offsetNumber, r.value.toString()]),
    Array.from({ length: 8 }, (_, i) => [i, `v${i}`]),
  );
});

test("a fetched batch compares the records' numbers, not their strings", () => {
  const offsets = [3, 4, 5, 6];
  const messages = offsets.map((n) => ({
    offsetNumber: n,
    isControlRecord: false,
    batchContext: {},
    get offset(): string {
      throw new Error('the string was read');
    },
  }));
  const batch = new Batch('t', '5', { partition: 0, highWatermark: '0', messages, abortedTransactions: [] });
  assert.deepEqual(
    batch.messages.map((m: { offsetNumber: number }) => m.offsetNumber),
    [5, 6],
  );
});

test("messages grouped per partition: each partition's in their order; one partition's list is the one given", () => {
  const group = require('kafkajs/src/producer/groupMessagesPerPartition');
  const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
  const byKey = ({ message }: { message: { key: string } }) => Number(message.key);
  const same = Array.from({ length: 5 }, (_, i) => ({ key: '2', value: String(i) }));
  const one = group({ topic: 't', partitionMetadata, messages: same, partitioner: byKey });
  assert.deepEqual(Object.keys(one), ['2']);
  assert.equal(one[2], same, 'no copy when every message goes to one partition');
  const keys = ['1', '1', '0', '1', '2', '0', '0'];
  const mixed = keys.map((key, i) => ({ key, value: String(i) }));
  const groups = group({ topic: 't', partitionMetadata, messages: mixed, partitioner: byKey });
  const values = (p: number) => (groups[p] as { value: string }[]).map((m) => Number(m.value));
  assert.deepEqual([values(0), values(1), values(2)], [[2, 5, 6], [0, 1, 3], [4]]);
  assert.deepEqual(group({ topic: 't', partitionMetadata, messages: [], partitioner: byKey }), {});
  assert.deepEqual(group({ topic: 't', partitionMetadata: [], messages: same, partitioner: byKey }), {});
});
