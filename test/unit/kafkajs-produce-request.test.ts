/**
 * The kafkajs patch writes a produce request whole in one buffer (encodeFramed), its batches'
 * records written once (compressed: then compressed): its bytes must be those of the encoder
 * chain it replaces (request.js over encode()), for every codec.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

/* eslint-disable @typescript-eslint/no-require-imports */
const createRequest = require('kafkajs/src/protocol/request');
const produce = require('kafkajs/src/protocol/requests/produce');
const { Types } = require('kafkajs/src/protocol/message/compression');
const Long = require('kafkajs/src/utils/long');
/* eslint-enable @typescript-eslint/no-require-imports */
import { registerCodecs } from '../../common/codecs';

registerCodecs();

type Request = { apiKey: number; apiVersion: number; encode: () => Promise<unknown>; encodeFramed?: unknown };
const bytes = async (request: Request, clientId: string | null): Promise<Buffer> => (await createRequest({ correlationId: 4242, clientId, request })).buffer as Buffer;

const shared = Object.freeze({ kind: 'file', schema: 'ab12', host: 'h1' });
const message = (size: number, timestamp: number | string | undefined) => ({ key: Buffer.from('host-1'), value: randomBytes(size), timestamp, headers: shared });

test('a produce request written in one buffer has the bytes of the encoder chain, every codec, version and shape', async () => {
  const topicData = [
    {
      topic: 'p.file',
      partitions: [
        { partition: 0, firstSequence: 0, messages: [message(200, 1764012345678), message(33, 1764012345600), message(10, 1764012345999)] },
        { partition: 3, firstSequence: 17, messages: [message(70_000, '1764012345000'), { key: null, value: null, headers: {} }, message(5, undefined)] },
      ],
    },
    { topic: 'p.n\u00e9t', partitions: [{ partition: 1, firstSequence: 2, messages: Array.from({ length: 3000 }, (_, i) => message(i % 300, 1764012345000 + i)) }] },
  ];
  const realNow = Date.now;
  Date.now = () => 1_764_012_346_000; // a message without a timestamp gets the time of encoding
  try {
    let framed = 0;
    for (const compression of [Types.None, Types.GZIP, Types.Snappy, Types.LZ4, Types.ZSTD]) {
      for (const version of [3, 5, 7]) {
        for (const transactionalId of [undefined, 'tx-\u00fc']) {
          for (const clientId of ['ebpf-audit-producer', null]) {
            const { request } = produce.protocol({ version })({
              acks: -1,
              timeout: 30000,
              compression,
              topicData,
              transactionalId,
              producerId: Long.fromValue(7),
              producerEpoch: 2,
            });
            assert.equal(typeof request.encodeFramed, 'function', `v${version}`);
            const whole = await bytes(request, clientId);
            const chain = await bytes({ ...request, encodeFramed: undefined }, clientId);
            assert.deepEqual(whole, chain, `codec ${compression} v${version} transactional ${transactionalId} client ${clientId}`);
            assert.equal(whole.readInt32BE(0), whole.length - 4);
            framed++;
          }
        }
      }
    }
    assert.equal(framed, 60);
  } finally {
    Date.now = realNow;
  }
});

test('a compressed request is compressed: the same event 3,000 times takes a fraction of its bytes uncompressed', async () => {
  const value = Buffer.from('\0\0\0\0\x01' + 'loadgen /tmp/ea-bench-q3ZkLm/target '.repeat(6));
  const messages = Array.from({ length: 3000 }, (_, i) => ({ key: Buffer.from('host-1'), value, timestamp: 1764012345000 + i, headers: shared }));
  const size = async (compression: number) => {
    const { request } = produce.protocol({ version: 7 })({ acks: -1, timeout: 30000, compression, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] });
    return (await bytes(request, 'c')).length;
  };
  const none = await size(Types.None);
  for (const codec of [Types.GZIP, Types.Snappy, Types.LZ4, Types.ZSTD]) {
    const n = await size(codec);
    assert.ok(n * 5 < none, `codec ${codec}: ${n} bytes against ${none} uncompressed`);
  }
});

test('a released request buffer serves the next request, whose bytes are its own; an undersized estimate still gives the right bytes', async () => {
  const requestOf = (topicData: unknown) =>
    produce.protocol({ version: 3 })({ acks: -1, timeout: 30000, compression: Types.None, topicData, producerId: Long.fromValue(-1), producerEpoch: 0 }).request as Request;
  const encode = async (request: Request) => createRequest({ correlationId: 4242, clientId: 'c', request });
  const realNow = Date.now;
  Date.now = () => 1_764_012_346_000;
  try {
    const first = requestOf([{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: Array.from({ length: 500 }, () => message(300, 1764012345000)) }] }]);
    const a = await encode(first);
    const firstBytes = Buffer.from(a.buffer);
    const arrayBuffer = a.buffer.buffer;
    a.release();
    assert.equal(a.buffer.length, 0, 'a released encoder shows no bytes');
    a.release(); // twice: the buffer is not pooled twice
    // Smaller: the same memory, now holding the second request's bytes only.
    const second = requestOf([{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [message(100, 1764012345001)] }] }]);
    const b = await encode(second);
    assert.equal(b.buffer.buffer, arrayBuffer, 'the pooled buffer is reused');
    assert.deepEqual(b.buffer, await bytes({ ...second, encodeFramed: undefined }, 'c'));
    // Another request while b is out gets other memory.
    const c = await encode(first);
    assert.notEqual(c.buffer.buffer, arrayBuffer);
    assert.deepEqual(c.buffer, firstBytes);
    // Strings of multi-byte characters are longer in bytes than the estimate counts: the buffer grows.
    const wide = requestOf([
      { topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: Array.from({ length: 50 }, () => ({ key: 'k', value: '\u65e5'.repeat(2000), headers: {} })) }] },
    ]);
    const w = await encode(wide);
    assert.deepEqual(w.buffer, await bytes({ ...wide, encodeFramed: undefined }, 'c'));
    for (const e of [b, c, w]) e.release();
  } finally {
    Date.now = realNow;
  }
});
