import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { registerCodecs } from '../../common/codecs';

const loaded = (name: string): boolean => Object.keys(require.cache).some((m) => m.includes(`/node_modules/${name}/`));

test('codec modules load when kafkajs first asks for their codec, once, and then compress and decompress', async () => {
  registerCodecs();
  const modules = [
    [CompressionTypes.Snappy, 'kafkajs-snappy'],
    [CompressionTypes.LZ4, 'lz4-napi'],
    [CompressionTypes.ZSTD, '@bokuweb/zstd-wasm'],
  ] as const;
  for (const [, name] of modules) assert.equal(loaded(name), false, `${name} not loaded by registerCodecs`);
  const data = Buffer.from('ebpf-audit '.repeat(200));
  for (const [type, name] of modules) {
    const codec = CompressionCodecs[type]();
    assert.equal(loaded(name), true, `${name} loaded on first use`);
    assert.equal(CompressionCodecs[type](), codec, 'the same codec afterwards');
    const packed = await codec.compress({ buffer: data });
    assert.ok(packed.length < data.length);
    assert.deepEqual(await codec.decompress(packed), data);
  }
});
