/**
 * The Debian package on a clean Debian 12 booted with systemd as init (systemd-nspawn over the
 * cached debootstrap tree): it installs from Debian's own repositories alone, its units verify
 * and score as hardened, the producer and a tail service capture a marked `cat` into the host's
 * Kafka and the journal, a detect service alerts, `systemctl stop` leaves no program loaded, an
 * upgrade keeps the edited config and the spool (whose event then reaches Kafka), and removal
 * leaves nothing attached.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BROKERS, needsBroker, needsRoot, ROOT_DIR, uniquePrefix, defaultPackCheck, producerNodeFlags } from '../helpers/env';
import { loadedProgramIds, programIdsHeldBy } from '../helpers/bpf-holders';
import { findEvent } from '../helpers/kafka';
import { startContainer, type Container } from '../helpers/nspawn';

const PRODUCER = 'ebpf-audit-producer.service';
const TAIL = 'ebpf-audit-consumer@tail.service';
const DETECT = 'ebpf-audit-consumer@detect.service';
/** Exposure scores (systemd-analyze security, 0 best .. 10 worst) the units must stay under. */
const MAX_EXPOSURE: Record<string, number> = { [PRODUCER]: 2.5, [TAIL]: 1.5, [DETECT]: 1.5 };
const CAP_MASK = ((1n << 2n) | (1n << 19n) | (1n << 38n) | (1n << 39n)).toString(16).padStart(16, '0'); // dac_read_search, sys_ptrace, perfmon, bpf

