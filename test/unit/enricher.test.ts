import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawRecord, RawTask } from '../../producer/decode/decoder';
import { createEnricher } from '../../producer/enrich/enricher';
import type { ProcInfo, ProcessTable } from '../../producer/enrich/process-table';
import type { FileEvent, Process } from '../../schemas/types';
import { host } from '../helpers/samples';

const task: RawTask = Object.freeze({
  pid: 100,
  tid: 101,
  ppid: 1,
  uid: 1000,
  gid: 1000,
  euid: 1000,
  egid: 1000,
  startNs: 5_000_000_000n,
  cgroupId: 7n,
  comm: 'cat',
  exeUnlinked: false,
  capEffective: 0n,
  tty: 0,
  loginuid: 1000,
});

/** A process table, container resolver and user names the test changes between events. */
function world() {
  const entries = new Map<number, ProcInfo>([[100, { exe: '/usr/bin/cat', memfd: false, upper: false, comm: 'cat', ppid: 1 }]]);
  const containers = new Map<bigint, string>();
  const users = new Map<number, string>([[1000, 'alice']]);
  const processes = {
    exeOf: (pid: number) => entries.get(pid) ?? { exe: '', memfd: false, upper: false, comm: '', ppid: 0 },
    exec: (pid: number, _start: bigint, info: ProcInfo) => entries.set(pid, info),
    exit: () => undefined,
    ancestors: () => [],
  } as unknown as ProcessTable;
  const enricher = createEnricher({
    host,
    clock: { toWallNs: (k: bigint) => k + 1_000n } as never,
    processes,
    containers: { containerOf: (id: bigint) => containers.get(id) ?? '', stats: () => ({ scans: 0, known: 0 }) },
    users: { nameOf: (uid: number) => users.get(uid) ?? '', close: () => undefined },
  });
  const processOf = (t: RawTask, ktimeNs = 1n): Process => {
    const rec = { type: 'file', ktimeNs, truncated: false, task: t, op: 'openat', result: 3, dirfd: -100, flags: 0, mode: 0, path: '/etc/hosts' } as RawRecord;
    return (enricher.enrich(rec).event as FileEvent).process;
  };
  return { entries, containers, users, enricher, processOf };
}

test("a task's events share one frozen Process while nothing about the task changes", () => {
  const w = world();
  const p = w.processOf(task, 1n);
  assert.ok(Object.isFrozen(p));
  assert.equal(p.exe, '/usr/bin/cat');
  assert.equal(p.user_name, 'alice');
  assert.equal(p.login_user_name, 'alice');
  assert.equal(w.processOf(task, 2n), p);
  assert.equal(w.processOf(task, 3n), p);
});

test('a new Process for a new task object, an exec, a changed entry, a container or a user name learnt later', () => {
  const w = world();
  let p = w.processOf(task);
  const changes: Array<[string, () => RawTask, (q: Process) => void]> = [
    ['other task bytes (a rename)', () => Object.freeze({ ...task, comm: 'dog' }), (q) => assert.equal(q.comm, 'dog')],
    [
      'exec: a new table entry',
      () => {
        w.entries.set(100, { exe: '/usr/bin/dog', memfd: false, upper: false, comm: 'dog', ppid: 1 });
        return task;
      },
      (q) => assert.equal(q.exe, '/usr/bin/dog'),
    ],
    [
      'the entry changed in place',
      () => {
        const e = w.entries.get(100)!;
        e.exe = '/memfd:x';
        e.memfd = true;
        return task;
      },
      (q) => {
        assert.equal(q.exe, '/memfd:x');
        assert.equal(q.exe_from_memfd, true);
      },
    ],
    [
      'container found later',
      () => {
        w.containers.set(7n, 'c0ffee');
        return task;
      },
      (q) => assert.equal(q.container_id, 'c0ffee'),
    ],
    [
      'user renamed in /etc/passwd',
      () => {
        w.users.set(1000, 'bob');
        return task;
      },
      (q) => {
        assert.equal(q.user_name, 'bob');
        assert.equal(q.login_user_name, 'bob');
      },
    ],
  ];
  for (const [what, change, check] of changes) {
    const t = change();
    const q = w.processOf(t);
    assert.notEqual(q, p, what);
    check(q);
    assert.equal(w.processOf(t), q, `${what}: then shared again`);
    p = q;
  }
});

test('tasks sharing a cache slot each get their own Process', () => {
  const w = world();
  w.entries.set(200, { exe: '/usr/bin/other', memfd: false, upper: false, comm: 'other', ppid: 1 });
  const other: RawTask = Object.freeze({ ...task, pid: 200, tid: 101 + 64, comm: 'other' });
  for (let i = 0; i < 3; i++) {
    assert.equal(w.processOf(task).exe, '/usr/bin/cat');
    assert.equal(w.processOf(other).exe, '/usr/bin/other');
  }
});

test('a task that is not frozen is never answered from the cache', () => {
  const w = world();
  const open: RawTask = { ...task };
  const p = w.processOf(open);
  open.comm = 'renamed';
  const q = w.processOf(open);
  assert.notEqual(q, p);
  assert.equal(q.comm, 'renamed');
});
