/**
 * The ring reader maps the ring a window at a time (producer/bpf/ringbuf.ts). On the real kernel,
 * with a 256 KiB ring read through 8 KiB windows, 20,000 records of the real BPF object pass
 * through it (the ring wraps nine times, the window moves hundreds of times, and the loop's exec
 * record, longer than a window, gets one of its own): every one arrives intact, and the kernel
 * counts no loss. Loading the object leaves the event loop running (the verifier has a thread of
 * its own): a 1 ms interval ticks while openBpfProbe is awaited.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { createCounterReader } from '../../producer/bpf/counters';
import { createFilterMaps } from '../../producer/bpf/filter-maps';
import { openBpfProbe } from '../../producer/bpf/loader';
import { openRingReader } from '../../producer/bpf/ringbuf';
import { decodeRecord } from '../../producer/decode/decoder';
import { emptyFilter } from '../../producer/filters';
import { buildC } from '../helpers/build';
import { BPF_OBJECT, needsRoot, ROOT_DIR } from '../helpers/env';
import { quietLogger } from '../helpers/kafka';

test('a small ring read through small windows: every record, intact, none lost', { timeout: 120000 }, async (t) => {
  if (needsRoot(t)) return;
  const loop = buildC('ea-ringwin', path.join(ROOT_DIR, 'test/bench/loadgen.c'));
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-ringwin-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = path.join(dir, 'target');
  fs.writeFileSync(target, 'x');
  const filter = emptyFilter();
  filter.include.comm.push('ea-ringwin');
  filter.include.path.push(`${dir}/`);
  const ringBytes = 256 << 10;
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const probe = await openBpfProbe({
    objectPath: BPF_OBJECT,
    ringBytes,
    logger: quietLogger,
    syscallHooks: 'auto',
    beforeAttach: (mapFd) => createFilterMaps({ mapFd, logger: quietLogger }).apply(filter),
  });
  clearInterval(ticker);
  assert.ok(ticks > 0, 'the event loop stood still while the programs loaded');
  const ring = openRingReader({ fd: probe.ringFd, size: probe.ringBytes, windowBytes: 8 << 10 });
  t.after(() => {
    probe.detach();
    ring.close();
    probe.close();
  });

  // 20 passes of 1000 opens: each pass fits in the ring, and is drained before the next one.
  const PASSES = 20;
  const PER_PASS = 1000;
  const child = spawn(loop, [String(PER_PASS), target], { env: { ...process.env, LOADGEN_STDIN: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  let records = 0;
  let bytes = 0;
  const onRecord = (data: Buffer, offset: number, length: number): void => {
    const r = decodeRecord(data, offset, length);
    assert.equal(r.task.pid, child.pid);
    bytes += length + 8;
    if (r.type !== 'file') return; // the loop's own exec (a 12 kB record) and exit
    assert.equal(r.path, target);
    records++;
  };
  for (let pass = 1; pass <= PASSES; pass++) {
    child.stdin.write('x');
    while (lines.length < pass) await new Promise((r) => setTimeout(r, 5));
    // The pass's syscalls have returned: its records are all committed in the ring.
    while (ring.pending() > 0) ring.drain(onRecord, 256);
    assert.equal(records, pass * PER_PASS, `records after pass ${pass}`);
  }
  child.stdin.end();
  const counters = createCounterReader({ fd: probe.countersFd }).read();
  assert.equal(counters.file.ringFull, 0);
  assert.equal(counters.file.emitted, PASSES * PER_PASS);
  assert.ok(bytes > 8 * ringBytes, `${bytes} bytes did not wrap the ${ringBytes}-byte ring 8 times`);
});
