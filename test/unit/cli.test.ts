import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { CONSUMER_CLI, PRODUCER_CLI } from '../helpers/env';

function run(cli: string, args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20000, env: { ...process.env, EBPF_AUDIT_BROKERS: '' } });
}

test('producer: a bad flag names the problem and exits 2', () => {
  const r = run(PRODUCER_CLI, ['--ring-buffer-mb', '3']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--ring-buffer-mb must be a power of two/);
  const u = run(PRODUCER_CLI, ['--no-such-flag']);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown option '--no-such-flag'/);
});

test('consumer: bad flags and unknown commands exit 2', () => {
  const r = run(CONSUMER_CLI, ['tail', '--brokers', 'nope']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--brokers: broker "nope" is not host:port/);
  assert.equal(run(CONSUMER_CLI, ['frobnicate']).status, 2);
});

test('--help exits 0 and documents the options', () => {
  const p = run(PRODUCER_CLI, ['--help']);
  assert.equal(p.status, 0);
  assert.match(p.stdout, /--brokers <list>/);
  assert.match(p.stdout, /--topic-prefix <prefix>/);
  const c = run(CONSUMER_CLI, ['tail', '--help']);
  assert.equal(c.status, 0);
  assert.match(c.stdout, /--from-beginning/);
});

test('help piped into head: every command exits 0, no EPIPE crash', () => {
  for (const [cli, args] of [
    [PRODUCER_CLI, ['--help']],
    [CONSUMER_CLI, ['tail', '--help']],
    [CONSUMER_CLI, ['search', '--help']],
    [CONSUMER_CLI, ['detect', '--help']],
  ] as const) {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${cli}" ${args.join(' ')} | head -1`], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /EPIPE/);
  }
});
