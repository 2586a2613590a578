/**
 * The Confluent Schema Registry wire format: magic byte 0, the writer schema's registry id as a
 * 4-byte big-endian integer, then the Avro binary body. Pure Buffer functions, no HTTP or Kafka
 * I/O, as in @kafkajs/confluent-schema-registry's wireEncoder/wireDecoder.
 */
import { DecodeError } from '../common/errors';

export const CONFLUENT_MAGIC = 0x00;
export const CONFLUENT_HEADER_SIZE = 5;

/** The 5 bytes that precede every body written with schema `id`. */
export function encodeConfluentHeader(id: number): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`schema registry id ${id} is not a 32-bit unsigned integer`);
  const out = Buffer.alloc(CONFLUENT_HEADER_SIZE);
  out[0] = CONFLUENT_MAGIC;
  out.writeUInt32BE(id, 1);
  return out;
}

/** Magic byte 0 + id + body. */
export function encodeConfluent(id: number, body: Buffer): Buffer {
  return Buffer.concat([encodeConfluentHeader(id), body]);
}

/**
 * True when the message (`buf` from `start` to `end`: a message within a fetched batch) starts as
 * the Confluent framing does (the single-object encoding starts C3 01).
 */
export function isConfluentFramed(buf: Buffer, start = 0, end = buf.length): boolean {
  return end > start && buf[start] === CONFLUENT_MAGIC;
}

/** The writer schema's registry id of the message from `start` to `end`; DecodeError if it is not Confluent-framed. */
export function readConfluentId(buf: Buffer, start = 0, end = buf.length): number {
  if (!isConfluentFramed(buf, start, end))
    throw new DecodeError(`not in the Confluent wire format (starts with ${buf.subarray(start, Math.min(start + 1, end)).toString('hex') || 'nothing'}, want 00)`);
  if (end - start < CONFLUENT_HEADER_SIZE) throw new DecodeError(`message of ${end - start} bytes is shorter than the 5-byte Confluent header`);
  return buf.readUInt32BE(start + 1);
}
