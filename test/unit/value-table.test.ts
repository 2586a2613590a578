/**
 * The rules' value table against the obvious models: a Map of value -> last seen, pruned by age
 * (distinct windows), through growth, pruning and shrinking, for numbers and strings; a Set with
 * deletions (first_seen's oldest tuples dropped one at a time). Also how evenly keys spread over
 * the slots, and the string keys' hash.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TablePool, ValueTable, stringKey, tableKey } from '../../consumer/rules/value-table';
import { rng } from '../helpers/rng';

test('counts what a Map of value -> last seen counts, through growth, pruning and shrinking', () => {
  const r = rng(7);
  const WINDOW = 1000;
  const w = new ValueTable(0);
  const model = new Map<number | string, number>();
  let t = 0;
  let grew = 0;
  for (let i = 0; i < 50_000; i++) {
    // Bursts of many values (the table grows past 16 slots) between quiet stretches (it shrinks).
    t += i % 5000 < 2500 ? 1 : 5;
    const span = i % 5000 < 2500 ? 900 : 20;
    const n = Math.floor(r() * span);
    const v: number | string = i % 3 === 0 ? `/srv/app/file-${n}.dat` : i % 3 === 1 ? n * 65536 + 443 : n / 8 - 7;
    w.set(tableKey(v), t);
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
  w.set(tableKey('again'), t + 2 * WINDOW);
  w.set(tableKey('again'), t + 2 * WINDOW + 1);
  w.set(tableKey(0), t + 2 * WINDOW);
  w.set(tableKey(-0), t + 2 * WINDOW);
  assert.equal(w.size, 2, '"again" once, and 0 and -0 as one value (as a Map has them)');
});

test('a value seen again is kept by its last time, not its first', () => {
  const w = new ValueTable(0);
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

test('small integers, ports and address-and-port keys spread over the slots (no long probe runs)', () => {
  for (const keys of [
    Array.from({ length: 512 }, (_, i) => i),
    Array.from({ length: 512 }, (_, i) => 1024 + 2 * i),
    Array.from({ length: 512 }, (_, i) => 0x0a000001 * 65536 + 40000 + i),
    Array.from({ length: 512 }, (_, i) => i / 4),
  ]) {
    const t = new ValueTable();
    for (const k of keys) t.set(k, 0);
    assert.equal(t.size, 512);
    // 512 keys in 1024 slots: a good spread has runs of a few slots; clustering makes runs of hundreds.
    assert.ok(t.longestRun() < 40, `longest probe run ${t.longestRun()} for keys from ${keys[0]}`);
  }
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
  assert.equal(tableKey(443), 443, 'numbers are their own key');
});

test('deleting keeps every other key findable (first_seen drops its oldest tuples one at a time)', () => {
  const r = rng(11);
  // A few keys in a table of 16 slots (probe runs often wrap around its end), then many keys.
  for (const range of [8, 3000]) {
    const set = new ValueTable();
    const model = new Set<number>();
    const draw = (): number => Math.floor(r() * range) * (r() < 0.5 ? 1 : 65536);
    for (let i = 0; i < 20_000; i++) {
      const k = draw();
      if (r() < 0.45) {
        set.delete(k);
        model.delete(k);
      } else {
        set.set(k, 0);
        model.add(k);
      }
      if (range < 100 || i % 500 === 0) {
        assert.equal(set.size, model.size, `size after ${i} steps`);
        for (const m of model) assert.ok(set.has(m), `${m} is found after ${i} steps`);
        for (let j = 0; j < 10; j++) {
          const probe = draw();
          assert.equal(set.has(probe), model.has(probe), `has(${probe}) after ${i} steps`);
        }
      }
    }
    for (const k of model) set.delete(k);
    assert.equal(set.size, 0);
    assert.equal(set.has(0), false);
  }
});

test("tables of one pool reuse each other's memory and never share it while in use", () => {
  const pool = new TablePool();
  const r = rng(5);
  const live: { t: ValueTable; model: Map<number, number> }[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Tables come and go, grow (up to 300 values: past the pooled sizes too) and shrink.
    if (live.length < 40 || r() < 0.3) live.push({ t: new ValueTable(0, pool), model: new Map() });
    const j = Math.floor(r() * live.length);
    const { t, model } = live[j];
    const n = Math.floor(r() * 12);
    for (let k = 0; k < n; k++) {
      const key = Math.floor(r() * 1200);
      t.set(key, i);
      model.set(key, i);
    }
    if (r() < 0.2) {
      t.prune(i, 50);
      for (const [k, at] of model) if (i - at > 50) model.delete(k);
    }
    if (live.length > 60) {
      const [gone] = live.splice(Math.floor(r() * live.length), 1);
      gone.t.dispose();
      gone.t.dispose(); // twice: harmless
    }
  }
  for (const { t, model } of live) {
    assert.equal(t.size, model.size);
    for (const k of model.keys()) assert.ok(t.has(k), `${k} is still in its table`);
  }
  const made = pool.bytes;
  assert.ok(made > 0, 'the small tables came from the pool');
  // As many tables again, each taken and given back: the pool makes no more memory.
  for (let i = 0; i < 5000; i++) {
    const t = new ValueTable(0, pool);
    for (let k = 0; k < 100; k++) t.set(k, 0);
    t.dispose();
  }
  assert.ok(pool.bytes <= made + 64 * 1024 * 3, `pool grew from ${made} to ${pool.bytes} bytes`);
});
