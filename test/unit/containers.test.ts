import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { containerIdOfPath, createContainerResolver } from '../../producer/enrich/containers';

const id = 'a'.repeat(32) + '0123456789abcdef0123456789abcdef';

test('container ids from the cgroup paths runtimes create', () => {
  assert.equal(containerIdOfPath(`system.slice/docker-${id}.scope`), id);
  assert.equal(containerIdOfPath(`system.slice/cri-containerd-${id}.scope`), id);
  assert.equal(containerIdOfPath(`machine.slice/libpod-${id}.scope/container`), id);
  assert.equal(containerIdOfPath(`kubepods/besteffort/pod1234/${id}`), id);
  assert.equal(containerIdOfPath(`docker/${id}`), id);
  assert.equal(containerIdOfPath('user.slice/user-1000.slice/session-2.scope'), '');
  assert.equal(containerIdOfPath(`docker-${id.slice(1)}.scope`), ''); // 63 digits: not an id
});

test('cgroup ids (directory inodes) resolve through a cached, rate-limited scan', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-cg-'));
  const c = path.join(root, 'system.slice', `docker-${id}.scope`);
  fs.mkdirSync(c, { recursive: true });
  let clock = 0;
  const r = createContainerResolver({ root, logger: pino({ level: 'silent' }), now: () => clock });
  const ino = fs.statSync(c, { bigint: true }).ino;
  assert.equal(r.containerOf(ino), id);
  assert.equal(r.containerOf(fs.statSync(root, { bigint: true }).ino), '');
  assert.equal(r.stats().scans, 1);
  const later = path.join(root, 'system.slice', `crio-${'b'.repeat(64)}.scope`);
  fs.mkdirSync(later);
  const laterIno = fs.statSync(later, { bigint: true }).ino;
  assert.equal(r.containerOf(laterIno), ''); // unknown, but the last scan is too recent
  clock += 1000;
  assert.equal(r.containerOf(laterIno), 'b'.repeat(64)); // rescanned
  assert.equal(r.stats().scans, 2);
});

test("a cgroup created after the last scan resolves at once through the process's /proc/PID/cgroup", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-cg-'));
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-proc-'));
  let clock = 0;
  const r = createContainerResolver({ root, procRoot: proc, logger: pino({ level: 'silent' }), now: () => clock });
  assert.equal(r.containerOf(1n), ''); // a scan now: the next is a second away
  const rel = `system.slice/docker-${id}.scope`;
  fs.mkdirSync(path.join(root, rel), { recursive: true });
  const ino = fs.statSync(path.join(root, rel), { bigint: true }).ino;
  fs.mkdirSync(path.join(proc, '42'));
  fs.writeFileSync(path.join(proc, '42', 'cgroup'), `0::/${rel}\n`);
  assert.equal(r.containerOf(ino, 42), id);
  assert.equal(r.containerOf(ino), id, 'cached');
  assert.equal(r.containerOf(ino + 1n, 42), '', 'a process that moved to another cgroup is not trusted');
  assert.equal(r.stats().scans, 1);
  // Read from inside another cgroup namespace, the path climbs out of it: not trusted, scanned.
  const other = `kubepods/pod9/${'d'.repeat(64)}`;
  fs.mkdirSync(path.join(root, other), { recursive: true });
  const otherIno = fs.statSync(path.join(root, other), { bigint: true }).ino;
  fs.writeFileSync(path.join(proc, '42', 'cgroup'), `0::/../../${other}\n`);
  clock += 1000;
  assert.equal(r.containerOf(otherIno, 42), 'd'.repeat(64));
  assert.equal(r.stats().scans, 2, 'resolved by a scan of the hierarchy');
});
