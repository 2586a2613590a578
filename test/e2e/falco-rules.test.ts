/**
 * Falco's stable rules, unchanged, end to end on the real kernel and broker: one producer and one
 * `detect --no-default-rules falco_rules.yaml` for all of them. Each rule's own description says
 * what it catches; the test does that for real (a shell spawned by a process named nginx, a packet
 * socket in a cgroup named like a docker container's, a shell on a pseudo-terminal ...) and checks
 * the alert, and does a harmless neighbour just before in the same topic that must stay silent.
 * Triggers are told apart from other processes on the machine by pid or by a unique path.
 *
 * "Contact K8S API Server From Container" compares the server address with the addresses of
 * kubernetes.default.svc.cluster.local, resolved as Falco does: detect runs in a mount namespace of
 * its own where /etc/hosts names a loopback address so (the host's /etc/hosts is untouched).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { loadRules, readRuleFile } from '../../consumer/rules/loader';
import { findCgroup2Root } from '../../producer/enrich/containers';
import { buildC } from '../helpers/build';
import { BROKERS, CONSUMER_CLI, falcoRules, needsBroker, needsRoot, producerArgs, ROOT_DIR, uniquePrefix } from '../helpers/env';
import { start, type Running } from '../helpers/proc';

interface AlertLine {
  rule_id: string;
  message: string;
  events: { process: { pid: number } }[];
}
type Match = (a: AlertLine) => boolean;

/** Rules that cannot fire here, and why: their data does not exist without a container runtime. */
const CANNOT_FIRE: Record<string, RegExp> = {
  'Debugfs Launched in Privileged Container': /container\.privileged \(container runtime metadata is not collected/,
};

const K8S_API = 'kubernetes.default.svc.cluster.local';
const K8S_IP = '127.0.0.3';

const alerts = (detect: Running): AlertLine[] =>
  detect
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AlertLine);
const byPid = (pid: number | undefined): Match => {
  assert.ok(pid, 'the trigger has no pid');
  return (a) => a.events.some((e) => e.process.pid === pid);
};
const byText =
  (s: string): Match =>
  (a) =>
    a.message.includes(s);

const run = (cmd: string, args: string[]): SpawnSyncReturns<Buffer> => spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
function ok(r: SpawnSyncReturns<Buffer>, what: string): number {
  assert.equal(r.status, 0, `${what}: ${r.stderr?.toString()}`);
  return r.pid!;
}

async function listen(t: TestContext, host: string, ports: number[]): Promise<number> {
  for (const port of ports) {
    const server = net.createServer((s) => s.on('error', () => {}).end());
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, host, () => resolve(true));
    });
    if (bound) {
      t.after(() => server.close());
      return (server.address() as net.AddressInfo).port;
    }
  }
  throw new Error(`no free port on ${host} among ${ports.join(', ')}`);
}

