/**
 * The producer loads its programs while signals arrive. The verifier gives up on a program with
 * EAGAIN when a signal is pending, and V8's sampling profiler signals the main thread every
 * millisecond: before the loader blocked signals around the load (withSignalsBlocked in
 * producer/bpf/native.ts), `node --cpu-prof` on the producer failed at start every time, reported as
 * missing privileges. Here it runs under the profiler with its default interval, captures, and
 * writes its profile at a clean exit.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { findEvent } from '../helpers/kafka';
import { start } from '../helpers/proc';

test('the producer under node --cpu-prof loads its programs, captures, and exits 0 with a profile', { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('loadsig');
  const dir = fs.mkdtempSync('/tmp/ea-loadsig-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const profDir = path.join(dir, 'prof');
  const producer = start(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ...producerArgs(prefix, ['--include-path', `${dir}/`, '--log-level', 'info'])]);
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');

  const marked = path.join(dir, `marked-${prefix}.txt`);
  fs.writeFileSync(marked, 'm\n');
  fs.readFileSync(marked);
  await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === marked, 60000);

  producer.child.kill('SIGINT');
  assert.equal(await producer.exited(), 0, producer.stderr().slice(-3000));
  const profiles = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  assert.equal(profiles.length, 1, `profiles written: ${profiles.join(', ')}`);
  const profile = JSON.parse(fs.readFileSync(path.join(profDir, profiles[0]), 'utf8')) as { samples: number[] };
  assert.ok(profile.samples.length > 100, `${profile.samples.length} samples`);
});
