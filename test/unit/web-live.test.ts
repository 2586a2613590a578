/**
 * The web console's live side without a broker: the hub's bounded batches (a uniform sample of at
 * most 60 rows a tick, with counts of what arrived, matched and was left out), its filters, a
 * congested stream that skips rows instead of queueing them, the client limit; the hosts table's
 * rates and states; the alerts ring; events as the page's rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertRow, LiveBatch } from '../../consumer/web/api-types';
import { createAlertRing } from '../../consumer/web/alert-ring';
import { compileCondition } from '../../consumer/web/condition';
import { eventRow } from '../../consumer/web/event-row';
import { createHostTable } from '../../consumer/web/host-table';
import { createLiveHub, type LiveFilter } from '../../consumer/web/live-hub';
import type { AuditEvent, ProcessEvent, StatsEvent } from '../../schemas/types';
import { execEvent, fileEvent, host, netEvent, statsEvent } from '../helpers/samples';

const ALL: LiveFilter = { kinds: new Set(['file', 'net', 'process']), hosts: new Set(), events: true };
const file = (i: number, path = `/tmp/f${i}`): AuditEvent => ({ kind: 'file', event: { ...fileEvent, time_ns: fileEvent.time_ns + BigInt(i), path } });
const next = <T>(got: { type: string; data: unknown }[], type: string): Promise<T> =>
  new Promise((resolve) => {
    const t = setInterval(() => {
      const i = got.findIndex((g) => g.type === type && (type !== 'batch' || (g.data as LiveBatch).ms > 0));
      if (i >= 0) {
        clearInterval(t);
        resolve(got.splice(i, 1)[0].data as T);
      }
    }, 5);
  });

test('a tick of 5,000 events becomes one batch of at most 60 rows, in time order, with the counts', async () => {
  const hub = createLiveHub({ maxClients: 4, tickMs: 50 });
  const got: { type: string; data: unknown }[] = [];
  hub.attach(ALL, (type, data) => (got.push({ type, data }), true));
  for (let i = 5000; i > 0; i--) hub.publish(file(i));
  const b = await next<LiveBatch>(got, 'batch');
  hub.stop();
  assert.equal(b.arrived, 5000);
  assert.equal(b.matched, 5000);
  assert.equal(b.rows.length, 60);
  assert.equal(b.sampled, 4940);
  const times = b.rows.map((r) => BigInt(r.time));
  assert.deepEqual(
    times,
    [...times].sort((x, y) => (x < y ? -1 : 1)),
  );
  // A uniform sample, not the last 60 published (those have the smallest times here).
  assert.ok(times[times.length - 1] - times[0] > 1000n, 'the sample spans the tick');
});

test('each stream has its own filter: kinds, hosts, a condition; events:false gets alerts only', async () => {
  const hub = createLiveHub({ maxClients: 4, tickMs: 40 });
  const byCond: { type: string; data: unknown }[] = [];
  const byKind: { type: string; data: unknown }[] = [];
  const byHost: { type: string; data: unknown }[] = [];
  const alertsOnly: { type: string; data: unknown }[] = [];
  hub.attach({ ...ALL, cond: compileCondition('file.path startswith /etc') }, (type, data) => (byCond.push({ type, data }), true));
  hub.attach({ ...ALL, kinds: new Set(['net']) }, (type, data) => (byKind.push({ type, data }), true));
  hub.attach({ ...ALL, hosts: new Set(['other-host']) }, (type, data) => (byHost.push({ type, data }), true));
  hub.attach({ ...ALL, events: false }, (type, data) => (alertsOnly.push({ type, data }), true));
  hub.publish(file(1, '/etc/passwd'));
  hub.publish(file(2, '/tmp/x'));
  hub.publish({ kind: 'net', event: netEvent });
  hub.publishAlert({ rule: 'r', severity: 'high' } as AlertRow);
  const [a, b, c, d] = await Promise.all([
    next<LiveBatch>(byCond, 'batch'),
    next<LiveBatch>(byKind, 'batch'),
    next<LiveBatch>(byHost, 'batch'),
    next<LiveBatch>(alertsOnly, 'batch'),
  ]);
  hub.stop();
  assert.deepEqual(
    a.rows.map((r) => r.detail),
    ['/etc/passwd'],
  );
  assert.deepEqual(
    b.rows.map((r) => r.kind),
    ['net'],
  );
  assert.equal(c.rows.length, 0);
  assert.equal(c.arrived, 3);
  assert.equal(d.rows.length, 0);
  assert.ok(alertsOnly.some((g) => g.type === 'alert'));
});

test('a congested stream skips rows (counted as sampled) and a new stream starts with recent events', async () => {
  const hub = createLiveHub({ maxClients: 2, tickMs: 40 });
  for (let i = 1; i <= 100; i++) hub.publish(file(i));
  const got: { type: string; data: unknown }[] = [];
  let congested = true;
  hub.attach(ALL, (type, data) => {
    got.push({ type, data });
    return !congested || (data as LiveBatch).rows?.length === 0;
  });
  const backfill = got.shift()!.data as LiveBatch;
  assert.equal(backfill.rows.length, 60);
  assert.equal(backfill.rows[59].detail, '/tmp/f100');
  for (let i = 0; i < 10; i++) hub.publish(file(200 + i));
  // The refused batch is followed by one without rows that counts them.
  await next<LiveBatch>(got, 'batch');
  const counted = await next<LiveBatch>(got, 'batch');
  assert.deepEqual([counted.rows.length, counted.sampled, counted.matched], [0, 10, 10]);
  congested = false;
  assert.ok(hub.attach(ALL, () => true));
  assert.equal(
    hub.attach(ALL, () => true),
    undefined,
    'the client limit holds',
  );
  hub.stop();
});

test('hosts: rates by kind, and the stats topic makes a host lossy, silent or stopped', () => {
  let now = Number(statsEvent.time_ns / 1_000_000n);
  const hosts = createHostTable({ now: () => now });
  for (let i = 0; i < 600; i++) hosts.observe({ kind: 'file', event: { ...fileEvent, time_ns: BigInt(now) * 1_000_000n } });
  const s = (dt: number, over: Partial<StatsEvent>): StatsEvent => ({ ...statsEvent, final: false, time_ns: statsEvent.time_ns + BigInt(dt) * 1_000_000_000n, ...over });
  hosts.observeStats(s(0, {}));
  hosts.observeStats(s(10, {}));
  let row = hosts.rows()[0];
  assert.equal(row.host, host.name);
  assert.ok(row.rates.file > 0 && row.rates.net === 0);
  assert.equal(row.status, 'ok');
  assert.equal(row.statsIntervalS, 10);
  assert.deepEqual(row.kernel, { emitted: 10, ringFull: 1, stashFull: 0, truncated: 0, filtered: 2 });
  hosts.observeStats(s(20, { kernel: [{ ...statsEvent.kernel[0], ring_full: 51n }], lost: 3n }));
  row = hosts.rows()[0];
  assert.equal(row.status, 'lossy');
  assert.deepEqual(row.recentDrops, { kernel: 50, delivery: 2 });
  now += 10 * 60_000; // ten minutes without a word
  assert.equal(hosts.rows()[0].status, 'silent');
  hosts.observeStats(s(700, { final: true }));
  assert.equal(hosts.rows()[0].status, 'stopped');
});

test('the alerts ring: newest first, filtered, counted per rule, bounded', () => {
  const ring = createAlertRing(3);
  const a = (t: number, rule: string, severity = 'high'): AlertRow => ({
    time: String(t),
    rule,
    severity,
    description: '',
    message: '',
    tags: [],
    host: 'h',
    hostId: 'h1',
    count: 1,
  });
  [a(1, 'x'), a(2, 'y', 'low'), a(3, 'x'), a(4, 'x')].forEach((x) => ring.add(x));
  assert.equal(ring.size(), 3);
  const all = ring.query({ sinceNs: 0n, untilNs: 10n, severities: [], rules: [], hosts: [], limit: 2 });
  assert.deepEqual(
    all.alerts.map((x) => x.time),
    ['4', '3'],
  );
  assert.equal(all.more, true);
  assert.deepEqual(all.byRule, [
    { rule: 'x', severity: 'high', n: 2 },
    { rule: 'y', severity: 'low', n: 1 },
  ]);
  assert.deepEqual(
    ring.query({ sinceNs: 0n, untilNs: 10n, severities: ['low'], rules: [], hosts: ['h'], limit: 9 }).alerts.map((x) => x.rule),
    ['y'],
  );
});

test("events as the page's rows: the console line's fields, exact times, failures, argv, privilege changes", () => {
  const f = eventRow({ kind: 'file', event: { ...fileEvent, result: -13 } });
  assert.deepEqual([f.type, f.time, f.detail, f.error, f.start], ['openat', '1764012345123456789', '/etc/passwd', 'EACCES', '123456789000']);
  assert.equal(eventRow({ kind: 'net', event: { ...netEvent, result: -115 } }).error, '', 'EINPROGRESS is not a failure');
  assert.equal(eventRow({ kind: 'net', event: { ...netEvent, family: 'inet6', dst_ip: '::1' } }).detail, '[::1]:443');
  const x = eventRow({ kind: 'process', event: execEvent });
  assert.deepEqual([x.type, x.detail, x.args], ['exec', '/bin/cat', ['cat', '/etc/hosts']]);
  const creds = { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0, cap_effective: 0n, cap_permitted: 0n };
  const priv: ProcessEvent = { ...execEvent, kind: 'setuid', cred_change: { old: creds, new: { ...creds, uid: 65534, euid: 65534 } } };
  assert.equal(eventRow({ kind: 'process', event: priv }).detail, 'uid:0->65534 euid:0->65534');
  assert.equal(eventRow({ kind: 'process', event: { ...execEvent, kind: 'exit', signal: 9 } }).detail, 'signal 9');
  // The kinds added for Falco's rules.
  assert.equal(eventRow({ kind: 'file', event: { ...fileEvent, op: 'symlink', path: '/tmp/l', target: '/etc/shadow' } }).detail, '/tmp/l -> /etc/shadow');
  assert.equal(eventRow({ kind: 'net', event: { ...netEvent, op: 'socket', family: 'packet', protocol: '', socket_type: 'raw', socket_protocol: 768 } }).detail, 'packet raw 768');
  assert.equal(eventRow({ kind: 'net', event: { ...netEvent, op: 'dup2', fd: 3, result: 0 } }).detail, 'fd 3->0 10.0.0.5:40000->10.1.2.3:443');
  const pt = eventRow({
    kind: 'process',
    event: { ...execEvent, kind: 'ptrace', result: -1, ptrace: { request: 'PTRACE_ATTACH', request_code: 16, target_pid: 9, addr: 0n, data: 0n } },
  });
  assert.deepEqual([pt.detail, pt.error], ['PTRACE_ATTACH 9', 'EPERM']);
});
