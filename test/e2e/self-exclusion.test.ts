/**
 * Self-exclusion on the host and in a PID namespace of the producer's own (unshare --pid, as in a
 * pod without hostPID or a systemd-nspawn container), where the kernel knows it by its global
 * tgid, not by the process.pid it sees. None of its own syscalls may reach Kafka (its Kafka
 * connects, the accept of a metrics scrape, the filter file re-read on SIGHUP), no other process
 * may be excluded in its place, and a process beside it in its namespaces is still recorded.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { AuditEvent } from '../../schemas/types';
import { BROKERS, CONSUMER_CLI, PRODUCER_CLI, missing, needsBroker, needsRoot, uniquePrefix } from '../helpers/env';
import { findEvent } from '../helpers/kafka';
import { start } from '../helpers/proc';

/** The tgids in the excluded_tgid map this process holds (found through its fds: other producers may run). */
function excludedTgidsOf(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    const m = /^map_id:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    if (m) ids.add(Number(m[1]));
  }
  for (const id of ids) {
    const info = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show', 'id', String(id)], { encoding: 'utf8' })) as { name?: string };
    if (info.name !== 'excluded_tgid') continue;
    const entries = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(id)], { encoding: 'utf8' })) as { value: string[] }[];
    return entries.map((e) => Buffer.from(e.value.map((b) => parseInt(b, 16))).readUInt32LE(0)).sort((a, b) => a - b);
  }
  throw new Error(`process ${pid} holds no excluded_tgid map`);
}

const CASES = [
  { pidns: true, hooks: 'raw' },
  { pidns: true, hooks: 'tracepoint' },
  { pidns: false, hooks: 'raw' },
] as const;

for (const { pidns, hooks } of CASES) {
  const where = pidns ? 'in its own PID namespace' : "in the host's PID namespace";
  test(`a producer ${where} records nothing of its own and excludes no other process (${hooks} syscall hooks)`, { timeout: 180000 }, async (t) => {
    if (needsRoot(t) || (await needsBroker(t))) return;
    if (pidns && (spawnSync('unshare', ['--version']).error || spawnSync('nsenter', ['--version']).error)) {
      missing(t, 'unshare and nsenter (util-linux) are not installed');
      return;
    }
    const prefix = uniquePrefix('selfexcl');
    const dir = fs.mkdtempSync('/tmp/ea-selfexcl-');
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const marked = path.join(dir, `marked-${prefix}.txt`);
    fs.writeFileSync(marked, 'm\n');
    const filterFile = path.join(dir, 'filters.json');
    fs.writeFileSync(filterFile, JSON.stringify({ result: 'all' }));

    const producerCmd = [
      process.execPath,
      PRODUCER_CLI,
      '--brokers',
      BROKERS,
      '--topic-prefix',
      prefix,
      '--spool-dir',
      path.join(dir, 'spool'),
      '--include-path',
      `${dir}/`,
      '--filter-file',
      filterFile,
      '--metrics-port',
      '0',
      '--log-level',
      'info',
      '--syscall-hooks',
      hooks,
    ];
    // --kill-child: if the test dies, unshare's death takes the producer (PID 1 inside) with it.
    const producer = pidns ? start('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', ...producerCmd]) : start(producerCmd[0], producerCmd.slice(1));
    t.after(() => producer.stop('SIGKILL'));
    await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
    await producer.waitForLine(new RegExp(`"syscallHooks":"${hooks}"`), 1000, 'stderr');
    let tgid = producer.child.pid!;
    if (pidns) {
      const children = fs.readFileSync(`/proc/${tgid}/task/${tgid}/children`, 'utf8').trim().split(' ');
      assert.equal(children.length, 1, `unshare has children ${children}`);
      tgid = Number(children[0]);
    }
    // Inside its namespace the producer is PID 1: its process.pid is not the tgid the kernel reports.
    assert.match(fs.readFileSync(`/proc/${tgid}/status`, 'utf8'), new RegExp(`^NSpid:\\s+${tgid}${pidns ? '\\s+1' : ''}$`, 'm'));
    const excluded = excludedTgidsOf(tgid);

    // Its own activity while capturing: a scrape it accepts, a SIGHUP that makes it re-open the
    // filter file (inside the included directory), its Kafka traffic throughout.
    const url = JSON.parse(await producer.waitForLine(/metrics endpoint listening/, 10000, 'stderr')).url as string;
    const scrape = await fetch(url);
    assert.equal(scrape.status, 200);
    await scrape.text();
    fs.writeFileSync(filterFile, JSON.stringify({ exclude: { path: [`${dir}/reloaded/`] } }));
    process.kill(tgid, 'SIGHUP');
    await producer.waitForLine(/reloaded.*filters applied in the kernel/, 30000, 'stderr');
    // Another process in the producer's namespaces reads the marked file and the filter file.
    const catArgs = ['cat', marked, filterFile];
    const cat = pidns
      ? spawnSync('nsenter', ['-t', String(tgid), '--pid', '--mount', ...catArgs], { encoding: 'utf8' })
      : spawnSync(catArgs[0], catArgs.slice(1), { encoding: 'utf8' });
    assert.equal(cat.status, 0, `cat: ${cat.stderr}`);
    await findEvent(prefix, ['file'], (e) => e.kind === 'file' && e.event.path === marked, 60000);

    process.kill(tgid, 'SIGINT'); // the producer drains the ring and flushes Kafka before it exits
    assert.equal(await producer.exited(), 0, producer.stderr().slice(-3000));

    const tail = spawnSync(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', '--until-end', '--output', 'json'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 60000,
    });
    assert.equal(tail.status, 0, tail.stderr);
    const events = tail.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent['event'] & { kind: string });
    const own = events.filter((e) => e.process.pid === tgid);
    assert.deepEqual(
      own.map((e) => `${e.kind} ${'op' in e ? e.op : ''} ${'path' in e ? e.path : ''}${'dst_port' in e ? e.dst_port : ''}`),
      [],
      `events of the producer's own tgid ${tgid} reached Kafka`,
    );
    // What others did in the same directory and on the same connection is there.
    const catOpens = events.filter((e) => e.kind === 'file' && e.process.comm === 'cat' && 'path' in e);
    assert.ok(
      catOpens.some((e) => 'path' in e && e.path === marked),
      'the cat of the marked file is missing',
    );
    assert.ok(
      catOpens.some((e) => 'path' in e && e.path === filterFile),
      "the cat's open of the filter file is missing",
    );
    const port = Number(new URL(url).port);
    assert.ok(
      events.some((e) => e.kind === 'net' && e.process.pid === process.pid && 'dst_port' in e && e.dst_port === port),
      "the test's own connect to the metrics port is missing",
    );
    assert.deepEqual(excluded, [tgid], 'the kernel excludes other thread groups than the producer');
  });
}
