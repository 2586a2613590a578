/**
 * The distinct window's table against the obvious model (a Map of value -> last seen, pruned by
 * age): the same counts through growth, pruning and shrinking, for numbers and strings; and the
 * string keys' hash.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DistinctWindow, stringKey, valueKey } from '../../consumer/rules/distinct-window';

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('counts what a Map of value -> last seen counts, through growth, pruning and shrinking', () => {
  const r = rng(7);
  const WINDOW = 1000;
  const w = new DistinctWindow(0);
  const model = new Map<number | string, number>();
  let t = 0;
  let grew = 0;
  for (let i = 0; i < 50_000; i++) {
    // Bursts of many values (the table grows past 16 slots) between quiet stretches (it shrinks).
    t += i % 5000 < 2500 ? 1 : 5;
    const span = i % 5000 < 2500 ? 900 : 20;
    const n = Math.floor(r() * span);
    const v: number | string = i % 3 === 0 ? `/srv/app/file-${n}.dat` : i % 3 === 1 ? n * 65536 + 443 : n / 8 - 7;
    w.set(valueKey(v), t);
    model.set(v, t);
    if (i % 97 === 0) {
      w.prune(t, WINDOW);
      for (const [k, at] of model) if (t - at > WINDOW) model.delete(k);
      assert.equal(w.size, model.size, `after pruning at t=${t}`);
      grew = Math.max(grew, w.size);
    }
  }
  assert.ok(grew > 500, `the window held ${grew} values at most`);
  // Everything ages out; the table is usable after shrinking to its least size.
  w.prune(t + 2 * WINDOW, WINDOW);
  assert.equal(w.size, 0);
  w.set(valueKey('again'), t + 2 * WINDOW);
  w.set(valueKey('again'), t + 2 * WINDOW + 1);
  w.set(valueKey(0), t + 2 * WINDOW);
  w.set(valueKey(-0), t + 2 * WINDOW);
  assert.equal(w.size, 2, '"again" once, and 0 and -0 as one value (as a Map has them)');
});

test('a value seen again is kept by its last time, not its first', () => {
  const w = new DistinctWindow(0);
  w.set(1, 0);
  w.set(2, 0);
  w.set(1, 900);
  w.prune(1500, 1000);
  assert.equal(w.size, 1, '2 (last seen at 0) is gone, 1 (seen again at 900) stays');
  w.prune(1900, 1000);
  assert.equal(w.size, 1, 'exactly the window old: still in (as "older than" is strict)');
  w.prune(1901, 1000);
  assert.equal(w.size, 0);
});

test('string keys: integers below 2^53, equal for equal text, apart for near ones', () => {
  const keys = new Set<number>();
  for (let i = 0; i < 100_000; i++) {
    const k = stringKey(`/home/u/.cache/f${i}`);
    assert.ok(Number.isSafeInteger(k) && k >= 0, `${k}`);
    keys.add(k);
  }
  assert.equal(keys.size, 100_000, 'no two of 100,000 similar paths share a key');
  assert.equal(stringKey('/etc/shadow'), stringKey(['/etc', 'shadow'].join('/')));
  assert.notEqual(stringKey(''), stringKey('\u0000'));
  assert.notEqual(stringKey('ab'), stringKey('ba'));
  assert.equal(valueKey(443), 443, 'numbers are their own key');
});