test("Falco's stable rules, unchanged: each fires on its real trigger and not on a harmless neighbour", { timeout: 300000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const falco = falcoRules(t);
  if (!falco) return;
  const loaded = loadRules([readRuleFile(falco)]);
  const expected = new Map<string, { trigger: Match; benign: Match }>();
  const expect = (rule: string, trigger: Match, benign: Match): void => void expected.set(rule, { trigger, benign });

  // Cleanups run even when one of them fails (an after hook that throws stops the next ones).
  const cleanup = (what: string, f: () => unknown): void =>
    t.after(() => {
      try {
        f();
      } catch (err) {
        console.error(`cleanup ${what}: ${(err as Error).message}`);
      }
    });
  const tag = randomBytes(4).toString('hex');
  const dir = fs.realpathSync(fs.mkdtempSync(path.join('/tmp', `ea-falco-${tag}-`)));
  fs.chmodSync(dir, 0o755);
  const cgRoot = findCgroup2Root();
  assert.ok(cgRoot, 'no cgroup2 mount');
  const cg = path.join(cgRoot, `docker-${randomBytes(32).toString('hex')}.scope`);
  fs.mkdirSync(cg);
  /** argv run inside the "container": the process joins the cgroup, then execs (same pid). */
  const ctr = (argv: string[]): [string, string[]] => ['bash', ['-c', `echo $$ > ${cg}/cgroup.procs && exec "$@"`, '_', ...argv]];
  const copy = (from: string, name: string): string => {
    const to = path.join(dir, name);
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o755);
    return to;
  };
  const fixture = buildC('falco-triggers', path.join(ROOT_DIR, 'test/e2e/fixtures/falco-triggers.c'));

  const prefix = uniquePrefix('falco');
  const producer = start(process.execPath, producerArgs(prefix, []));
  t.after(() => producer.stop('SIGKILL'));
  cleanup('files', () => fs.rmSync(dir, { recursive: true, force: true }));
  cleanup('cgroup', () => fs.rmdirSync(cg));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const hosts = path.join(dir, 'hosts');
  fs.writeFileSync(hosts, `127.0.0.1 localhost\n::1 localhost\n${K8S_IP} ${K8S_API}\n`);
  const detect = start('unshare', [
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount --bind "$0" /etc/hosts && exec "$@"',
    hosts,
    process.execPath,
    CONSUMER_CLI,
    'detect',
    '--no-default-rules',
    falco,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--from-beginning',
    '--group',
    `${prefix}-detect`,
    '--output',
    'json',
    '--log-level',
    'info',
  ]);
  t.after(() => detect.stop('SIGKILL'));
  await detect.waitForLine(new RegExp(`"domain":"${K8S_API.replace(/\./g, '\\.')}","addresses":\\["${K8S_IP}"\\].*"name resolved for rules"`), 60000, 'stderr');
  await detect.waitForLine(/"msg":"subscribed"/, 60000, 'stderr');

  // A server process started 6 s before it reads a sensitive file; started first, awaited last.
  const nginx = copy('/usr/bin/bash', 'nginx');
  const lateReader = spawn(nginx, ['-c', 'sleep 6; exec 3</etc/shadow'], { stdio: 'ignore' });
  const lateExit = new Promise<number | null>((r) => lateReader.once('exit', r));

  // Files.
  // The shell opens a file itself first: that file event tells detect its name before cat's event,
  // whichever topic detect reads first (the shell's exec travels in another topic).
  // The rule reads proc.pname on the open: the shell's exec travels in another topic, so the
  // shell waits before its child opens (the process tree learns from execs only).
  ok(run('bash', ['-c', `sleep 2; cat ${dir}/../../etc/./hostname >/dev/null; true`]), 'traversal under a shell');
  const tTrav = ok(run('cat', [`${dir}/../../etc/hostname`]), 'traversal');
  expect('Directory traversal monitored file read', byPid(tTrav), byText('/etc/./hostname'));
  const bSens = ok(run('bash', ['-c', 'exec 3</etc/shadow']), 'a shell reads shadow');
  const tSens = ok(run('cat', ['/etc/shadow']), 'cat shadow');
  expect('Read sensitive file untrusted', byPid(tSens), byPid(bSens));
  const bTrusted = ok(run(nginx, ['-c', 'exec 3</etc/shadow']), 'nginx reads shadow at once');
  const log = path.join(dir, 'auth.log');
  const bLog = ok(run('bash', ['-c', `: >> ${log}`]), 'append to auth.log');
  const tLog = ok(run('bash', ['-c', `: > ${log}`]), 'truncate auth.log');
  expect('Clear Log Activities', byPid(tLog), byPid(bLog));

  // Processes.
  ok(run(nginx, ['-c', 'sh -c "uname -s 2>&1" >/dev/null; true']), 'nginx runs a known command');
  ok(run(nginx, ['-c', `sh -c "id ${tag}-shell" 2>/dev/null; true`]), 'nginx runs a shell');
  expect('Run shell untrusted', byText(`${tag}-shell`), (a) => a.message.includes(`parent_exepath=${nginx} `) && a.message.includes('uname -s'));
  const sshd = copy('/usr/bin/bash', 'sshd');
  ok(run(sshd, ['-c', `setpriv --reuid=0 --regid=0 --clear-groups true ${tag}-root; true`]), 'sshd runs a command as root');
  ok(run(sshd, ['-c', `setpriv --reuid=65534 --regid=65534 --clear-groups true ${tag}-nobody; true`]), 'sshd runs a command as nobody');
  expect('System user interactive', byText(`${tag}-nobody`), byText(`${tag}-root`));
  const runc = copy(fixture, 'runc');
  ok(run(...ctr([runc, 'spawn', 'bash', '-c', `: ${tag}-notty`])), 'container entrypoint without a terminal');
  ok(run(...ctr([runc, 'pty', 'bash', '-c', `: ${tag}-tty`])), 'container entrypoint with a terminal');
  expect('Terminal shell in container', byText(`${tag}-tty`), byText(`${tag}-notty`));
  const nc = copy('/usr/bin/true', 'nc');
  const bNc = ok(run(...ctr([nc, '-z', '127.0.0.1', '9'])), 'nc -z in a container');
  const tNc = ok(run(...ctr([nc, '-e', '/bin/sh', '127.0.0.1', '9'])), 'nc -e in a container');
  expect('Netcat Remote Code Execution in Container', byPid(tNc), byPid(bNc));
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const bKey = run('grep', ['-r', 'hello', empty]).pid;
  const tKey = run('grep', ['-r', 'BEGIN RSA PRIVATE', empty]).pid;
  expect('Search Private Keys or Passwords', byPid(tKey), byPid(bKey));
  const bAws = run('grep', ['-ri', 'region', empty]).pid;
  const tAws = run('grep', ['-ri', 'aws_secret_access_key', empty]).pid;
  expect('Find AWS Credentials', byPid(tAws), byPid(bAws));
  fs.writeFileSync(path.join(dir, 'junk1'), 'x');
  fs.writeFileSync(path.join(dir, 'junk2'), 'x');
  const bRm = ok(run('rm', [path.join(dir, 'junk1')]), 'rm');
  const tShred = ok(run('shred', [path.join(dir, 'junk2')]), 'shred');
  expect('Remove Bulk Data from Disk', byPid(tShred), byPid(bRm));
  const shm = `/dev/shm/ea-falco-${tag}`;
  fs.copyFileSync('/usr/bin/true', shm);
  fs.chmodSync(shm, 0o755);
  cleanup('/dev/shm', () => fs.rmSync(shm, { force: true }));
  const bShm = ok(run(copy('/usr/bin/true', 'true-copy'), []), 'run from /tmp');
  const tShm = ok(run(shm, []), 'run from /dev/shm');
  expect('Execution from /dev/shm', byPid(tShm), byPid(bShm));
  const bDisk = ok(run('/usr/bin/true', []), 'the program from disk');
  const tMemfd = ok(run(fixture, ['memfd-exec', '/usr/bin/true', 'true']), 'fexecve of a memfd');
  expect('Fileless execution via memfd_create', byPid(tMemfd), byPid(bDisk));

  // Links, sockets, modules, ptrace: the events the kernel side added for these rules.
  const bSym = ok(run('ln', ['-s', '/etc/hostname', path.join(dir, 'hostname-link')]), 'symlink to hostname');
  const tSym = ok(run('ln', ['-s', '/etc/shadow', path.join(dir, 'shadow-link')]), 'symlink to shadow');
  expect('Create Symlink Over Sensitive Files', byPid(tSym), byPid(bSym));
  const locked = path.join(dir, 'locked');
  fs.mkdirSync(locked, { mode: 0o700 });
  fs.writeFileSync(path.join(locked, 'a'), 'x');
  const bHard = ok(run('ln', [path.join(locked, 'a'), path.join(locked, 'b')]), 'hardlink to a file');
  const tHard = ok(run('ln', ['/etc/shadow', path.join(locked, 'shadow')]), 'hardlink to shadow');
  expect('Create Hardlink Over Sensitive Files', byPid(tHard), byPid(bHard));
  const bSock = ok(run(...ctr([fixture, 'socket', 'inet'])), 'inet socket in a container');
  const tSock = ok(run(...ctr([fixture, 'socket', 'packet'])), 'packet socket in a container');
  expect('Packet socket created in container', byPid(tSock), byPid(bSock));
  const port = await listen(t, '127.0.0.1', [0]);
  const bDup = ok(run(...ctr(['bash', '-c', `exec 3>${dir}/out; exec 1>&3`])), 'stdout to a file in a container');
  const tDup = ok(run(...ctr(['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; exec 1>&3; exec 0<&3`])), 'stdout to a socket in a container');
  expect('Redirect STDOUT/STDIN to Network Connection in Container', byPid(tDup), byPid(bDup));
  const bMod = ok(run(fixture, ['init-module']), 'init_module on the host');
  const tMod = ok(run(...ctr([fixture, 'init-module'])), 'init_module in a container');
  expect('Linux Kernel Module Injection Detected', byPid(tMod), byPid(bMod));
  const bAgent = ok(run(...ctr(['bash', '-c', `: > ${dir}/notify_on_release`])), 'cgroup file in a container');
  const tAgent = ok(run(...ctr(['bash', '-c', `: > ${dir}/release_agent`])), 'release_agent in a container');
  expect('Detect release_agent File Container Escapes', byPid(tAgent), byPid(bAgent));
  const target = spawn('sleep', ['60'], { stdio: 'ignore' });
  cleanup('ptrace target', () => target.kill('SIGKILL'));
  const bPeek = ok(run(fixture, ['ptrace-peek', String(target.pid)]), 'a refused ptrace request');
  const tAttach = ok(run(fixture, ['ptrace-attach', String(target.pid)]), 'PTRACE_ATTACH');
  const tMe = ok(run(fixture, ['ptrace-traceme']), 'PTRACE_TRACEME');
  expect('PTRACE attached to process', byPid(tAttach), byPid(bPeek));
  expect('PTRACE anti-debug attempt', byPid(tMe), byPid(bPeek));

  // Overlay: a binary written after the mount lives on the upper layer. Outside `dir`, so its
  // removal never meets the mount.
  const layers = fs.realpathSync(fs.mkdtempSync(path.join('/tmp', `ea-overlay-${tag}-`)));
  fs.chmodSync(layers, 0o755);
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => path.join(layers, d));
  [lower, upper, work, merged].forEach((d) => fs.mkdirSync(d));
  fs.copyFileSync('/usr/bin/true', path.join(lower, 'base-true'));
  fs.chmodSync(path.join(lower, 'base-true'), 0o755);
  ok(run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]), 'overlay mount');
  cleanup('overlay', () => {
    ok(run('umount', [merged]), 'umount');
    fs.rmSync(layers, { recursive: true, force: true });
  });
  fs.copyFileSync('/usr/bin/true', path.join(merged, 'dropped-true'));
  fs.chmodSync(path.join(merged, 'dropped-true'), 0o755);
  const bUpper = ok(run(...ctr([path.join(merged, 'base-true')])), 'image binary in a container');
  const tUpper = ok(run(...ctr([path.join(merged, 'dropped-true')])), 'dropped binary in a container');
  expect('Drop and execute new binary in container', byPid(tUpper), byPid(bUpper));

  // Network.
  const api = await listen(t, K8S_IP, [0]);
  const toApi = `exec 3<>/dev/tcp/${K8S_IP}/${api}`;
  const bApi = ok(run('bash', ['-c', toApi]), 'the API server from the host');
  const tApi = ok(run(...ctr(['bash', '-c', toApi])), 'the API server from a container');
  expect('Contact K8S API Server From Container', byPid(tApi), byPid(bApi));
  const sshPort = await listen(t, '::1', [4444, 8443, 8080, 88, 53, 80, 443]);
  const otherPort = await listen(t, '::1', [0]);
  // The rule reads proc.exe (argv[0]) on the connect, known from ssh's exec, which travels in
  // another topic: ssh waits 2 s between its exec and its connect (its config's `Match exec`), so
  // detect has read the exec by then whichever topic it reads first.
  const sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(sshConfig, 'Match exec "sleep 2"\n  BatchMode yes\n');
  const ssh = (p: number): number =>
    run('ssh', ['-F', sshConfig, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-p', String(p), '::1', 'true']).pid!;
  const bSsh = ssh(otherPort);
  const tSsh = ssh(sshPort);
  expect('Disallowed SSH Connection Non Standard Port', byPid(tSsh), byPid(bSsh));

  assert.equal(await lateExit, 0, 'the late reader');
  expect('Read sensitive file trusted after startup', byPid(lateReader.pid), byPid(bTrusted));

  // Every rule of the file is expected to fire here, or cannot (with the reason).
  const all = [...loaded.rules.map((r) => r.id), ...loaded.skipped.map((s) => s.id)];
  assert.equal(all.length, 25);
  assert.deepEqual([...expected.keys(), ...Object.keys(CANNOT_FIRE)].sort(), [...all].sort(), 'every rule has a trigger here');
  const problems: string[] = [];
  for (const s of loaded.skipped) if (!CANNOT_FIRE[s.id]?.test(s.reason)) problems.push(`"${s.id}" is skipped: ${s.reason}`);
  const waiting = [...expected].filter(([rule]) => loaded.rules.some((r) => r.id === rule));
  const deadline = Date.now() + 60000;
  while (waiting.some(([rule, { trigger }]) => !alerts(detect).some((a) => a.rule_id === rule && trigger(a))) && Date.now() < deadline) {
    if (detect.child.exitCode !== null) throw new Error(`detect exited: ${detect.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const [rule, { trigger, benign }] of waiting) {
    const mine = alerts(detect).filter((a) => a.rule_id === rule);
    if (!mine.some(trigger)) problems.push(`"${rule}" did not fire on its trigger (its alerts: ${mine.length})`);
    const noisy = mine.filter(benign);
    if (noisy.length) problems.push(`"${rule}" fired on its harmless neighbour: ${noisy[0].message}`);
  }
  assert.deepEqual(problems, []);
  assert.equal(await detect.stop('SIGINT'), 0);
  assert.equal(await producer.stop('SIGINT'), 0);
});
