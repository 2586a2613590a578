import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../common/errors';
import { lockStore } from '../../consumer/store/store-lock';
import { lockSpoolDir, SpoolLockedError } from '../../producer/publish/spool-dir';

const dir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ea-lock-'));

test('a directory lock: taken once, refused while a live process holds it, taken over from a dead one', async () => {
  const d = dir();
  const file = lockSpoolDir(d);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
  // Our own pid in the file (a restart that reuses the pid of the crashed owner) is taken over.
  assert.equal(lockSpoolDir(d), file);

  const live = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(file, String(live.pid));
    assert.throws(
      () => lockSpoolDir(d),
      (e: Error) => e instanceof SpoolLockedError && e.message === `spool directory ${d} is in use by process ${live.pid}`,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), String(live.pid), 'a live owner keeps its lock');
  } finally {
    live.kill('SIGKILL');
    await new Promise((resolve) => live.once('exit', resolve));
  }
  // Now dead: its lock is stale.
  assert.equal(lockSpoolDir(d), file);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));

  const s = dir();
  const live2 = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(path.join(s, 'store.lock'), String(live2.pid));
    assert.throws(
      () => lockStore(s),
      (e: Error) => e instanceof ConfigError && /store directory .* is in use by process \d+/.test(e.message),
    );
  } finally {
    live2.kill('SIGKILL');
  }
  fs.rmSync(d, { recursive: true, force: true });
  fs.rmSync(s, { recursive: true, force: true });
});
