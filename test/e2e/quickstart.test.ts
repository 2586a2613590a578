/**
 * Issue 17 item 6: deploy/quickstart.sh gives the producer and the tail the same connection and
 * topic options, so `--topic-prefix X` shows X's events; options only the producer knows stay
 * with it. Run on the built tree (EBPF_AUDIT_QUICKSTART_SKIP_INSTALL=1), real kernel and broker;
 * Ctrl+C (SIGINT to the process group, as a terminal sends it) stops both. Options after `--` go to
 * the tail only (a producer would refuse --kind).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKERS, needsBroker, needsRoot, ROOT_DIR, uniquePrefix } from '../helpers/env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The quieter first view the README and quickstart.sh suggest: it must parse and keep other programs' events. */
const README_FILTER = 'not proc.exepath endswith /bin/java and not proc.exepath endswith /bin/node';

test('quickstart.sh --topic-prefix X: the tail reads the topics the producer writes', { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('quickstart');
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-quickstart-')));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const marker = path.join(tmp, 'marker');
  fs.writeFileSync(marker, 'x');
  // --spool-dir and --include-comm are producer options: given to the tail, it would exit 2.
  const qs = spawn(
    path.join(ROOT_DIR, 'deploy/quickstart.sh'),
    [`--brokers=${BROKERS}`, '--topic-prefix', prefix, '--spool-dir', path.join(tmp, 'spool'), '--include-comm', 'cat', '--', '--kind', 'file', '--where', README_FILTER],
    {
      detached: true, // its own process group, like a terminal's job
      stdio: ['ignore', 'pipe', 'pipe'],
      // The tail starts after the producer: read the new topics from their start (no producer option).
      env: { ...process.env, EBPF_AUDIT_QUICKSTART_SKIP_INSTALL: '1', EBPF_AUDIT_LOG_DIR: tmp, EBPF_AUDIT_FROM_BEGINNING: 'true' },
    },
  );
  let out = '';
  let err = '';
  qs.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  qs.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => qs.once('exit', (code) => r(code)));
  t.after(() => {
    if (qs.exitCode === null) process.kill(-qs.pid!, 'SIGKILL');
  });

  const log = path.join(tmp, 'producer.log');
  for (let i = 0; i < 240 && !(fs.existsSync(log) && /"msg":"capturing"/.test(fs.readFileSync(log, 'utf8'))); i++) {
    assert.equal(qs.exitCode, null, `quickstart exited early: ${err}`);
    await sleep(250);
  }
  const cat = spawnSync('cat', [marker]);
  const line = new RegExp(`^\\[\\d+\\.\\d{9}\\] PID:${cat.pid} Exe:"/usr/bin/cat" Comm:"cat" Path: "${marker}"$`, 'm');
  for (let i = 0; i < 240 && !line.test(out); i++) {
    assert.equal(qs.exitCode, null, `quickstart exited early: ${err}`);
    await sleep(250);
  }
  assert.match(out, line, `the tail printed no line of ${prefix}; stderr: ${err}`);
  assert.ok(fs.readFileSync(path.join(ROOT_DIR, 'README.md'), 'utf8').includes(`--where '${README_FILTER}'`), 'the README suggests the filter tested here');
  assert.match(fs.readFileSync(log, 'utf8'), new RegExp(`"topics":\\{"file":"${prefix}\\.file"`), 'the producer wrote the same prefix');

  process.kill(-qs.pid!, 'SIGINT');
  assert.equal(await exited, 0, err);
  assert.match(err, /quickstart: producer stopped/);
  // What the user is looking at and how to narrow it, first; the producer's accounting at the end.
  assert.match(err, /^quickstart: every file open, connect, exec, exit and privilege change on this host, live/m);
  assert.match(err, /quickstart: the producer captured [1-9]\d* events, sent [1-9]\d* messages to Kafka, lost 0\n/);
  assert.match(fs.readFileSync(log, 'utf8'), /"msg":"detached all programs"/);
  // A first run has no log yet: counting its lines must not print the shell's error.
  assert.doesNotMatch(err, /No such file or directory/);
});
