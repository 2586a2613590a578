import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { memoizedDefaultPartitioner } from '../../producer/publish/partitioner';

const meta = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

test('same partition as kafkajs default (Java murmur2) for every key and partition count', () => {
  const ours = memoizedDefaultPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  for (const n of [1, 3, 7, 12]) {
    for (let i = 0; i < 200; i++) {
      const args = { topic: 't', partitionMetadata: meta(n), message: { key: Buffer.from(`host-${i}`), value: null } } as PartitionerArgs;
      assert.equal(ours(args), theirs(args));
      assert.equal(ours(args), theirs(args)); // cached answer too
    }
  }
  const explicit = { topic: 't', partitionMetadata: meta(3), message: { key: 'k', partition: 2, value: null } } as PartitionerArgs;
  assert.equal(ours(explicit), 2);
});

test('one key object reused across topics and partition counts, interleaved: always kafkajs default', () => {
  const ours = memoizedDefaultPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const keys = [Buffer.from('host-a'), Buffer.from('host-b'), 'host-c'];
  const topics = ['p.file', 'p.net', 'p.process'];
  for (let i = 0; i < 600; i++) {
    const key = keys[Math.floor(i / 3) % keys.length]; // runs of one key too
    const topic = topics[Math.floor(i / 5) % topics.length]; // runs of one topic, as in a request
    const n = [1, 3, 7, 12][Math.floor(i / 11) % 4];
    const args = { topic, partitionMetadata: meta(n), message: { key, value: null } } as PartitionerArgs;
    assert.equal(ours(args), theirs(args), `${topic} ${n} ${String(key)}`);
  }
});
