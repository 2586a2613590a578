/**
 * Least privilege (issue 11 item 2), on the real kernel and broker: the producer runs as a uid
 * that is not root and has no passwd entry, with every capability dropped but the four the
 * systemd unit grants (CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE) and a 64 KiB
 * memlock limit, and captures; without each of the four, what the README says fails does fail.
 * A consumer runs with no capability at all.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, PRODUCER_CLI, uniquePrefix } from '../helpers/env';
import { loadedProgramIds, programIdsHeldBy } from '../helpers/bpf-holders';
import { findEvent } from '../helpers/kafka';
import { start, type Running } from '../helpers/proc';

/** The unit's capabilities (deploy/systemd/ebpf-audit-producer.service), as setpriv names them. */
const UNIT_CAPS = ['bpf', 'perfmon', 'dac_read_search', 'sys_ptrace'];
const CAP_BITS: Record<string, number> = { dac_read_search: 2, sys_ptrace: 19, perfmon: 38, bpf: 39 };
const UID = 64123; // no passwd entry: the producer needs none

function requireUidAndTools(): void {
  const inUse = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((l) => l.split(':')[2] === String(UID));
  if (inUse) throw new Error(`uid ${UID} exists in /etc/passwd; the test needs a uid nobody uses`);
  for (const tool of ['setpriv', 'prlimit']) if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} (util-linux) missing`);
}

function capMask(caps: string[]): string {
  return caps
    .reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n)
    .toString(16)
    .padStart(16, '0');
}

/** The producer as UID with only `caps` (inheritable, ambient and bounding), under a 64 KiB memlock limit. */
function producerWith(caps: string[], prefix: string, extra: string[] = []): { run: Running; spool: string } {
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-lp-spool-'));
  fs.chownSync(spool, UID, UID);
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  const run = start('prlimit', [
    '--memlock=65536:65536',
    'setpriv',
    `--reuid=${UID}`,
    `--regid=${UID}`,
    '--clear-groups',
    `--inh-caps=${set}`,
    `--ambient-caps=${set}`,
    `--bounding-set=${set}`,
    process.execPath,
    PRODUCER_CLI,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    prefix,
    '--spool-dir',
    spool,
    '--ring-buffer-mb',
    '32',
    ...extra,
  ]);
  return { run, spool };
}

/** A root process started before the producer that opens `file` when told to (its exe comes from /proc). */
function waitingRootProcess(dir: string, file: string): { pid: number; go: () => Promise<void> } {
  const fifo = path.join(dir, `fifo-${path.basename(file)}`);
  spawnSync('mkfifo', [fifo]);
  const child = spawn('bash', ['-c', `read _ < '${fifo}'; exec 3< '${file}'; sleep 0.2`], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid!,
    go: async () => {
      fs.writeFileSync(fifo, 'go\n');
      await exited;
    },
  };
}

function markerDir(t: TestContext): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-lp-')));
  fs.chmodSync(dir, 0o755);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("the producer captures as a non-root uid with only the unit's four capabilities and a 64 KiB memlock limit", { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  requireUidAndTools();
  const dir = markerDir(t);
  const prefix = uniquePrefix('least-priv');
  const [viaExec, viaProc] = ['cat-marker', 'bash-marker'].map((n) => path.join(dir, n));
  for (const f of [viaExec, viaProc]) fs.writeFileSync(f, 'x');
  const before = waitingRootProcess(dir, viaProc);

  const { run: producer } = producerWith(UNIT_CAPS, prefix);
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const status = fs.readFileSync(`/proc/${producer.child.pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^Uid:\\s+${UID}\\s+${UID}\\s+${UID}\\s+${UID}$`, 'm'), 'runs as the unprivileged uid');
  for (const set of ['CapEff', 'CapPrm', 'CapBnd']) assert.match(status, new RegExp(`^${set}:\\s+${capMask(UNIT_CAPS)}$`, 'm'), `${set}: exactly ${UNIT_CAPS.join(', ')}`);
  assert.match(producer.stderr(), /"ringBytes":33554432/, 'a 32 MiB ring buffer under a 64 KiB memlock limit (map memory is charged to the memory cgroup)');

  const cat = spawnSync('cat', [viaExec]);
  await before.go();
  const a = await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === viaExec && e.event.process.pid === cat.pid, 60000);
  assert.equal(a.event.process.exe, '/usr/bin/cat');
  // A root process that predates the producer: its exe comes from /proc/PID/exe (CAP_SYS_PTRACE).
  const b = await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === viaProc && e.event.process.pid === before.pid, 60000);
  assert.match(b.event.process.exe, /\/bash$/);

  // A consumer needs no privilege at all: no capability, not root.
  const tail = spawnSync(
    'setpriv',
    [
      `--reuid=${UID}`,
      `--regid=${UID}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      process.execPath,
      CONSUMER_CLI,
      'tail',
      '--brokers',
      BROKERS,
      '--topic-prefix',
      prefix,
      '--from-beginning',
      '--until-end',
      '--kind',
      'file',
      '--pid',
      String(cat.pid),
    ],
    { encoding: 'utf8', timeout: 120000 },
  );
  assert.equal(tail.status, 0, tail.stderr);
  assert.match(tail.stdout, new RegExp(`PID:${cat.pid} Exe:"/usr/bin/cat" Comm:"cat" Path: "${viaExec}"`));

  // A clean stop, without root: every program it held is gone from the kernel.
  const held = programIdsHeldBy(producer.child.pid!);
  assert.ok(held.size > 0);
  assert.equal(await producer.stop('SIGINT'), 0);
  const loaded = loadedProgramIds();
  assert.deepEqual(
    [...held].filter((id) => loaded.has(id)),
    [],
    'programs left loaded after the producer stopped',
  );
});

test('each of the four capabilities is needed: without it, what the README names fails', { timeout: 180000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  requireUidAndTools();
  const without = (cap: string) => UNIT_CAPS.filter((c) => c !== cap);
  for (const [cap, error] of [
    ['bpf', /loading .* failed: Operation not permitted/],
    ['perfmon', /loading .* failed: Operation not permitted/],
    ['dac_read_search', /cannot read \/sys\/kernel\/tracing\/events\/syscalls \(EACCES\): tracefs is mode 0700/],
  ] as const) {
    const { run } = producerWith(without(cap), uniquePrefix(`no-${cap}`));
    t.after(() => run.stop('SIGKILL'));
    assert.equal(await run.exited(), 1, `without CAP_${cap.toUpperCase()} the producer must fail`);
    assert.match(run.stderr(), error, `without CAP_${cap.toUpperCase()}`);
    assert.doesNotMatch(run.stderr(), /"msg":"capturing"/);
  }

  // Without CAP_SYS_PTRACE it captures, but cannot read /proc/PID/exe of another user's process.
  const dir = markerDir(t);
  const prefix = uniquePrefix('no-ptrace');
  const file = path.join(dir, 'bash-marker');
  fs.writeFileSync(file, 'x');
  const before = waitingRootProcess(dir, file);
  const { run } = producerWith(without('sys_ptrace'), prefix);
  t.after(() => run.stop('SIGKILL'));
  await run.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  await before.go();
  const ev = await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === file && e.event.process.pid === before.pid, 60000);
  assert.equal(ev.event.process.exe, '', 'without CAP_SYS_PTRACE the exe of a root process that predates the producer is unknown');
  assert.equal(await run.stop('SIGINT'), 0);
});