function requireTools(): void {
  for (const tool of ['systemd-nspawn', 'debootstrap', 'dpkg-deb', 'bpftool', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} missing: deploy/install.sh installs it`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

function buildPackage(version: string, out: string): string {
  return execFileSync(path.join(ROOT_DIR, 'deploy/debian/build.sh'), ['--version', version, '--out', out, '--uncompressed'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300000,
  }).trim();
}

const journal = (c: Container, unit: string): string => c.ok(`journalctl -u ${unit} -o cat --no-pager`);
const count = (s: string, re: RegExp): number => s.split('\n').filter((l) => re.test(l)).length;
const mainPid = (c: Container, unit: string): number => Number(c.ok(`systemctl show -p MainPID --value ${unit}`).trim());

/** Start units and wait until the producer (if among them) logged "capturing" once more. */
async function startUnits(c: Container, units: string[]): Promise<void> {
  const before = count(journal(c, PRODUCER), /"msg":"capturing"/);
  c.ok(`systemctl start ${units.join(' ')}`);
  if (units.includes(PRODUCER)) await until('the producer to capture', () => count(journal(c, PRODUCER), /"msg":"capturing"/) > before, 90000);
}

function statusOf(c: Container, unit: string): string {
  return fs.readFileSync(`/proc/${c.hostPid(mainPid(c, unit))}/status`, 'utf8');
}

test('the Debian package on a clean Debian 12 with systemd: install, hardened units, capture, stop, upgrade, removal', { timeout: 900000 }, async (t: TestContext) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  requireTools();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-deb-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const base = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')).version as string;
  const [v1, v2] = [`${base}+e2e.1`, `${base}+e2e.2`];
  const debs = [buildPackage(v1, out), buildPackage(v2, out)];
  const c = await startContainer('package', { boot: true });
  t.after(() => c.stop());
  for (const [i, deb] of debs.entries()) fs.copyFileSync(deb, path.join(c.root, `root/v${i + 1}.deb`));
  const prefix = uniquePrefix('package');
  // shutdown-timeout: an upgrade restarts the producer while Kafka is away; it need not wait long.
  const config = (brokers: string) => `brokers: "${brokers}"\ntopic-prefix: ${prefix}\ninclude-comm: [cat]\nshutdown-timeout: 3\n`;

  await t.test("installs from Debian 12's own repositories alone, with its own Node 20", () => {
    assert.notEqual(c.sh('command -v node').status, 0, 'a fresh Debian 12 has no Node');
    const sources = c.ok("cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -oE 'https?://[^ ]+' || true").trim().split('\n');
    assert.ok(sources.length > 0 && sources.every((u) => /\/debian\/?$/.test(u)), `only Debian's archive: ${sources.join(' ')}`);
    c.ok('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/v1.deb', 300000);
    assert.equal(c.ok("dpkg-query -W -f '${Version}' ebpf-audit"), v1);
    assert.match(c.ok('/usr/lib/ebpf-audit/node/bin/node --version'), /^v20\./);
    assert.match(c.ok('getent passwd ebpf-audit ebpf-audit-consumer'), /^ebpf-audit:.*:\/usr\/sbin\/nologin\nebpf-audit-consumer:.*:\/usr\/sbin\/nologin\n$/);
    assert.equal(c.ok('ebpf-audit-consumer detect --check'), defaultPackCheck());
  });

  await t.test('systemd-analyze verify passes and security scores every unit as hardened', (st) => {
    for (const unit of Object.keys(MAX_EXPOSURE)) {
      const verify = c.sh(`systemd-analyze verify ${unit}`);
      assert.equal(verify.status, 0, `${unit}: ${verify.stderr}`);
      assert.equal(verify.stderr.trim(), '', `${unit}: warnings`);
      const score = /Overall exposure level for \S+: (\d+\.\d+)/.exec(c.ok(`systemd-analyze security --no-pager ${unit}`));
      assert.ok(score, `${unit}: no exposure score`);
      st.diagnostic(`${unit}: exposure ${score[1]}`);
      assert.ok(Number(score[1]) <= MAX_EXPOSURE[unit], `${unit}: exposure ${score[1]} > ${MAX_EXPOSURE[unit]}`);
    }
  });

  const marker = `/var/tmp/${prefix}-first`;
  await t.test("systemctl start: a marked cat reaches Kafka and the tail service's journal; detect raises an alert", async () => {
    fs.writeFileSync(path.join(c.root, 'etc/ebpf-audit/producer.yaml'), config(BROKERS));
    for (const cmd of ['tail', 'detect'])
      fs.writeFileSync(path.join(c.root, `etc/ebpf-audit/${cmd}.yaml`), `brokers: "${BROKERS}"\ntopic-prefix: ${prefix}\nfrom-beginning: true\n`);
    await startUnits(c, [PRODUCER, TAIL, DETECT]);
    const producer = statusOf(c, PRODUCER);
    const uid = c.ok('id -u ebpf-audit').trim();
    assert.match(producer, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), 'the producer runs as ebpf-audit');
    for (const set of ['CapEff', 'CapPrm', 'CapBnd']) assert.match(producer, new RegExp(`^${set}:\\s+${CAP_MASK}$`, 'm'), `producer ${set}`);
    // The wrapper gives Node the producer's flags from its first line (the young generation's size,
    // the collector on the main thread).
    const argv = fs
      .readFileSync(`/proc/${c.hostPid(mainPid(c, PRODUCER))}/cmdline`, 'utf8')
      .split('\0')
      .filter(Boolean);
    const flags = producerNodeFlags();
    for (const flag of ['--max-semi-space-size=4', '--single-threaded-gc']) assert.ok(flags.includes(flag), `${flag} on the producer's first line: ${flags.join(' ')}`);
    assert.deepEqual(argv.slice(0, 1 + flags.length + 1), ['/usr/lib/ebpf-audit/node/bin/node', ...flags, '/usr/lib/ebpf-audit/dist/producer/cli.js']);
    const tail = statusOf(c, TAIL);
    assert.match(tail, new RegExp(`^Uid:\\s+${c.ok('id -u ebpf-audit-consumer').trim()}\\s`, 'm'));
    assert.match(tail, /^CapEff:\s+0{16}$/m);
    assert.match(tail, /^CapBnd:\s+0{16}$/m);

    c.ok(`echo marked > ${marker} && cat ${marker}`);
    const ev = await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === marker, 60000);
    assert.equal(ev.event.process.exe, '/usr/bin/cat');
    const line = new RegExp(`^\\[\\d+\\.\\d{9}\\] PID:${ev.event.process.pid} Exe:"/usr/bin/cat" Comm:"cat" Path: "${marker}"$`, 'm');
    await until("the marked line in the tail service's journal", () => line.test(journal(c, TAIL)));
    // detect under its hardened unit: the default pack's cred-file-read, in its journal and in Kafka.
    c.ok('cat /etc/shadow >/dev/null');
    await until("the alert in the detect service's journal", () => /ALERT high cred-file-read .*Comm:"cat"/.test(journal(c, DETECT)));
  });

  await t.test('systemctl stop detaches every program', async () => {
    const held = programIdsHeldBy(c.hostPid(mainPid(c, PRODUCER)));
    assert.ok(held.size >= 4, `the producer holds ${held.size} programs`);
    c.ok(`systemctl stop ${PRODUCER} ${TAIL} ${DETECT}`);
    const loaded = loadedProgramIds();
    assert.deepEqual(
      [...held].filter((id) => loaded.has(id)),
      [],
      'programs still loaded after systemctl stop',
    );
    assert.match(journal(c, PRODUCER), /"msg":"detached all programs"/);
    assert.equal(c.sh(`systemctl is-active ${PRODUCER}`).stdout.trim(), 'inactive', 'a clean stop, not a failure');
  });

  const spooled = `/var/tmp/${prefix}-spooled`;
  await t.test('an upgrade keeps the edited config and the spool, and restarts the producer', async () => {
    // Kafka away (nothing listens on port 1): the marked event waits in the spool.
    fs.writeFileSync(path.join(c.root, 'etc/ebpf-audit/producer.yaml'), config('127.0.0.1:1'));
    await startUnits(c, [PRODUCER]);
    c.ok(`echo spooled > ${spooled} && cat ${spooled}`);
    await until('the event in the spool', () => c.sh(`grep -rqF '${spooled}' /var/lib/ebpf-audit/spool`).status === 0);
    const before = mainPid(c, PRODUCER);

    c.ok('DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/v2.deb', 300000);
    assert.equal(c.ok("dpkg-query -W -f '${Version}' ebpf-audit"), v2);
    await until('the producer restarted by the upgrade', () => c.sh(`systemctl is-active ${PRODUCER}`).stdout.trim() === 'active' && mainPid(c, PRODUCER) !== before);
    assert.equal(fs.readFileSync(path.join(c.root, 'etc/ebpf-audit/producer.yaml'), 'utf8'), config('127.0.0.1:1'), 'the edited conffile is kept');
    assert.equal(c.sh(`grep -rqF '${spooled}' /var/lib/ebpf-audit/spool`).status, 0, 'the spool is kept');

    fs.writeFileSync(path.join(c.root, 'etc/ebpf-audit/producer.yaml'), config(BROKERS));
    c.ok(`systemctl restart ${PRODUCER}`);
    await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === spooled, 90000);
  });

  await t.test('removal stops the services and leaves no program attached; purge leaves no state', async () => {
    await startUnits(c, [TAIL, DETECT]);
    await until('the producer capturing', () => c.sh(`systemctl is-active ${PRODUCER}`).stdout.trim() === 'active' && /"msg":"capturing"/.test(journal(c, PRODUCER)));
    const held = programIdsHeldBy(c.hostPid(mainPid(c, PRODUCER)));
    assert.ok(held.size >= 4);
    c.ok('DEBIAN_FRONTEND=noninteractive apt-get remove -y -q ebpf-audit', 300000);
    const loaded = loadedProgramIds();
    assert.deepEqual(
      [...held].filter((id) => loaded.has(id)),
      [],
      'programs still loaded after apt-get remove',
    );
    assert.equal(c.sh("stat -c %U /proc/[0-9]* 2>/dev/null | grep -q '^ebpf-audit'").status, 1, 'no ebpf-audit process left');
    assert.equal(c.sh('test -e /usr/bin/ebpf-audit-producer').status, 1);
    assert.equal(c.sh('test -f /etc/ebpf-audit/producer.yaml').status, 0, 'remove keeps the config');
    c.ok('DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ebpf-audit', 300000);
    assert.equal(c.sh('test -e /etc/ebpf-audit || test -e /var/lib/ebpf-audit').status, 1, 'purge leaves neither config nor state');
  });
});
