/** Where a subscriber starts each partition, and when --until-end is reached: no broker needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPositions, type PartitionStart, type StartMode } from '../../consumer/core/input/positions';

const part = (partition: number, low: bigint, high: bigint, extra: Partial<PartitionStart> = {}): PartitionStart => ({ topic: 't', partition, low, high, ...extra });

function make(mode: StartMode, partitions: PartitionStart[]) {
  let ends = 0;
  const gaps: unknown[] = [];
  const p = createPositions({ mode, partitions, onEnd: () => ends++, onGap: (g) => gaps.push(g) });
  return { p, ends: () => ends, gaps };
}

test('--since seeks each partition to its first message at the time, or its end when none is that recent', () => {
  const { p } = make({ from: 'time', ms: 1 }, [part(0, 0n, 100n, { atTime: 40n }), part(1, 0n, 50n)]);
  assert.deepEqual(p.assigned({ t: [0, 1] }), [
    { topic: 't', partition: 0, offset: '40' },
    { topic: 't', partition: 1, offset: '50' },
  ]);
  assert.equal(p.floor('t', 0), 40n);
});

test('a batch fetched before the seek cannot be handed on twice: the floor rises past every handled offset', () => {
  const { p } = make({ from: 'time', ms: 1 }, [part(0, 0n, 100n, { atTime: 40n })]);
  p.assigned({ t: [0] });
  p.handled('t', 0, 59n);
  assert.equal(p.floor('t', 0), 60n);
  // A rebalance gives the partition back: the time applies at the first assignment only.
  assert.deepEqual(p.assigned({ t: [0] }), []);
  assert.equal(p.floor('t', 0), 60n);
});

test('committed offsets win in the default modes; without them, latest starts at the end as of start', () => {
  const latest = make({ from: 'latest' }, [part(0, 0n, 100n, { committed: 70n }), part(1, 5n, 30n)]).p;
  assert.deepEqual(latest.assigned({ t: [0, 1] }), [{ topic: 't', partition: 1, offset: '30' }]);
  assert.equal(latest.floor('t', 0), undefined);
  const earliest = make({ from: 'earliest' }, [part(0, 0n, 100n, { committed: 70n }), part(1, 5n, 30n)]).p;
  assert.deepEqual(earliest.assigned({ t: [0, 1] }), []);
});

test('stored offsets are the truth at every assignment; one older than the oldest retained message is a counted gap', () => {
  const stored = new Map([
    [0, 10n],
    [1, 2n],
  ]);
  const { p, gaps } = make({ from: 'stored', offsetOf: (_t, part) => stored.get(part) }, [part(0, 0n, 100n), part(1, 5n, 30n), part(2, 3n, 9n)]);
  assert.deepEqual(p.assigned({ t: [0, 1, 2] }), [
    { topic: 't', partition: 0, offset: '10' },
    { topic: 't', partition: 1, offset: '5' },
    { topic: 't', partition: 2, offset: '3' },
  ]);
  assert.deepEqual(gaps, [{ topic: 't', partition: 1, from: 2n, to: 5n }]);
  stored.set(0, 80n); // written meanwhile (by this process, or before a restart)
  assert.deepEqual(p.assigned({ t: [0] }), [{ topic: 't', partition: 0, offset: '80' }]);
});

test('until-end: reached when every non-empty partition is read to its end at start, once', () => {
  const { p, ends } = make({ from: 'earliest' }, [part(0, 0n, 3n), part(1, 4n, 4n), part(2, 0n, 2n, { committed: 2n })]);
  p.checkEnd();
  assert.equal(ends(), 0);
  p.handled('t', 0, 1n);
  assert.equal(p.atEnd, false);
  p.handled('t', 0, 2n);
  assert.equal(p.atEnd, true);
  assert.equal(ends(), 1);
  p.checkEnd();
  p.handled('t', 0, 5n);
  assert.equal(ends(), 1);
});

test('until-end with nothing to read ends at once', () => {
  const { p, ends } = make({ from: 'latest' }, [part(0, 0n, 3n), part(1, 0n, 0n)]);
  assert.equal(p.atEnd, true);
  p.checkEnd();
  assert.equal(ends(), 1);
  const since = make({ from: 'time', ms: 1 }, [part(0, 0n, 3n)]); // nothing that recent
  since.p.checkEnd();
  assert.equal(since.ends(), 1);
});
