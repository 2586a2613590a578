/** The schema id cache beside the spool: survives a restart, tolerates a damaged file. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileIdCache, idCacheKey } from '../../schemas/registry-id-cache';
import { quietLogger } from '../helpers/kafka';

test('ids persist across instances, keyed by registry, subject and fingerprint; a damaged file is an empty cache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-idcache-'));
  const file = path.join(dir, 'spool/ids.json');
  const k = idCacheKey('http://127.0.0.1:8081', 'ea.file-value', 'c0ffee');
  const a = fileIdCache(file, quietLogger);
  assert.equal(a.get(k), undefined);
  a.set(k, 7);
  assert.equal(fileIdCache(file, quietLogger).get(k), 7);
  assert.equal(fileIdCache(file, quietLogger).get(idCacheKey('http://other:8081', 'ea.file-value', 'c0ffee')), undefined);
  fs.writeFileSync(file, '{"torn');
  assert.equal(fileIdCache(file, quietLogger).get(k), undefined);
  fs.rmSync(dir, { recursive: true });
});
