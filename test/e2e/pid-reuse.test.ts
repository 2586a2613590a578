/**
 * Pid reuse on the real kernel: two different programs run under the same pid, one after the
 * other (forced through /proc/sys/kernel/ns_last_pid); each one's events carry its own
 * executable and start time, never the other's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { AuditEvent } from '../../schemas/types';
import { needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { findEvent } from '../helpers/kafka';
import { start } from '../helpers/proc';

test('a reused pid never inherits the previous process executable', { timeout: 120000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('pidreuse');
  const producer = start(process.execPath, producerArgs(prefix, []));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-reuse-')), 'f.txt');
  fs.writeFileSync(file, 'x\n');

  // Run cat, then make the next fork get cat's pid and run head there. Another process on the
  // machine can take the pid first: try a few times.
  let pair: [number, number] | undefined;
  for (let i = 0; i < 20 && !pair; i++) {
    const first = spawnSync('cat', [file]);
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(first.pid! - 1));
    const second = spawnSync('head', ['-n1', file]);
    if (second.pid === first.pid) pair = [first.pid!, second.pid!];
  }
  assert.ok(pair, 'could not get the same pid twice in 20 tries');
  const [pid] = pair;
  const byComm = (comm: string) => (ev: AuditEvent) => ev.kind === 'file' && ev.event.process.pid === pid && ev.event.path === file && ev.event.process.comm === comm;
  const cat = await findEvent(prefix, ['file'], byComm('cat'), 30000);
  const head = await findEvent(prefix, ['file'], byComm('head'), 30000);
  assert.match(cat.event.process.exe, /\/cat$/);
  assert.match(head.event.process.exe, /\/head$/);
  assert.notEqual(cat.event.process.start_time_ns, head.event.process.start_time_ns);
  assert.equal(await producer.stop('SIGINT'), 0);
});
