import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rabinFingerprint } from '../../schemas/fingerprint';
import { encodeHeader, splitMessage } from '../../schemas/wire';
import { DecodeError } from '../../common/errors';

test('CRC-64-AVRO of "int" matches the Avro reference vector (0x7275d51a3f395c8f)', () => {
  assert.equal(rabinFingerprint('"int"').readBigUInt64LE(), 0x7275d51a3f395c8fn);
});

test('single-object header is C3 01 + little-endian fingerprint', () => {
  assert.deepEqual([...encodeHeader(rabinFingerprint('"int"'))], [0xc3, 0x01, 0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72]);
});

test('splitMessage rejects short and foreign messages with DecodeError', () => {
  assert.throws(() => splitMessage(Buffer.from([0xc3, 0x01, 1])), DecodeError);
  assert.throws(() => splitMessage(Buffer.from('{"json":"not avro"}')), /not Avro single-object encoded/);
  const { fingerprint, body } = splitMessage(Buffer.concat([encodeHeader(rabinFingerprint('"int"')), Buffer.from([2])]));
  assert.equal(fingerprint, '8f5c393f1ad57572');
  assert.deepEqual([...body], [2]);
});
