/**
 * The default config files the package installs in /etc/ebpf-audit (deploy/etc/*.yaml): each is
 * accepted as shipped, and with every commented-out example key switched on, each key is one
 * its command knows and each value one it accepts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CONSUMER_CLI, DIST_DIR, PRODUCER_CLI, ROOT_DIR } from '../helpers/env';

const COMMANDS: Record<string, string[]> = {
  producer: [PRODUCER_CLI],
  tail: [CONSUMER_CLI, 'tail'],
  detect: [CONSUMER_CLI, 'detect'],
  store: [CONSUMER_CLI, 'store'],
  web: [CONSUMER_CLI, 'web'],
  topics: [path.join(DIST_DIR, 'producer/topics-cli.js'), 'create'],
};
const EXAMPLE = /^# ([a-z][a-z0-9-]*): (.*)$/;

test('every shipped config file, as shipped and with its examples switched on, is valid for its command', () => {
  const dir = path.join(ROOT_DIR, 'deploy/etc');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(
    files.sort(),
    Object.keys(COMMANDS)
      .map((c) => `${c}.yaml`)
      .sort(),
    'a config file per command, and a command for each file',
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-default-configs-'));
  try {
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const [cli, ...args] = COMMANDS[f.replace(/\.yaml$/, '')];
      const run = (file: string) =>
        spawnSync(process.execPath, [cli, ...args, '--config', file, '--print-config'], { encoding: 'utf8', timeout: 20000, env: { PATH: process.env.PATH } });
      const shipped = run(path.join(dir, f));
      assert.equal(shipped.status, 0, `${f} as shipped: ${shipped.stderr}`);
      const examples = text.split('\n').filter((l) => EXAMPLE.test(l));
      assert.ok(examples.length >= 4, `${f}: documents its main keys`);
      const on = path.join(tmp, f);
      fs.writeFileSync(
        on,
        text
          .split('\n')
          .map((l) => l.replace(EXAMPLE, '$1: $2'))
          .join('\n'),
      );
      const r = run(on);
      assert.equal(r.status, 0, `${f} with its examples on: ${r.stderr}`);
      for (const l of examples) {
        const key = EXAMPLE.exec(l)![1];
        assert.match(r.stdout, new RegExp(`^#? ?${key}: .*# (secret, )?file `, 'm'), `${f}: ${key} taken from the file`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
