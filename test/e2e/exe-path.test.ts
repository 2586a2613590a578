/**
 * What `Exe` says in unusual cases (issue 15), on the real kernel and broker, in the text and the
 * json output: a program run from a memfd, a binary deleted after it started, one replaced on
 * disk (renamed over), and processes that started before the producer and exited before their
 * events were read. Wherever a process is alive to ask, Exe equals its /proc/PID/exe.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildC } from '../helpers/build';
import { BROKERS, CONSUMER_CLI, needsBroker, needsRoot, producerArgs, ROOT_DIR, uniquePrefix } from '../helpers/env';
import { start, type Running } from '../helpers/proc';

interface JsonEvent {
  kind: string;
  path?: string;
  process: { pid: number; exe: string; exe_from_memfd: boolean; exe_deleted: boolean };
}

/** A copy of bash that opens each file named on a stdin line and answers with its /proc/PID/exe. */
function opener(bin: string): { child: ChildProcess; open(file: string): Promise<string>; close(): Promise<void> } {
  const child = spawn(bin, ['-c', 'while read -r f; do : < "$f"; printf "%s\\n" "$(readlink /proc/$$/exe)"; done'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters: ((line: string) => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      waiters.shift()?.(line);
    }
  });
  return {
    child,
    open: (file) =>
      new Promise((resolve) => {
        waiters.push(resolve);
        child.stdin!.write(`${file}\n`);
      }),
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

function jsonEvents(tail: Running): JsonEvent[] {
  return tail
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonEvent);
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('Exe for memfd, deleted, replaced and gone-before-read processes', { timeout: 240000 }, async (t) => {
  if (needsRoot(t) || (await needsBroker(t))) return;
  const memfdExec = buildC('memfd-exec', path.join(ROOT_DIR, 'test/e2e/fixtures/memfd-exec.c'));
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-exe-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const copy = (name: string): string => {
    const p = path.join(dir, name);
    fs.copyFileSync('/usr/bin/bash', p);
    fs.chmodSync(p, 0o755);
    return p;
  };
  const marker = (name: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, name);
    return p;
  };

  // Started before the producer: a program from disk and one from a memfd (the seed reads /proc).
  const early = opener(copy('ea-early'));
  const memfdEarly = spawn(memfdExec, ['memfd', 'ea-early-mem', '/usr/bin/bash', 'bash', '-c', 'read -r f; : < "$f"'], { stdio: ['pipe', 'ignore', 'inherit'] });
  t.after(() => [early.child, memfdEarly].forEach((c) => c.kill('SIGKILL')));
  await early.open(marker('warm-up')); // it runs: its /proc entry exists before the producer seeds
  await waitFor('memfd image', () => (fs.readlinkSync(`/proc/${memfdEarly.pid}/exe`).startsWith('/memfd:') ? true : undefined), 10000);

  const prefix = uniquePrefix('exe');
  const producer = start(process.execPath, producerArgs(prefix, []));
  t.after(() => producer.stop('SIGKILL'));
  await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');

  // 1. memfd_create + fexecve: the image is a memfd, as /proc/PID/exe shows it.
  const m = spawnSync(memfdExec, ['memfd', 'ea-fileless', '/usr/bin/cat', 'cat', marker('m1')]);
  assert.equal(m.status, 0);
  const memfdExe = '/memfd:ea-fileless (deleted)';
  // 2. Deleted after it started, and 3. replaced on disk (a new file renamed over it).
  const delBin = copy('ea-deleted');
  const del = opener(delBin);
  const repBin = copy('ea-replaced');
  const rep = opener(repBin);
  t.after(() => [del.child, rep.child].forEach((c) => c.kill('SIGKILL')));
  assert.equal(await del.open(marker('d1')), delBin);
  assert.equal(await rep.open(marker('r1')), repBin);
  fs.rmSync(delBin);
  fs.copyFileSync('/usr/bin/bash', `${repBin}.new`);
  fs.renameSync(`${repBin}.new`, repBin);
  const delProc = await del.open(marker('d2'));
  const repProc = await rep.open(marker('r2'));
  assert.deepEqual([delProc, repProc], [`${delBin} (deleted)`, `${repBin} (deleted)`], 'what /proc/PID/exe says');
  await Promise.all([del.close(), rep.close()]);

  // 4. Started before the producer and gone before their events are read: nobody drains while
  // they open a file and exit.
  producer.child.kill('SIGSTOP');
  const earlyExe = await early.open(marker('e1'));
  await early.close();
  memfdEarly.stdin!.end(`${marker('e2')}\n`);
  if (memfdEarly.exitCode === null) await once(memfdEarly, 'exit');
  producer.child.kill('SIGCONT');

  // Read back the processes under test only (other processes on the machine are busy too).
  const pids = [m.pid, del.child.pid, rep.child.pid, early.child.pid, memfdEarly.pid].join(',');
  const tail = (...extra: string[]) => start(process.execPath, [CONSUMER_CLI, 'tail', '--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', '--pid', pids, ...extra]);
  const text = tail();
  const json = tail('--output', 'json');
  t.after(() => [text, json].forEach((p) => p.stop('SIGKILL')));

  // (The test wrote each marker itself: pick the open by the process under test.)
  const openOf = (file: string, pid: number | undefined): JsonEvent | undefined => jsonEvents(json).find((e) => e.kind === 'file' && e.path === file && e.process.pid === pid);
  const cases: [string, number | undefined, string, boolean, boolean][] = [
    ['m1', m.pid, memfdExe, true, true],
    ['d1', del.child.pid, delBin, false, false],
    ['d2', del.child.pid, delProc, false, true],
    ['r1', rep.child.pid, repBin, false, false],
    ['r2', rep.child.pid, repProc, false, true],
    ['e1', early.child.pid, earlyExe, false, false],
    ['e2', memfdEarly.pid, '/memfd:ea-early-mem (deleted)', true, true],
  ];
  for (const [name, pid, exe, memfd, deleted] of cases) {
    const file = path.join(dir, name);
    const ev = await waitFor(`open of ${file} by ${pid}`, () => openOf(file, pid));
    assert.deepEqual([ev.process.exe, ev.process.exe_from_memfd, ev.process.exe_deleted], [exe, memfd, deleted], name);
  }
  // The text line says the same; the exec of the memfd image too (comm is cut at 15 bytes).
  await text.waitForLine(new RegExp(`PID:${m.pid} Exe:"/memfd:ea-fileless \\(deleted\\)" Comm:"memfd:ea-filele" Exec: "/dev/fd/\\d+" Args: "cat" "${dir}/m1"$`), 30000);
  await text.waitForLine(new RegExp(`PID:${del.child.pid} Exe:"${delBin} \\(deleted\\)" Comm:"ea-deleted" Path: "${dir}/d2"$`), 30000);
  // Exit lines: the deleted binary's exit says so as well; the early process's exe came from the seed.
  await text.waitForLine(new RegExp(`PID:${del.child.pid} Exe:"${delBin} \\(deleted\\)" Comm:"ea-deleted" Exit:0$`), 30000);
  await text.waitForLine(new RegExp(`PID:${early.child.pid} Exe:"${earlyExe}" Comm:"ea-early" Exit:0$`), 30000);
  assert.equal(await producer.stop('SIGINT'), 0);
});
