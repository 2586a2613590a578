/**
 * The producer fixes glibc's mmap threshold at start (producer/bpf/native.ts): the binding reaches
 * libc's mallopt and glibc takes the parameter. What it buys is measured by test/bench/drain.js
 * (peak RSS; README "Memory budget"), not here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixMmapThreshold } from '../../producer/bpf/native';

test('mallopt(M_MMAP_THRESHOLD, 128 KiB) is taken', () => {
  assert.equal(fixMmapThreshold(), true);
});
