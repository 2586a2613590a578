import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBootClock } from '../../producer/enrich/clock';

test('boot time converts to wall time with the measured offset, and follows refresh', () => {
  let wall = 1_700_000_000_000_000_000n;
  let boot = 5_000_000_000n;
  const clock = createBootClock({ realtimeNs: () => wall, boottimeNs: () => boot });
  assert.equal(clock.toWallNs(5_000_000_000n), 1_700_000_000_000_000_000n);
  assert.equal(clock.toWallNs(6_000_000_001n), 1_700_000_001_000_000_001n);
  wall += 3_000_000_000n; // NTP stepped the wall clock 3 s forward
  boot += 0n;
  clock.refresh();
  assert.equal(clock.toWallNs(5_000_000_000n), 1_700_000_003_000_000_000n);
});

test('the tightest of the paired reads sets the offset and bounds its error', () => {
  const W = 1_000_000_000_000_000_000n; // the wall clock is this far ahead of boot time
  // Each sample: [wall before, boot, wall after] in true time. Two pairs are stretched by a stall
  // on one side (their midpoints are off); the 200 ns pair is the one to trust.
  const pairs: [bigint, bigint, bigint][] = [
    [1000n, 2000n, 3000n],
    [10_000n, 10_100n, 510_000n], // stalled after the boot read: midpoint 260 us off
    [600_000n, 600_100n, 600_200n], // the tightest
    [700_000n, 990_000n, 1_000_000n], // stalled before it
    [1_100_000n, 1_101_000n, 1_102_000n],
  ];
  const wall = pairs.flatMap(([a, , c]) => [a + W, c + W]);
  const boot = pairs.map(([, b]) => b);
  const clock = createBootClock({ realtimeNs: () => wall.shift()!, boottimeNs: () => boot.shift()!, samples: pairs.length });
  assert.equal(clock.errorNs(), 100n);
  assert.equal(clock.toWallNs(0n), W);
});
