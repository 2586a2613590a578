import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as avro from 'avsc';
import { parseSchema } from '../../schemas/registry';

// The same record read by our parse (its own string reader) and by avsc's plain one.
const schema: avro.Schema = {
  type: 'record',
  name: 'S',
  fields: [
    { name: 'a', type: 'string' },
    { name: 'b', type: { type: 'array', items: 'string' } },
    { name: 'c', type: 'int' },
  ],
};
const ours = parseSchema(schema);
const plain = avro.Type.forSchema(schema);

function same(buf: Buffer): void {
  const read = (t: avro.Type): unknown => {
    try {
      const { value, offset } = t.decode(buf, 0) as { value?: { a: string; b: string[]; c: number }; offset: number };
      // As plain data: the two parses make two record classes.
      return { offset, value: value && { a: value.a, b: value.b, c: value.c } };
    } catch (err) {
      return `throws ${(err as Error).message}`;
    }
  };
  assert.deepEqual(read(ours), read(plain), buf.toString('hex'));
}

test('strings read as avsc reads them: every length up to 20, ASCII, controls, non-ASCII, invalid UTF-8', () => {
  const samples = [
    '',
    'a',
    'ab',
    'abc',
    'nginx',
    'openat',
    'www-data',
    'postgres',
    '10.0.0.1',
    '127.0.0.1',
    'x'.repeat(20),
    '\u0000\u0001\u007f',
    'é',
    'aé',
    'ééé',
    '😀',
    'abcdefg😀',
  ];
  for (const a of samples) {
    const buf = plain.toBuffer({ a, b: [a, `${a}z`, '', a.slice(1)], c: 7 });
    same(buf);
    assert.equal((ours.fromBuffer(buf) as { a: string }).a, a);
  }
  // Raw bytes, 0 to 9 of them, including ones that are not UTF-8 (read as U+FFFD, as utf8Slice does).
  for (const bytes of [
    [],
    [0x41],
    [0x80],
    [0xff, 0x41],
    [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0xc3],
    [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49],
    [0xc3, 0xa9, 0x20],
  ]) {
    same(Buffer.concat([Buffer.from([bytes.length * 2]), Buffer.from(bytes), Buffer.from([0, 14])]));
  }
});

test('strings read as avsc reads them: negative and overlong lengths, cut buffers, changed bytes', () => {
  const good = plain.toBuffer({ a: 'openat', b: ['nginx', '/usr/lib/x86_64-linux-gnu/libc.so.6', ''], c: -100 });
  for (let n = 0; n <= good.length; n++) same(good.subarray(0, n));
  for (let i = 0; i < good.length; i++) {
    for (const b of [0x00, 0x01, 0x03, 0x10, 0x7f, 0x80, 0xc3, 0xff]) {
      const m = Buffer.from(good);
      m[i] = b;
      same(m);
    }
  }
});
