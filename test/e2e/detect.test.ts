/**
 * Every rule of the default pack, end to end on the real kernel and broker: the producer captures
 * a real triggering action, `detect` raises the rule's alert for that process, prints it and
 * publishes it to <prefix>.alerts; a harmless neighbour done just before, in the same topic, stays
 * silent (events of one topic are processed in order, so its verdict is in by then).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { alertFromAvro } from '../../consumer/detect/alert-format';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { findCgroup2Root } from '../../producer/enrich/containers';
import { alertsTopic } from '../../common/topics';
import { createSchemaRegistry } from '../../schemas/registry';
import { buildC } from '../helpers/build';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, ROOT_DIR, uniquePrefix } from '../helpers/env';
import { readTopic } from '../helpers/kafka';
import { start, type Running } from '../helpers/proc';

interface AlertLine {
  rule_id: string;
  severity: string;
  message: string;
  count: number;
  events: { kind: string; process: { pid: number } }[];
}

/** Alerts printed so far (detect --output json). */
function alerts(detect: Running): AlertLine[] {
  return detect
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AlertLine);
}

const pids = (a: AlertLine): number[] => a.events.map((e) => e.process.pid);

async function waitForAlert(detect: Running, rule: string, pid: number | undefined, timeoutMs = 60000): Promise<AlertLine> {
  assert.ok(pid, `no pid for ${rule}'s trigger`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = alerts(detect).find((a) => a.rule_id === rule && pids(a).includes(pid));
    if (hit) return hit;
    if (Date.now() > deadline) {
      throw new Error(
        `no ${rule} alert for pid ${pid} within ${timeoutMs} ms; alerts: ${alerts(detect)
          .map((a) => `${a.rule_id}:${pids(a).join(',')}`)
          .join(' ')}\nstderr: ${detect.stderr().slice(-2000)}`,
      );
    }
    if (detect.child.exitCode !== null) throw new Error(`detect exited: ${detect.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function ok(r: SpawnSyncReturns<string | Buffer>, what: string): number {
  assert.equal(r.status, 0, `${what}: ${r.stderr?.toString()}`);
  return r.pid!;
}

const run = (cmd: string, args: string[]): SpawnSyncReturns<Buffer> => spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
/** A node one-liner; it exits on `done()` or after 5 s (the test's own servers cannot answer during spawnSync). */
const node = (code: string): SpawnSyncReturns<Buffer> => run(process.execPath, ['-e', `const done = () => process.exit(0); setTimeout(done, 5000); ${code}`]);
const bash = (script: string): SpawnSyncReturns<Buffer> => run('bash', ['-c', script]);
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

async function listener(t: import('node:test').TestContext): Promise<number> {
  const server = net.createServer((s) => s.on('error', () => {}).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

test('every default rule fires on its real trigger and not on a harmless neighbour', { timeout: 420000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const pack = loadRules([readRuleFile(DEFAULT_RULES)]).rules.map((r) => r.id);
  const fired = new Map<string, { trigger: number; benign: number[] }>();
  const expect = (rule: string, trigger: number, benign: number[]): void => {
    fired.set(rule, { trigger, benign });
  };
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join('/tmp', 'ea-detect-')));
  fs.chmodSync(tmp, 0o755);
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const tag = randomBytes(4).toString('hex');

  const prefix = uniquePrefix('detect');
  const producer = start(process.execPath, producerArgs(prefix, []));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const LEARNING_S = 10;
  const detect = start(process.execPath, [
    CONSUMER_CLI,
    'detect',
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--from-beginning',
    '--group',
    `${prefix}-detect`,
    '--output',
    'json',
    '--learning-period',
    `${LEARNING_S}s`,
    '--log-level',
    'info',
    '--stats-interval',
    '5',
  ]);
  t.after(() => detect.stop('SIGKILL'));
  await detect.waitForLine(/"msg":"subscribed"/, 60000, 'stderr');

  // new-outbound-destination: bash learns port `known` now, inside the learning period.
  const known = await listener(t);
  const fresh = await listener(t);
  ok(bash(`exec 3<>/dev/tcp/127.0.0.1/${known}`), 'learning connect');
  const learnedAt = Date.now();

  // Credentials.
  const b1 = ok(run('cat', ['/etc/hostname']), 'cat hostname');
  expect('cred-file-read', ok(run('cat', ['/etc/shadow']), 'cat shadow'), [b1]);
  const ssh = path.join(tmp, 'home', '.ssh');
  fs.mkdirSync(ssh, { recursive: true });
  fs.writeFileSync(path.join(ssh, 'id_ed25519'), 'PRIVATE');
  fs.writeFileSync(path.join(ssh, 'id_ed25519.pub'), 'PUBLIC');
  const b2 = ok(run('cat', [path.join(ssh, 'id_ed25519.pub')]), 'cat pub');
  expect('ssh-private-key-read', ok(run('cat', [path.join(ssh, 'id_ed25519')]), 'cat key'), [b2]);

  // System files: a unique file created and removed.
  const etcFile = `/etc/ea-audit-test-${tag}`;
  const binFile = `/usr/local/bin/ea-audit-test-${tag}`;
  t.after(() => [etcFile, binFile].forEach((f) => fs.rmSync(f, { force: true })));
  const b3 = ok(run('head', ['-c1', '/etc/hostname']), 'read etc');
  expect('write-below-etc', ok(run('touch', [etcFile]), 'touch etc'), [b3]);
  const b4 = ok(run('head', ['-c1', '/usr/bin/env']), 'read bin');
  expect('write-below-binary-dir', ok(run('touch', [binFile]), 'touch bin'), [b4]);

  // The container runtime socket (no runtime here: the connect fails, and is still an attempt).
  const connectUnix = (p: string): SpawnSyncReturns<Buffer> => node(`require('net').connect(${JSON.stringify(p)}).on('error', done).on('connect', done)`);
  const b5 = connectUnix(path.join(tmp, 'other.sock')).pid!;
  expect('container-runtime-socket', connectUnix('/run/docker.sock').pid!, [b5]);

  // Execution.
  const copy = path.join(tmp, 'true-copy');
  fs.copyFileSync('/usr/bin/true', copy);
  fs.chmodSync(copy, 0o755);
  const b6 = ok(run('/usr/bin/true', []), 'true');
  expect('exec-from-temp-dir', ok(run(copy, []), 'true from /tmp'), [b6]);
  // Fileless: the same fexecve, of a file on disk (silent) and of a memfd copy (the alert).
  const memfdExec = buildC('memfd-exec', path.join(ROOT_DIR, 'test/e2e/fixtures/memfd-exec.c'));
  const b17 = ok(run(memfdExec, ['file', '/usr/bin/true', 'true']), 'fexecve from disk');
  expect('fileless-exec', ok(run(memfdExec, ['memfd', `ea-payload-${tag}`, '/usr/bin/true', 'true']), 'fexecve of a memfd'), [b17]);
  const port = await listener(t);
  const b7 = ok(bash('echo /dev/null > /dev/null'), 'benign bash');
  expect('reverse-shell-shape', ok(bash(`exec 3<>/dev/tcp/127.0.0.1/${port}; echo hi >&3`), 'reverse shell'), [b7]);
  const cgRoot = findCgroup2Root();
  assert.ok(cgRoot, 'no cgroup2 mount');
  const cg = path.join(cgRoot, `docker-${randomBytes(32).toString('hex')}.scope`);
  fs.mkdirSync(cg);
  t.after(() => fs.rmdirSync(cg));
  const b8 = ok(bash('exec bash -c "exit 0"'), 'bash on the host');
  expect('shell-in-container', ok(bash(`echo $$ > ${cg}/cgroup.procs && exec bash -c "exit 0"`), 'bash in a container'), [b8]);

  // Privileges.
  const b9 = ok(run('setpriv', ['--reuid=0', '--regid=0', '--clear-groups', 'true']), 'setpriv to root as root');
  expect('privilege-change', ok(run('setpriv', [...NOBODY, 'true']), 'setpriv to nobody'), [b9]);
  const toRoot = path.join(tmp, 'ea-to-root');
  fs.copyFileSync(buildC('ea-to-root', path.join(ROOT_DIR, 'test/e2e/fixtures/to-root.c')), toRoot);
  fs.chmodSync(toRoot, 0o4755);
  const b10 = ok(run(toRoot, []), 'to-root as root');
  // setpriv execs the setuid binary: the pid of the alert is setpriv's.
  expect('uid-to-root', ok(run('setpriv', [...NOBODY, toRoot]), 'to-root as nobody'), [b10]);

  // Network.
  const nodeConnect = (p: number): SpawnSyncReturns<Buffer> => node(`require('net').connect(${p}, '127.0.0.1').on('connect', done).on('error', () => process.exit(1))`);
  const b11 = ok(nodeConnect(port), 'node connect');
  expect('shell-network-connection', ok(bash(`: 3<>/dev/tcp/127.0.0.1/${port}`), 'bash connect'), [b11]);
  const udp = (ip: string): SpawnSyncReturns<Buffer> => node(`const s = require('dgram').createSocket('udp4'); s.on('error', done); s.connect(80, '${ip}', done)`);
  const b12 = udp('127.0.0.1').pid!;
  expect('cloud-metadata-access', udp('169.254.169.254').pid!, [b12]);
  const scan = (ports: number[]): SpawnSyncReturns<Buffer> => bash(`for p in ${ports.join(' ')}; do : 3<>/dev/tcp/127.0.0.1/$p; done 2>/dev/null; true`);
  const closedPorts = Array.from({ length: 25 }, (_, i) => 40001 + i);
  const b13 = ok(scan(closedPorts.map(() => closedPorts[0])), 'one port 25 times');
  expect('port-scan', ok(scan(closedPorts), '25 ports'), [b13]);

  // Volume.
  const many = path.join(tmp, 'many');
  fs.mkdirSync(many);
  const files = Array.from({ length: 600 }, (_, i) => path.join(many, `f${i}`));
  files.forEach((f) => fs.writeFileSync(f, 'x'));
  const b14 = ok(
    run(
      'cat',
      files.map(() => files[0]),
    ),
    'one file 600 times',
  );
  expect('mass-file-access', ok(run('cat', files), '600 files'), [b14]);
  const denied = (n: number): SpawnSyncReturns<Buffer> => run('setpriv', [...NOBODY, 'bash', '-c', `for i in $(seq ${n}); do : < /etc/shadow; done 2>/dev/null; true`]);
  const b15 = ok(denied(10), '10 denials');
  expect('permission-denied-burst', ok(denied(30), '30 denials'), [b15]);

  // After the learning period: the learned port stays silent, a new one fires.
  await new Promise((r) => setTimeout(r, Math.max(0, learnedAt + (LEARNING_S + 1) * 1000 - Date.now())));
  const b16 = ok(bash(`exec 3<>/dev/tcp/127.0.0.1/${known}`), 'known destination');
  expect('new-outbound-destination', ok(bash(`exec 3<>/dev/tcp/127.0.0.1/${fresh}`), 'new destination'), [b16]);

  assert.deepEqual([...fired.keys()].sort(), [...pack].sort(), 'every rule of the pack has a trigger here');
  for (const [rule, { trigger }] of fired) {
    const a = await waitForAlert(detect, rule, trigger);
    assert.ok(a.message.length > 0 && a.severity, rule);
  }
  for (const [rule, { benign }] of fired) {
    const noisy = alerts(detect).filter((a) => a.rule_id === rule && pids(a).some((p) => benign.includes(p)));
    assert.deepEqual(noisy, [], `${rule} fired on its harmless neighbour`);
  }
  const scanAlert = alerts(detect).find((a) => a.rule_id === 'port-scan')!;
  assert.equal(scanAlert.count, 21, 'the scan alert fires at the 21st distinct destination');

  // Published too: the alerts topic holds the cred-file-read alert as an Avro record.
  const registry = createSchemaRegistry();
  const credPid = fired.get('cred-file-read')!.trigger;
  const values = await readTopic(
    alertsTopic(prefix),
    (vs) =>
      vs.some((v) => {
        const a = alertFromAvro(registry.decode('alert', v) as Record<string, unknown>);
        return a.rule_id === 'cred-file-read' && a.events[0].event.process.pid === credPid;
      }),
    30000,
  );
  const published = values.map((v) => alertFromAvro(registry.decode('alert', v) as Record<string, unknown>));
  const cred = published.find((a) => a.rule_id === 'cred-file-read' && a.events[0].event.process.pid === credPid)!;
  assert.equal(cred.events[0].kind, 'file');
  assert.ok(cred.events[0].kind === 'file' && cred.events[0].event.path === '/etc/shadow');
  assert.deepEqual(cred.tags, ['T1003.008', 'credential_access']);

  assert.equal(await detect.stop('SIGINT'), 0);
  const final = JSON.parse(
    detect
      .stderr()
      .split('\n')
      .find((l) => l.includes('"detect stopped"'))!,
  );
  assert.equal(final.alerts.unpublished, 0);
  assert.equal(final.alerts.published, final.alerts.raised);
  assert.equal(final.events.malformed, 0);
  assert.equal(await producer.stop('SIGINT'), 0);
});
