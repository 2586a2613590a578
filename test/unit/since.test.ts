import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSince } from '../../consumer/core/input/since';

test('--since: durations back from now and ISO 8601 times', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  assert.equal(parseSince('90s', now), now - 90_000);
  assert.equal(parseSince('10m', now), now - 600_000);
  assert.equal(parseSince('2h', now), now - 7_200_000);
  assert.equal(parseSince('1d', now), now - 86_400_000);
  assert.equal(parseSince('2026-11-24T10:00:00Z', now), Date.parse('2026-11-24T10:00:00Z'));
  assert.equal(parseSince('2026-11-24T10:00:00+02:00', now), Date.parse('2026-11-24T08:00:00Z'));
  for (const bad of ['yesterday', '10', '5w', '2026-13-45T99:00:00Z']) assert.throws(() => parseSince(bad, now), /neither an ISO 8601 time/);
});
