/**
 * Kernel to Kafka to OpenSearch to search, for real, side by side with SQLite: the producer (root,
 * eBPF) publishes; one `store` writes SQLite and another OpenSearch from the same topics; then the
 * same searches (a marked cat by path, by pid, by time range, a loopback connect by CIDR, a hostile
 * file name, --count, --top, --histogram, the bash -> sh -> cat chain with --process) print the
 * same output from both backends.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { OPENSEARCH_URL, deleteIndices, needsOpenSearch, testOpenSearch } from '../helpers/opensearch';
import { start } from '../helpers/proc';
import { createTopicSet } from '../helpers/store-preload';

const TS = '\\[\\d{10}\\.\\d{9}\\]';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('producer -> Kafka -> OpenSearch -> search: the same answers as the SQLite store', { timeout: 300000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t)) || (await needsOpenSearch(t))) return;
  const prefix = uniquePrefix('os-e2e');
  const db = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-os-e2e-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-os-work-'));
  t.after(async () => {
    fs.rmSync(db, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
    await deleteIndices(testOpenSearch(), prefix);
  });
  const sqlite = (args: string[]): string[] => [CONSUMER_CLI, 'search', '--db', db, ...args];
  const opensearch = (args: string[]): string[] => [CONSUMER_CLI, 'search', '--backend', 'opensearch', '--opensearch-url', OPENSEARCH_URL, '--index-prefix', prefix, ...args];
  const run = (argv: string[]): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, argv, { encoding: 'utf8' });

  // The topics exist, with their leaders known, before the producer's first send: a send to a topic
  // created a moment before can be answered NOT_LEADER and re-sent whole by kafkajs, which writes it
  // twice (at-least-once). OpenSearch keeps one copy of a duplicate, SQLite two, and this test
  // compares their counts.
  await createTopicSet(prefix);
  const producer = start(process.execPath, producerArgs(prefix, ['--include-path', work, '--stats-interval', '60']));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const stores = [
    start(process.execPath, [CONSUMER_CLI, 'store', '--brokers', BROKERS, '--topic-prefix', prefix, '--db', db, '--stats-interval', '1']),
    start(process.execPath, [
      CONSUMER_CLI,
      'store',
      '--backend',
      'opensearch',
      '--opensearch-url',
      OPENSEARCH_URL,
      '--brokers',
      BROKERS,
      '--topic-prefix',
      prefix,
      '--stats-interval',
      '1',
    ]),
  ];
  for (const s of stores) t.after(() => s.stop('SIGKILL'));

  const before = new Date(Date.now() - 1000).toISOString();
  const file = path.join(work, `marked-${process.pid}.txt`);
  fs.writeFileSync(file, 'x\n');
  const hostile = path.join(work, `evil\u001b[31m"\n\u202e${process.pid}.txt`);
  fs.writeFileSync(hostile, 'y\n');
  // bash -> sh -> cat: the trailing "; true" keeps each shell from exec'ing its last command in place.
  const chain = spawnSync('bash', ['-c', `sh -c 'cat "$1" "$2" > /dev/null; true' sh "${file}" "${hostile.replace(/"/g, '\\"')}"; true`], { encoding: 'utf8' });
  assert.equal(chain.status, 0, chain.stderr);
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const connect = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`], { encoding: 'utf8' });
  assert.equal(connect.stdout.trim(), 'connected');
  const after = new Date(Date.now() + 1000).toISOString();

  // The producer stops (flushing what it captured); both stores then read the topics to their end
  // and hold the same events: wait for equal counts.
  assert.equal(await producer.stop('SIGINT'), 0);
  let counts: string[] = [];
  for (let until = Date.now() + 120000; Date.now() < until; await sleep(1000)) {
    counts = [run(sqlite(['--count'])), run(opensearch(['--count']))].map((r) => r.stdout.trim());
    if (counts[0] === counts[1] && Number(counts[0]) > 0) break;
  }
  const last = (s: (typeof stores)[number]): string =>
    s
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"msg":"store stats"'))
      .pop() ?? s.stderr().slice(-2000);
  assert.equal(counts[0], counts[1], `the two stores hold the same number of events\nsqlite: ${last(stores[0])}\nopensearch: ${last(stores[1])}`);

  const same = (args: string[]): string => {
    const a = run(sqlite(args));
    const b = run(opensearch(args));
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(b.stdout, a.stdout, `search ${args.join(' ')}: OpenSearch and SQLite differ`);
    return b.stdout;
  };
  const byPath = same(['--where', `file.path = "${file}"`]);
  // The test itself wrote the file (node), then cat read it.
  const m = new RegExp(`^${TS} PID:(\\d+) Exe:"[^"]*/cat" Comm:"cat" Path: "${esc(file)}"$`, 'm').exec(byPath);
  assert.ok(m, byPath);
  const catPid = Number(m[1]);
  same(['--where', `proc.pid = ${catPid} and evt.kind = file`]);
  assert.match(same(['--since', before, '--until', after, '--kind', 'file', '--where', `proc.pid = ${catPid}`]), new RegExp(`Path: "${esc(file)}"`));
  assert.equal(same(['--until', new Date(Date.now() - 3600_000).toISOString(), '--where', `proc.pid = ${catPid}`]), '');
  assert.match(
    same(['--where', `net.dst_ip in (127.0.0.0/8) and net.dst_port = ${port} and proc.pid = ${connect.pid}`]),
    new RegExp(`^${TS} PID:${connect.pid} Exe:"[^"]*/bash" Comm:"bash" DST_IP:127\\.0\\.0\\.1$`, 'm'),
  );
  const evil = same(['--where', `proc.pid = ${catPid} and file.name startswith evil`]);
  assert.ok(evil.trim().endsWith(`Path: "${work}/evil\\x1b[31m\\"\\x0a\\u202e${process.pid}.txt"`), evil);
  same(['--where', `proc.pid = ${catPid}`, '--output', 'json']);
  same(['--where', `proc.pid = ${catPid}`, '--output', 'csv']);
  same(['--top', 'proc.name']);
  same(['--top', 'proc.exepath,file.path', '--kind', 'file']);
  same(['--histogram', '1s', '--where', `proc.pid = ${catPid}`]);
  same(['--count', '--where', 'open_read']);
  const story = same(['--process', `${os.hostname()}:${catPid}`]).split('\n');
  const lineage = story.slice(story.indexOf('Lineage (parent first):') + 1, story.indexOf('Timeline:'));
  assert.match(lineage[1], new RegExp(`^  PID:${chain.pid} Exe:"[^"]*/bash" Comm:"bash"`), story.join('\n'));
  assert.ok(
    story.some((l) => l.includes(`Path: "${file}"`)),
    story.join('\n'),
  );

  // The newer fields: cat's login uid as the kernel has it (-1 when unset), tested and grouped; the connect's local end.
  const loginuid = Number(fs.readFileSync('/proc/self/loginuid', 'utf8').trim()) | 0;
  assert.match(same(['--where', `proc.pid = ${catPid} and proc.loginuid = ${loginuid} and evt.kind = file`]), new RegExp(`Path: "${esc(file)}"`));
  assert.equal(same(['--where', `proc.pid = ${catPid} and proc.loginuid != ${loginuid}`]), '');
  same(['--top', 'proc.loginuid,proc.user', '--where', `proc.pid = ${catPid}`]);
  same(['--where', `proc.pid = ${connect.pid} and (fd.lip in (127.0.0.0/8) or net.socket_type = stream or proc.cap_effective contains CAP_SYS_ADMIN)`]);

  const bad = run(opensearch(['--where', 'proc.name = cat and']));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--where:1:\d+: /);
  for (const s of stores) assert.equal(await s.stop('SIGINT'), 0);
});
