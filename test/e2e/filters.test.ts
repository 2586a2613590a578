/**
 * In-kernel filters on the real kernel: what a rule excludes never reaches Kafka, and is counted
 * as filtered (not lost); a SIGHUP re-reads the filter file and the kernel follows it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';

test('comm, uid, path and result filters act in the kernel and change on SIGHUP', { timeout: 180000 }, async (t) => {
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
  fs.writeFileSync(rules, JSON.stringify({ exclude: { path: [path.dirname(skipped) + '/'], uid: [65534] } }));

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
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(kept, 0o644);
  const nobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', kept]); // an included comm, an excluded uid
  assert.equal(nobody.status, 0, String(nobody.stderr));
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
  assert.doesNotMatch(out, new RegExp(`PID:${nobody.pid} .*Path: "${kept}"`), 'an excluded uid reached Kafka');
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

test('pid rules: a few held in the filter config, more in the pid map, an exclude winning; SIGHUP moves between them', { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('filters-pid');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-filters-pid-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Three shells that open (as their own pid) each path written to their stdin.
  const shells = [0, 1, 2].map(() => spawn('bash', ['-c', 'while read -r f; do exec 3<"$f"; done'], { stdio: ['pipe', 'ignore', 'inherit'] }));
  t.after(() => shells.forEach((s) => s.kill('SIGKILL')));
  const [a, b, c] = shells.map((s) => s.pid!);
  const openAll = (name: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, name);
    for (const s of shells) s.stdin!.write(`${f}\n`);
    return f;
  };
  const rules = path.join(dir, 'rules.json');
  fs.writeFileSync(rules, '{}');
  // Phase 1: one pid rule (held in filter_cfg).
  const producer = start(process.execPath, producerArgs(prefix, ['--include-pid', String(a), '--filter-file', rules]));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning']);
  t.after(() => tail.stop('SIGKILL'));
  const f1 = openAll('one.txt');
  await tail.waitForLine(new RegExp(`PID:${a} .*Path: "${f1}"$`), 60000);

  // Phase 2: ten pid rules (more than the config holds: the pid_rules map).
  const absent = Array.from({ length: 8 }, (_, k) => 0x7ffffff0 + k); // above any pid_max
  fs.writeFileSync(rules, JSON.stringify({ include: { pid: [b, ...absent] } }));
  producer.child.kill('SIGHUP');
  await producer.waitForLine(new RegExp(`"pid":\\[${a},${b},`), 30000, 'stderr');
  const f2 = openAll('two.txt');
  await tail.waitForLine(new RegExp(`PID:${a} .*Path: "${f2}"$`), 60000);
  await tail.waitForLine(new RegExp(`PID:${b} .*Path: "${f2}"$`), 60000);

  // Phase 3: back to a few, one of them excluded (the exclude wins over the flag's include).
  fs.writeFileSync(rules, JSON.stringify({ include: { pid: [b] }, exclude: { pid: [a] } }));
  producer.child.kill('SIGHUP');
  await producer.waitForLine(new RegExp(`"exclude":\\{"pid":\\[${a}\\]`), 30000, 'stderr');
  const f3 = openAll('three.txt');
  await tail.waitForLine(new RegExp(`PID:${b} .*Path: "${f3}"$`), 60000);

  assert.equal(await producer.stop('SIGINT'), 0);
  const out = tail.stdout();
  assert.doesNotMatch(out, new RegExp(`PID:${b} .*Path: "${f1}"`), 'a pid outside --include-pid reached Kafka (config-held rules)');
  assert.doesNotMatch(out, new RegExp(`PID:${c} `), 'a pid never included reached Kafka');
  assert.doesNotMatch(out, new RegExp(`PID:${a} .*Path: "${f3}"`), 'an excluded pid reached Kafka');
  assert.equal(await tail.stop('SIGINT'), 0);
});
