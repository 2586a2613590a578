/**
 * Kernel to console, for real: the producer (root, eBPF) publishes to the local broker and the
 * tail CLI prints what a `cat` of a temp file and a connect to a loopback listener did.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadedProgramIds, programIdsHeldBy } from '../helpers/bpf-holders';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';
import { readTopic } from '../helpers/kafka';
import { statsTopic } from '../../common/topics';
import { createSchemaRegistry } from '../../schemas/registry';
import type { StatsEvent } from '../../schemas/types';

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const which = (cmd: string): string => fs.realpathSync(spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim());
const TS = '\\[\\d{10}\\.\\d{9}\\]';

for (const hooks of ['raw', 'tracepoint']) {
  test(`${hooks} syscall hooks: cat and connect show up in tail as the documented lines; SIGINT detaches everything`, { timeout: 180000 }, async (t) => {
    if (needsRoot(t) || (await needsBroker(t))) return;
    const prefix = uniquePrefix('e2e');
    const producer = start(process.execPath, producerArgs(prefix, ['--stats-interval', '2', '--syscall-hooks', hooks, '--metrics-port', '0']));
    t.after(() => producer.stop('SIGKILL'));
    await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
    assert.match(producer.stderr(), new RegExp(`"syscallHooks":"${hooks}"`));
    assert.match(producer.stderr(), /"capabilities":\{"progTypes":\{[^}]*"tracepoint":true/);
    // The programs this producer holds (its fds), not whatever else loaded meanwhile (another producer).
    const ours = [...programIdsHeldBy(producer.child.pid!)];
    assert.ok(ours.length >= (hooks === 'raw' ? 3 : 8), `expected our programs loaded, found ${ours.length}`);

    const tail = start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning']);
    t.after(() => tail.stop('SIGKILL'));

    // A file with a run-specific name, read by cat.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-e2e-'));
    const file = path.join(dir, `secret-${process.pid}.txt`);
    fs.writeFileSync(file, 'hello\n');
    const cat = spawnSync('cat', [file], { encoding: 'utf8' });
    assert.equal(cat.stdout, 'hello\n');
    const catExe = which('cat');

    // A loopback listener, connected to by bash's /dev/tcp.
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const bash = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`], { encoding: 'utf8' });
    assert.equal(bash.stdout.trim(), 'connected');
    const bashExe = which('bash');

    const fileLine = await tail.waitForLine(new RegExp(`^${TS} PID:${cat.pid} Exe:"${esc(catExe)}" Comm:"cat" Path: "${esc(file)}"$`), 60000);
    const netLine = await tail.waitForLine(new RegExp(`^${TS} PID:${bash.pid} Exe:"${esc(bashExe)}" Comm:"bash" DST_IP:127\\.0\\.0\\.1$`), 60000);
    await tail.waitForLine(new RegExp(`^${TS} PID:${cat.pid} Exe:"${esc(catExe)}" Comm:"cat" Exec: "[^"]*/cat" Args: "cat" "${esc(file)}"$`), 60000);
    await tail.waitForLine(new RegExp(`^${TS} PID:${cat.pid} Exe:"${esc(catExe)}" Comm:"cat" Exit:0$`), 60000);

    // The timestamp is wall-clock time: within a minute of now.
    const ts = Number(fileLine.slice(1, fileLine.indexOf(']')));
    assert.ok(Math.abs(ts - Date.now() / 1000) < 60, `timestamp ${ts} is not the wall-clock time`);
    assert.ok(netLine);

    // Prometheus metrics: the same accounting, at scrape time.
    const url = JSON.parse(
      producer
        .stderr()
        .split('\n')
        .find((l) => l.includes('metrics endpoint listening'))!,
    ).url;
    const body = await (await fetch(url)).text();
    assert.match(body, /^ebpf_audit_events_captured_total\{type="file"\} [1-9]\d*$/m);
    assert.match(body, /^ebpf_audit_messages_sent_total [1-9]\d*$/m);
    assert.match(body, /^ebpf_audit_send_latency_seconds_count [1-9]\d*$/m);
    assert.match(body, /^ebpf_audit_events_dropped_total\{type="file",reason="ring_full"\} 0$/m);

    // The producer's own activity (Kafka connections, /proc reads) is excluded in the kernel.
    assert.doesNotMatch(tail.stdout(), new RegExp(`PID:${producer.child.pid} `));

    await producer.waitForLine(/"msg":"(stats|events lost since last report)"/, 30000, 'stderr'); // one periodic report
    assert.equal(await producer.stop('SIGINT'), 0);
    const final = producer
      .stderr()
      .split('\n')
      .find((l) => l.includes('"msg":"final stats"'));
    assert.ok(final, 'no final stats line');
    const stats = JSON.parse(final).stats;
    assert.equal(stats.lost, 0, `events lost: ${final}`);
    assert.ok(stats.publisher.sent > 0);
    // The same accounting reached the stats topic: the last report is the final one.
    const registry = createSchemaRegistry();
    const decodeStats = (v: Buffer) => registry.decode('stats', v) as StatsEvent;
    const reports = (await readTopic(statsTopic(prefix), (vs) => vs.some((v) => decodeStats(v).final), 30000)).map(decodeStats);
    assert.ok(reports.length >= 2, 'no periodic report before the final one');
    const last = reports[reports.length - 1];
    assert.equal(last.final, true);
    assert.equal(last.lost, 0n);
    assert.equal(Number(last.sent), stats.publisher.sent);
    assert.equal(Number(last.kernel.find((k) => k.type === 'file')!.emitted), stats.kernel.file.emitted);
    const loaded = loadedProgramIds();
    const left = ours.filter((id) => loaded.has(id));
    assert.deepEqual(left, [], 'programs still attached after SIGINT');
    assert.equal(await tail.stop('SIGINT'), 0);
    fs.rmSync(dir, { recursive: true });
  });
}
