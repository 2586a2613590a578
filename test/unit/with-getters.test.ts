import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { withGetters } from '../../common/with-getters';

interface Counter {
  readonly count: number;
  readonly label: string;
  add(n: number): void;
}

function createCounter(): Counter {
  let count = 0;
  return withGetters<Counter, 'count'>({ label: 'c', add: (n) => void (count += n) }, { count: () => count });
}

test('withGetters: the getters read the live value, are enumerable own properties and cannot be assigned', () => {
  const c = createCounter();
  assert.equal(c.count, 0);
  c.add(3);
  assert.equal(c.count, 3);
  assert.deepEqual(Object.keys(c).sort(), ['add', 'count', 'label']);
  assert.deepEqual({ ...c, add: undefined }, { count: 3, label: 'c', add: undefined });
  assert.throws(() => ((c as { count: number }).count = 1), TypeError);
  assert.equal(c.count, 3);
  const other = createCounter();
  assert.equal(other.count, 0, 'each object reads its own state');
});

/**
 * What the helper is for, checked in V8 itself (a child with --allow-natives-syntax): an object
 * literal with a getter is a dictionary-mode object; the helper's objects, second ones included,
 * are fast and share one map, and so are the producer's objects it builds and asks per event
 * (publisher, registry), and the queue and clock (methods now, no getters). If a V8 release stops
 * making such literals dictionaries, the first assertion says the helper and the lint rule may go.
 */
test('withGetters: fast-mode objects where an object literal with a getter is a dictionary (V8)', () => {
  const dist = path.join(__dirname, '../..');
  const script = `
    const r = (m) => require(${JSON.stringify(dist)} + '/' + m);
    const { withGetters } = r('common/with-getters');
    const { createMessageQueue } = r('producer/publish/message-queue');
    const { createBootClock } = r('producer/enrich/clock');
    const { createSchemaRegistry } = r('schemas/registry');
    const { createPublisher } = r('producer/publish/publisher');
    const { createLogger } = r('common/logger');
    // Second objects too: each object's own closures as accessors left the second one a dictionary.
    const publisher = () => createPublisher({ send: async () => {}, logger: createLogger({ name: 't', level: 'silent' }), lingerMs: 5, batchSize: 10, maxQueued: 10 });
    const [p1, p2, r1, r2] = [publisher(), publisher(), createSchemaRegistry(), createSchemaRegistry()];
    let n = 1;
    const out = {
      literal: %HasFastProperties({ get n() { return n; }, m() {} }),
      helper: [1, 2, 3].every(() => { const o = withGetters({ m() {} }, { n: () => n }); return %HasFastProperties(o); }),
      publisher: %HasFastProperties(p1) && %HasFastProperties(p2) && %HaveSameMap(p1, p2) && p2.queued === 0 && p2.state === 'memory',
      registry: %HasFastProperties(r1) && %HasFastProperties(r2) && %HaveSameMap(r1, r2) && r2.size === r1.size && r2.size > 0,
      queue: %HasFastProperties(createMessageQueue()),
      clock: %HasFastProperties(createBootClock({ realtimeNs: () => 1n, boottimeNs: () => 1n })),
    };
    process.stdout.write(JSON.stringify(out));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' })) as Record<string, boolean>;
  assert.deepEqual(out, { literal: false, helper: true, publisher: true, registry: true, queue: true, clock: true });
});
