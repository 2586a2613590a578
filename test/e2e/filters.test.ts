/**
 * In-kernel filters on the real kernel: what a rule excludes never reaches Kafka, and is counted
 * as filtered (not lost); a SIGHUP re-reads the filter file and the kernel follows it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';

test('comm, path and result filters act in the kernel and change on SIGHUP', { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('filters');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-filters-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kept = path.join(dir, 'kept.txt');
  const skipped = path.join(dir, 'skipped', 'x.txt');
  fs.mkdirSync(path.dirname(skipped));
  fs.writeFileSync(kept, 'k');
  fs.writeFileSync(skipped, 's');
  const rules = path.join(dir, 'rules.json');
  fs.writeFileSync(rules, JSON.stringify({ exclude: { path: [path.dirname(skipped) + '/'] } }));

  const producer = start(process.execPath, producerArgs(prefix, ['--include-comm', 'cat,head', '--filter-file', rules, '--stats-interval', '1']));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning']);
  t.after(() => tail.stop('SIGKILL'));

  const cat = (f: string) => spawnSync('cat', [f], { encoding: 'utf8' });
  const c1 = cat(kept);
  const c2 = cat(skipped);
  const h1 = spawnSync('head', ['-c1', kept]); // included comm
  const sh = spawnSync('bash', ['-c', `exec 3<${kept}`]); // bash is not an included comm
  await tail.waitForLine(new RegExp(`PID:${c1.pid} .*Path: "${kept}"$`), 60000);
  await tail.waitForLine(new RegExp(`PID:${h1.pid} .*Path: "${kept}"$`), 60000);

  // SIGHUP: the file now excludes nothing and keeps only failed syscalls.
  fs.writeFileSync(rules, JSON.stringify({ result: 'failed' }));
  producer.child.kill('SIGHUP');
  await producer.waitForLine(/"result":"failed".*filters applied in the kernel/, 30000, 'stderr');
  const c3 = cat(skipped); // succeeds: filtered out now
  const c4 = cat(path.join(dir, 'missing.txt'));
  await tail.waitForLine(new RegExp(`PID:${c4.pid} .*Path: "${dir}/missing.txt" Error:ENOENT$`), 60000);

  assert.equal(await producer.stop('SIGINT'), 0);
  const out = tail.stdout();
  assert.doesNotMatch(out, new RegExp(`PID:${c2.pid} .*Path: "${skipped}"`), 'excluded path reached Kafka');
  assert.doesNotMatch(out, new RegExp(`PID:${sh.pid} `), 'a comm outside --include-comm reached Kafka');
  assert.doesNotMatch(out, new RegExp(`PID:${c3.pid} .*Path: "${skipped}"`), 'a successful open passed --only-failed rules');
  const stats = JSON.parse(
    producer
      .stderr()
      .split('\n')
      .find((l) => l.includes('"final stats"'))!,
  ).stats;
  assert.ok(stats.kernel.file.filtered > 0, 'filtered events were not counted');
  assert.equal(stats.lost, 0);
  assert.equal(await tail.stop('SIGINT'), 0);
});
