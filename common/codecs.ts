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

/** A codec loaded on first use: most processes use one codec or none (zstd's WebAssembly alone is 6 MiB of RSS). */
function lazy(load: () => Codec): () => Codec {
  let codec: Codec | undefined;
  return () => (codec ??= load());
}

interface Codec {
  compress(encoder: Encoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * Registers the codecs with kafkajs, each module loaded when kafkajs first asks for its codec (a
 * producer compressing with it, a consumer meeting a batch compressed with it). A producer asks
 * for its own codec at start (kafka-sender.ts), so a broken install still fails at once.
 */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  CompressionCodecs[CompressionTypes.Snappy] = lazy(() => (require('kafkajs-snappy') as () => Codec)());

  CompressionCodecs[CompressionTypes.LZ4] = lazy(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lz4 = require('lz4-napi') as { compressFrameSync(b: Buffer): Buffer; decompressFrame(b: Buffer): Promise<Buffer> };
    return {
      // Synchronous: a request's records (~0.6 MB) take ~0.5 ms, and handing them to the thread
      // pool and back cost more (pipeline-inproc.js lz4: 5.04-5.14 against 5.32-5.33 µs per event).
      compress: (encoder: Encoder) => Promise.resolve(lz4.compressFrameSync(encoder.buffer)),
      decompress: (buffer: Buffer) => lz4.decompressFrame(buffer),
    };
  });

  CompressionCodecs[CompressionTypes.ZSTD] = lazy(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zstd = require('@bokuweb/zstd-wasm') as { init(): Promise<void>; compress(b: Buffer, level?: number): Uint8Array; decompress(b: Buffer): Uint8Array };
    const ready = zstd.init();
    return {
      compress: async (encoder: Encoder) => {
        await ready;
        return Buffer.from(zstd.compress(encoder.buffer, 3));
      },
      decompress: async (buffer: Buffer) => {
        await ready;
        return Buffer.from(zstd.decompress(buffer));
      },
    };
  });
}
