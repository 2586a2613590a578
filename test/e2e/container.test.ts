/**
 * Container identity on the real kernel: a process moved into a cgroup named as docker names
 * them reports that container id (and the cgroup's id) on its events.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findCgroup2Root } from '../../producer/enrich/containers';
import { needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { findEvent } from '../helpers/kafka';
import { start } from '../helpers/proc';

test('a process in a docker-<id>.scope cgroup carries the container id', { timeout: 120000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const root = findCgroup2Root();
  assert.ok(root, 'no cgroup2 mount in /proc/mounts');
  const id = randomBytes(32).toString('hex');
  const cg = path.join(root, `docker-${id}.scope`);
  fs.mkdirSync(cg);
  t.after(() => fs.rmdirSync(cg));
  const cgroupId = fs.statSync(cg, { bigint: true }).ino;

  const prefix = uniquePrefix('container');
  const producer = start(process.execPath, producerArgs(prefix, []));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-ctr-')), 'inside.txt');
  fs.writeFileSync(file, 'x');
  const inside = spawnSync('bash', ['-c', `echo $$ > ${cg}/cgroup.procs && exec cat ${file}`], { encoding: 'utf8' });
  assert.equal(inside.stdout, 'x');
  const outside = spawnSync('cat', [file]);

  const match = (pid: number | undefined) => (ev: import('../../schemas/types').AuditEvent) => ev.kind === 'file' && ev.event.process.pid === pid && ev.event.path === file;
  const ev = await findEvent(prefix, ['file'], match(inside.pid), 30000);
  assert.equal(ev.event.process.container_id, id);
  assert.equal(ev.event.process.cgroup_id, cgroupId);
  const host = await findEvent(prefix, ['file'], match(outside.pid), 30000);
  assert.equal(host.event.process.container_id, '');
  assert.equal(await producer.stop('SIGINT'), 0);
});
