/**
 * Avro single-object encoding: C3 01, the writer schema's 8-byte CRC-64-AVRO fingerprint
 * (little-endian), then the Avro binary body. Pure Buffer functions, no Kafka I/O.
 */
import { DecodeError } from '../common/errors';

export const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
export const HEADER_SIZE = 10;

export function encodeHeader(fingerprint: Buffer): Buffer {
  if (fingerprint.length !== 8) throw new Error('fingerprint must be 8 bytes');
  return Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprint]);
}

/** Split a message into the writer's fingerprint (hex) and the body; DecodeError if not single-object. */
export function splitMessage(buf: Buffer): { fingerprint: string; body: Buffer } {
  if (buf.length < HEADER_SIZE) throw new DecodeError(`message of ${buf.length} bytes is shorter than the 10-byte single-object header`);
  if (buf[0] !== 0xc3 || buf[1] !== 0x01) {
    throw new DecodeError(`not Avro single-object encoded (starts with ${buf.subarray(0, 2).toString('hex')}, want c301)`);
  }
  return { fingerprint: buf.toString('hex', 2, HEADER_SIZE), body: buf.subarray(HEADER_SIZE) };
}
