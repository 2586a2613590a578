/**
 * Issue 17 item 3: on a Debian 12 without Node, and on one with Debian's own nodejs (18), the
 * quick start's installer ends with the supported runtime: the pinned Node 20 and npm from the
 * npm registry (nodejs.org is not needed), first on the PATH, running this project's commands.
 * A clean Debian 12 from the cached debootstrap tree, in a container; the repository is bound in
 * read-only, the download cache read-write (so a run after the first does not fetch 45 MB again).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { needsRoot, ROOT_DIR, defaultPackCheck } from '../helpers/env';
import { startContainer } from '../helpers/nspawn';

const NODE = 'v20.20.2';
const NPM = '10.9.9';

test("install.sh ends with Node 20 on a Debian 12 without Node, and on one with Debian's Node 18", { timeout: 600000 }, async (t) => {
  if (needsRoot(t)) return;
  if (spawnSync('sh', ['-c', 'command -v systemd-nspawn && command -v debootstrap']).status !== 0)
    throw new Error('systemd-nspawn/debootstrap missing: deploy/install.sh installs them');
  const c = await startContainer('runtime', { boot: false, bindsRo: [`${ROOT_DIR}:/src`], binds: ['/var/cache/ebpf-audit'] });
  t.after(() => c.stop());
  const versions = (): string => c.ok('echo "$(command -v node) $(node --version) $(npm --version)"').trim();

  await t.test('no Node at all', () => {
    assert.notEqual(c.sh('command -v node').status, 0);
    c.ok('/src/deploy/install.sh --runtime-only', 300000);
    assert.equal(versions(), `/usr/local/bin/node ${NODE} ${NPM}`);
    // The project's own commands run on it (native addons included: ffi-rs, lz4, crc32).
    assert.equal(c.ok('node /src/dist/consumer/cli.js detect --check'), defaultPackCheck());
    assert.match(c.ok("node -e \"require('/src/node_modules/ffi-rs'); require('/src/node_modules/@node-rs/crc32'); console.log('addons ok')\""), /addons ok/);
  });

  await t.test("Debian's nodejs 18 installed first", () => {
    c.ok('rm -rf /usr/local/bin/node /usr/local/bin/npm /usr/local/bin/npx /usr/local/lib/ebpf-audit-node');
    c.ok('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >/dev/null', 300000);
    assert.match(c.ok('/usr/bin/node --version'), /^v18\./);
    const r = c.sh('/src/deploy/install.sh --runtime-only', 300000);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Node v18\.\S+ on the PATH is too old \(20\+ needed\)/);
    assert.equal(versions(), `/usr/local/bin/node ${NODE} ${NPM}`);
    const again = c.sh('/src/deploy/install.sh --runtime-only');
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /installing Node/, 'a second run installs nothing');
  });
});
