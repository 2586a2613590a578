/**
 * Kafka compression codecs beyond kafkajs's built-in gzip, registered once for producer and
 * consumers alike (a consumer must decompress whatever a producer chose):
 *   snappy: kafkajs-snappy (pure JS snappyjs);
 *   lz4:    lz4-napi frames (Kafka uses the LZ4 frame format), prebuilt binaries from npm;
 *   zstd:   @bokuweb/zstd-wasm (WebAssembly: no native build; initialized before first use).
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';

interface Encoder {
  buffer: Buffer;
}

let registered = false;

export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const SnappyCodec = require('kafkajs-snappy');
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lz4 = require('lz4-napi') as { compressFrame(b: Buffer): Promise<Buffer>; decompressFrame(b: Buffer): Promise<Buffer> };
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: (encoder: Encoder) => lz4.compressFrame(encoder.buffer),
    decompress: (buffer: Buffer) => lz4.decompressFrame(buffer),
  });

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zstd = require('@bokuweb/zstd-wasm') as { init(): Promise<void>; compress(b: Buffer, level?: number): Uint8Array; decompress(b: Buffer): Uint8Array };
  const ready = zstd.init();
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async (encoder: Encoder) => {
      await ready;
      return Buffer.from(zstd.compress(encoder.buffer, 3));
    },
    decompress: async (buffer: Buffer) => {
      await ready;
      return Buffer.from(zstd.decompress(buffer));
    },
  });
}
