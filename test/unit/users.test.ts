import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { createUserNames, parsePasswd } from '../../producer/enrich/users';

const logger = pino({ level: 'silent' });

test('passwd: the first entry of a uid wins, comments and broken lines are skipped', () => {
  const names = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\ntoor:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n');
  assert.deepEqual(
    [...names],
    [
      [0, 'root'],
      [65534, 'nobody'],
    ],
  );
});

test('user names: unknown uid is "", a changed file is read again, a missing one gives ""', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-passwd-'));
  const file = path.join(dir, 'passwd');
  fs.writeFileSync(file, 'root:x:0:0::/:/bin/sh\n');
  const users = createUserNames({ passwdPath: file, checkMs: 20, logger });
  try {
    assert.equal(users.nameOf(0), 'root');
    assert.equal(users.nameOf(1000), '');
    assert.equal(users.nameOf(-1), ''); // 4294967295: the kernel's "no uid"
    fs.writeFileSync(file, 'root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    const deadline = Date.now() + 5000;
    while (users.nameOf(1000) !== 'alice' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(users.nameOf(1000), 'alice');
    fs.rmSync(file);
    while (users.nameOf(0) !== '' && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(users.nameOf(0), '');
  } finally {
    users.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
