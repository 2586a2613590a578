import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { ConfigError } from '../../common/errors';
import { checkProcRoot, openHostView } from '../../producer/enrich/host-view';

const logger = pino({ level: 'silent' });
const cid = 'c0ffee'.repeat(10) + 'abcd';

/**
 * A host's /proc and cgroup tree, as a container sees them when they are mounted from the host:
 * a boot id, a process that started before the producer (stat, exe), its cgroup, and `self`.
 */
function fakeHost(): { procRoot: string; mounts: string; cgroupIno: bigint } {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-host-'));
  const procRoot = path.join(top, 'proc');
  const cgroup = path.join(top, 'cgroup');
  const rel = `kubepods.slice/kubepods-pod1.slice/cri-containerd-${cid}.scope`;
  fs.mkdirSync(path.join(cgroup, rel), { recursive: true });
  fs.mkdirSync(path.join(procRoot, 'sys/kernel/random'), { recursive: true });
  fs.writeFileSync(path.join(procRoot, 'sys/kernel/random/boot_id'), 'f00dfeed-0000-4000-8000-000000000001\n');
  fs.mkdirSync(path.join(procRoot, '4242'));
  // starttime (field 22) = 700 ticks = 7 s after boot.
  fs.writeFileSync(path.join(procRoot, '4242/stat'), `4242 (nginx) S ${Array.from({ length: 18 }, (_, i) => i).join(' ')} 700 0\n`);
  fs.symlinkSync('/usr/sbin/nginx', path.join(procRoot, '4242/exe'));
  fs.writeFileSync(path.join(procRoot, '4242/cgroup'), `0::/${rel}\n`);
  fs.symlinkSync(String(process.pid), path.join(procRoot, 'self'));
  const mounts = path.join(top, 'mounts');
  fs.writeFileSync(mounts, `proc /proc proc rw 0 0\ncgroup2 ${cgroup} cgroup2 ro 0 0\n`);
  return { procRoot, mounts, cgroupIno: fs.statSync(path.join(cgroup, rel), { bigint: true }).ino };
}

test('boot id, executables and container ids all come from --proc-root', () => {
  const { procRoot, mounts, cgroupIno } = fakeHost();
  checkProcRoot(procRoot, process.pid);
  const view = openHostView({ procRoot, hostId: 'machine-1', hostName: 'node-1', logger, mounts });
  assert.equal(view.host.id, 'machine-1');
  assert.equal(view.host.name, 'node-1');
  assert.equal(view.host.boot_id, 'f00dfeed-0000-4000-8000-000000000001');
  assert.equal(view.processes.seed(), 1, 'the one process of the fake tree, nothing of the real /proc');
  assert.equal(view.processes.exeOf(4242, 7_000_000_000n).exe, '/usr/sbin/nginx');
  assert.equal(view.processes.exeOf(4242, 9_000_000_000n).exe, '', 'another start time: a reused pid');
  assert.equal(view.containers.containerOf(cgroupIno, 4242), cid);
});

test("--proc-root must be a procfs of the producer's own PID namespace", () => {
  const { procRoot } = fakeHost();
  assert.throws(
    () => checkProcRoot(procRoot, process.pid + 1),
    (e: unknown) => e instanceof ConfigError && /another PID namespace.*hostPID/.test(e.message),
  );
  assert.throws(() => checkProcRoot(path.dirname(procRoot), process.pid), /is not a proc file system/);
  checkProcRoot('/proc', process.pid); // the real one
});
