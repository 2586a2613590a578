import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LONG_MAX, longString, shortString } from '../../schemas/string-intern';
import { createSchemaRegistry } from '../../schemas/registry';
import type { FileEvent } from '../../schemas/types';
import { makeEvents } from '../bench/workload';

const utf8 = (b: Buffer): string => b.toString('utf8');

test('interned strings are the strings their bytes decode to, whatever the table held before', () => {
  // Many values through small tables: slots collide and are replaced; every answer must still be exact.
  const values: string[] = [];
  for (let i = 0; i < 5000; i++) values.push(`${i}`, `p${i % 97}`, `é${i % 13}`, `/usr/bin/tool-${i}`, `${'c'.repeat(40)}${i}`, `x`.repeat(1 + (i % LONG_MAX)));
  for (let round = 0; round < 2; round++) {
    for (const v of values) {
      const b = Buffer.from(`..${v}..`);
      const len = b.length - 4;
      const got = len <= 8 ? shortString(b, 2, len) : longString(b, 2, len);
      assert.equal(got, utf8(b.subarray(2, 2 + len)));
    }
  }
  // Invalid UTF-8 decodes as Buffer does (replacement characters).
  const bad = Buffer.from([0xff, 0xfe, 0x41]);
  assert.equal(shortString(bad, 0, 3), utf8(bad));
});

test('a recurring value is the same string object while its slot holds it', () => {
  const b1 = Buffer.from('/usr/sbin/nginx');
  const b2 = Buffer.from('xx/usr/sbin/nginx');
  const s1 = longString(b1, 0, b1.length);
  assert.equal(longString(b2, 2, b1.length), s1);
  assert.equal(shortString(Buffer.from('openat'), 0, 6), shortString(Buffer.from('..openat'), 2, 6));
});

test('decoded events keep their values: strings and longs of the process and host records', () => {
  const registry = createSchemaRegistry();
  // Each event decoded twice, with other events between: the tables are shared, the values must not be.
  const events = makeEvents(3000, 1_800_000_000_000_000_000n);
  const encoded = events.map((ev) => Buffer.from(registry.encode(ev.kind, ev.event)));
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < events.length; i++) {
      const got = registry.decode(events[i].kind, encoded[i]) as FileEvent;
      assert.deepEqual({ ...got.process }, events[i].event.process);
      assert.deepEqual({ ...got.host }, events[i].event.host);
      assert.equal(got.time_ns, events[i].event.time_ns);
    }
  }
  // Longs past the table's range (negative, 2^48 and up) are read exactly too.
  const ev = { ...events[0].event, process: { ...events[0].event.process, start_time_ns: -5n, cgroup_id: 2n ** 62n + 3n, cap_effective: 2n ** 48n } };
  const back = registry.decode('file', registry.encode('file', ev)) as FileEvent;
  assert.equal(back.process.start_time_ns, -5n);
  assert.equal(back.process.cgroup_id, 2n ** 62n + 3n);
  assert.equal(back.process.cap_effective, 2n ** 48n);
});
