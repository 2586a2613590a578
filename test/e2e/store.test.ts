/**
 * Kernel to store to search, for real: the producer (root, eBPF) publishes, `store` writes the
 * SQLite store, and `search` finds a marked cat by path, by pid and by time range, a loopback
 * connect by CIDR, the bash -> sh -> cat chain with --process, and prints a hostile file name escaped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';

const TS = '\\[\\d{10}\\.\\d{9}\\]';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function search(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CONSUMER_CLI, 'search', '--db', dir, ...args], { encoding: 'utf8' });
}

/** Search until a line matches (the event travels producer -> Kafka -> store first). */
async function searchUntil(dir: string, args: string[], re: RegExp, timeoutMs = 60000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    const r = search(dir, args);
    last = r.stdout + r.stderr;
    const line = r.stdout.split('\n').find((l) => re.test(l));
    if (r.status === 0 && line) return line;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`search ${args.join(' ')}: no line matching ${re} within ${timeoutMs} ms; last output:\n${last.slice(-3000)}`);
}

test('producer -> Kafka -> store -> search: path, pid, time range, CIDR, a process chain, hostile names', { timeout: 240000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const prefix = uniquePrefix('store-e2e');
  const db = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-store-e2e-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-store-work-'));
  t.after(() => {
    fs.rmSync(db, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });
  const producer = start(process.execPath, producerArgs(prefix, ['--include-path', work, '--stats-interval', '60']));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
  const store = start(process.execPath, [CONSUMER_CLI, 'store', '--brokers', BROKERS, '--topic-prefix', prefix, '--db', db, '--stats-interval', '1']);
  t.after(() => store.stop('SIGKILL'));

  const before = new Date(Date.now() - 1000).toISOString();
  // bash -> sh -> cat: the trailing "; true" keeps each shell from exec'ing its last command in place.
  const file = path.join(work, `marked-${process.pid}.txt`);
  fs.writeFileSync(file, 'x\n');
  const hostile = path.join(work, `evil\u001b[31m"\n${process.pid}.txt`);
  fs.writeFileSync(hostile, 'y\n');
  const chain = spawnSync('bash', ['-c', `sh -c 'cat "$1" "$2" > /dev/null; true' sh "${file}" "${hostile.replace(/"/g, '\\"')}"; true`], { encoding: 'utf8' });
  assert.equal(chain.status, 0, chain.stderr);
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const connect = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`], { encoding: 'utf8' });
  assert.equal(connect.stdout.trim(), 'connected');
  const after = new Date(Date.now() + 1000).toISOString();

  // By path: the documented line, with cat's pid.
  const byPath = await searchUntil(db, ['--where', `file.path = "${file}"`], new RegExp(`^${TS} PID:(\\d+) Exe:"[^"]*/cat" Comm:"cat" Path: "${esc(file)}"$`));
  const catPid = Number(/PID:(\d+)/.exec(byPath)![1]);
  // By pid, and by time range (inside it: found; an hour before: not).
  await searchUntil(db, ['--where', `proc.pid = ${catPid} and evt.kind = file`], new RegExp(`PID:${catPid} .*Path: "${esc(file)}"`));
  await searchUntil(db, ['--since', before, '--until', after, '--kind', 'file', '--where', `proc.pid = ${catPid}`], new RegExp(`Path: "${esc(file)}"`));
  const early = search(db, ['--until', new Date(Date.now() - 3600_000).toISOString(), '--where', `proc.pid = ${catPid}`]);
  assert.equal(early.status, 0, early.stderr);
  assert.equal(early.stdout, '');
  // The loopback connect by CIDR.
  await searchUntil(
    db,
    ['--where', `net.dst_ip in (127.0.0.0/8) and net.dst_port = ${port} and proc.pid = ${connect.pid}`],
    new RegExp(`^${TS} PID:${connect.pid} Exe:"[^"]*/bash" Comm:"bash" DST_IP:127\\.0\\.0\\.1$`),
  );

  // The hostile name prints escaped: no raw escape sequence, quote or line break from the file name.
  const evil = await searchUntil(db, ['--where', `proc.pid = ${catPid} and file.name startswith evil`], /Path: "/);
  assert.ok(evil.endsWith(`Path: "${work}/evil\\x1b[31m\\"\\x0a${process.pid}.txt"`), evil);
  const raw = search(db, ['--where', `proc.pid = ${catPid}`, '--kind', 'file']).stdout;
  assert.doesNotMatch(raw, /\u001b/);
  assert.equal(
    raw
      .split('\n')
      .filter(Boolean)
      .every((l) => new RegExp(`^${TS} PID:`).test(l)),
    true,
    raw,
  );

  // --process: cat's lineage holds sh, then bash; its timeline has the open.
  await searchUntil(db, ['--process', `${os.hostname()}:${catPid}`], new RegExp(`^  PID:\\d+ Exe:"[^"]*/bash" Comm:"bash"`));
  const story = search(db, ['--process', `${os.hostname()}:${catPid}`]).stdout.split('\n');
  const lineage = story.slice(story.indexOf('Lineage (parent first):') + 1, story.indexOf('Timeline:'));
  assert.match(lineage[0], /^ {2}PID:\d+ Exe:"[^"]*\/(dash|sh|bash)" Comm:"sh"/, story.join('\n'));
  assert.match(lineage[1], new RegExp(`^  PID:${chain.pid} Exe:"[^"]*/bash" Comm:"bash"`), story.join('\n'));
  assert.ok(
    story.some((l) => l.includes(`Path: "${file}"`)),
    story.join('\n'),
  );
  assert.match(story[0], new RegExp(`^Process Host:"${esc(os.hostname())}" PID:${catPid} Exe:"[^"]*/cat" Comm:"cat"`));

  // A bad condition: line:col and exit 2.
  const bad = search(db, ['--where', 'proc.name = cat and']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--where:1:\d+: /);

  // The newer fields (the ext JSON): cat's login uid as the kernel has it (-1 when unset), tested and grouped.
  const loginuid = Number(fs.readFileSync('/proc/self/loginuid', 'utf8').trim()) | 0;
  assert.match(search(db, ['--where', `proc.pid = ${catPid} and proc.loginuid = ${loginuid} and evt.kind = file`]).stdout, new RegExp(`Path: "${esc(file)}"`));
  assert.equal(search(db, ['--where', `proc.pid = ${catPid} and proc.loginuid != ${loginuid}`]).stdout, '');
  assert.match(search(db, ['--top', 'proc.loginuid', '--where', `proc.pid = ${catPid}`]).stdout, new RegExp(`^\\s*\\d+\\s+"${loginuid}"$`, 'm'));
  // A field no column holds names itself: exit 2.
  const unsearchable = search(db, ['--where', 'fd.sip = 127.0.0.1']);
  assert.equal(unsearchable.status, 2);
  assert.match(unsearchable.stderr, /field "fd\.sip" cannot be searched in the store/);

  assert.equal(await store.stop('SIGINT'), 0);
  assert.match(store.stderr(), /"msg":"store stopped"/);
});
