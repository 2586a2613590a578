/**
 * --proc-root as a DaemonSet pod uses it: the host's /proc mounted at another path (here a
 * procfs mounted in a temp dir, as a hostPath volume gives /host/proc). A process that started
 * before the producer, inside a container's cgroup, gets its executable from the seeded process
 * table and its container id through <proc-root>/PID/cgroup; the boot id comes from there too.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findCgroup2Root } from '../../producer/enrich/containers';
import type { AuditEvent } from '../../schemas/types';
import { needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { findEvent } from '../helpers/kafka';
import { start } from '../helpers/proc';

test('with --proc-root on a procfs mounted elsewhere, a process that predates the producer has its exe and container id', { timeout: 120000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-hostproc-'));
  const procRoot = path.join(dir, 'proc');
  fs.mkdirSync(procRoot);
  const m = spawnSync('mount', ['-t', 'proc', 'proc', procRoot], { encoding: 'utf8' });
  assert.equal(m.status, 0, `mount -t proc: ${m.stderr}`);
  t.after(() => spawnSync('umount', ['-l', procRoot]));

  const cgRoot = findCgroup2Root();
  assert.ok(cgRoot, 'no cgroup2 mount in /proc/mounts');
  const id = randomBytes(32).toString('hex');
  const cg = path.join(cgRoot, `cri-containerd-${id}.scope`);
  fs.mkdirSync(cg);
  const file = path.join(dir, 'read-by-builtin.txt');
  fs.writeFileSync(file, 'x\n');
  // bash joins the cgroup, then waits; on "go" its builtin `read` opens the file: no exec after
  // the producer starts, so the exe can only come from the seed through --proc-root.
  const sh = spawn('bash', ['-c', `echo $$ > ${cg}/cgroup.procs && echo ready && read go && read x < ${file} && echo "done $x"`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const shExit = new Promise((r) => sh.once('exit', r));
  t.after(async () => {
    sh.kill('SIGKILL');
    await shExit;
    fs.rmdirSync(cg);
  });
  let out = '';
  const line = (want: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (out.includes(want) ? resolve() : sh.exitCode !== null ? reject(new Error(`bash exited: ${out}`)) : undefined);
      sh.stdout!.on('data', () => check());
      sh.once('exit', () => check());
      check();
    });
  sh.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await line('ready\n');
  const exe = fs.readlinkSync(`/proc/${sh.pid}/exe`);

  const prefix = uniquePrefix('proc-root');
  const producer = start(process.execPath, producerArgs(prefix, ['--proc-root', procRoot, '--host-name', 'node-e2e']));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  sh.stdin!.write('go\n');
  await line('done x\n');

  const ev = await findEvent(prefix, ['file'], (e: AuditEvent) => e.kind === 'file' && e.event.process.pid === sh.pid && e.event.path === file, 30000);
  assert.equal(ev.event.process.exe, exe);
  assert.equal(ev.event.process.container_id, id);
  assert.equal(ev.event.host.name, 'node-e2e');
  assert.equal(ev.event.host.boot_id, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  assert.equal(await producer.stop('SIGINT'), 0);
});
