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
