import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { createProcessTable } from '../../producer/enrich/process-table';

const logger = pino({ level: 'silent' });
const info = (exe: string, memfd = false) => ({ exe, memfd, upper: false, comm: path.basename(exe).slice(0, 15), ppid: 1 });

/** A /proc look-alike: PID/stat with a start time in ticks, PID/exe as a symlink. */
function fakeProc(procs: Record<number, { ticks: number; exe: string; comm?: string }>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-proc-'));
  for (const [pid, p] of Object.entries(procs)) {
    fs.mkdirSync(path.join(root, pid));
    const comm = p.comm ?? 'x';
    // Fields after "(comm)": state(3) ... starttime is field 22.
    const fields = ['S', ...Array.from({ length: 18 }, (_, i) => String(i)), String(p.ticks), '0'];
    fs.writeFileSync(path.join(root, pid, 'stat'), `${pid} (${comm}) ${fields.join(' ')}\n`);
    fs.symlinkSync(p.exe, path.join(root, pid, 'exe'));
  }
  fs.mkdirSync(path.join(root, 'self'));
  return root;
}

test('seeded processes resolve only with their own start time', () => {
  const root = fakeProc({ 10: { ticks: 500, exe: '/usr/sbin/sshd', comm: 'ss h) (x' }, 11: { ticks: 7, exe: '/bin/sh' } });
  const t = createProcessTable({ procRoot: root, logger });
  assert.equal(t.seed(), 2);
  assert.equal(t.exeOf(10, 5_000_000_000n).exe, '/usr/sbin/sshd'); // 500 ticks = 5 s
  assert.equal(t.exeOf(10, 5_009_999_999n).exe, '/usr/sbin/sshd'); // same tick
  assert.equal(t.stats().hits, 2);
});

test('pid reuse: a different start time never inherits the old exe', () => {
  const root = fakeProc({ 20: { ticks: 100, exe: '/usr/bin/old' } });
  const t = createProcessTable({ procRoot: root, logger });
  t.seed();
  assert.equal(t.exeOf(20, 9_990_000_000n).exe, ''); // /proc still shows the old process: no match
  t.exec(20, 9_990_000_000n, info('/usr/bin/new'));
  assert.equal(t.exeOf(20, 9_990_000_000n).exe, '/usr/bin/new');
  assert.equal(t.exeOf(20, 1_000_000_000n).exe, '/usr/bin/old'); // the old one, looked up again in /proc
});

test('exec replaces, exit removes only the matching process', () => {
  const t = createProcessTable({ procRoot: fakeProc({}), logger });
  t.exec(30, 1_000_000_000n, info('/bin/bash'));
  t.exec(30, 1_000_000_000n, info('/usr/bin/python3'));
  assert.equal(t.exeOf(30, 1_000_000_000n).exe, '/usr/bin/python3');
  t.exit(30, 2_000_000_000n);
  assert.equal(t.size, 1);
  t.exit(30, 1_000_000_000n);
  assert.equal(t.size, 0);
});

test('a process unknown to the table is found in /proc at first use', () => {
  const root = fakeProc({});
  const t = createProcessTable({ procRoot: root, logger });
  t.seed();
  const late = fakeProc({ 40: { ticks: 300, exe: '/opt/app' } });
  fs.renameSync(path.join(late, '40'), path.join(root, '40'));
  assert.equal(t.exeOf(40, 3_000_000_000n).exe, '/opt/app');
  assert.equal(t.stats().procLookups, 1);
});

test('/proc links: " (deleted)" is dropped (the kernel says per event), memfds are recognized, a real "x (deleted)" stays', () => {
  const root = fakeProc({
    50: { ticks: 1, exe: '/memfd:payload (deleted)' },
    51: { ticks: 1, exe: '/tmp/gone/tool (deleted)' },
  });
  const named = path.join(root, 'really (deleted)'); // a file whose name ends that way, alive
  fs.writeFileSync(named, '');
  fs.mkdirSync(path.join(root, '52'));
  fs.writeFileSync(path.join(root, '52', 'stat'), `52 (x) S ${Array.from({ length: 18 }, (_, i) => i).join(' ')} 1 0\n`);
  fs.symlinkSync(named, path.join(root, '52', 'exe'));
  const t = createProcessTable({ procRoot: root, logger });
  t.seed();
  assert.deepEqual([t.exeOf(50, 10_000_000n).exe, t.exeOf(50, 10_000_000n).memfd], ['/memfd:payload', true]);
  assert.deepEqual([t.exeOf(51, 10_000_000n).exe, t.exeOf(51, 10_000_000n).memfd], ['/tmp/gone/tool', false]);
  assert.equal(t.exeOf(52, 10_000_000n).exe, named);
  t.exec(53, 1n, info('/memfd:x', true));
  assert.equal(t.exeOf(53, 1n).memfd, true);
});

test('ancestors: the parent chain from exec entries and /proc, comm and ppid refreshed by events', () => {
  // 60 (bash, older than the producer: seeded) <- 61 (sudo, exec'd) <- 62 (a fork of 61 that never exec'd: only in /proc)
  const root = fakeProc({ 60: { ticks: 1, exe: '/usr/bin/bash', comm: 'bash' } });
  const setParent = (pid: number, ppid: number) => {
    const stat = fs.readFileSync(path.join(root, String(pid), 'stat'), 'utf8').split(' ');
    stat[3] = String(ppid);
    fs.writeFileSync(path.join(root, String(pid), 'stat'), stat.join(' '));
  };
  setParent(60, 1);
  const t = createProcessTable({ procRoot: root, logger });
  t.seed();
  t.exec(61, 5n, { ...info('/usr/bin/sudo'), ppid: 60 });
  const late = fakeProc({ 62: { ticks: 9, exe: '/usr/bin/sudo', comm: 'sudo' } });
  fs.renameSync(path.join(late, '62'), path.join(root, '62'));
  setParent(62, 61);
  assert.deepEqual(t.ancestors(62), [
    { pid: 62, comm: 'sudo', exe: '/usr/bin/sudo' },
    { pid: 61, comm: 'sudo', exe: '/usr/bin/sudo' },
    { pid: 60, comm: 'bash', exe: '/usr/bin/bash' },
  ]);
  // 61 renames itself and is reparented to 1 when 60 exits: its next event says so.
  t.exeOf(61, 5n, 'worker', 1);
  assert.deepEqual(t.ancestors(61), [{ pid: 61, comm: 'worker', exe: '/usr/bin/sudo' }]);
  assert.deepEqual(t.ancestors(0), []);
});
