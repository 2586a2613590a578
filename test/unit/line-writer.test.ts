import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ascii } from '../../consumer/core/output/json-bytes';
import { createLineWriter } from '../../consumer/core/output/line-writer';

test('lines are written in order, newline-terminated', async () => {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
  const w = createLineWriter({ stream, onClosed: () => assert.fail('not closed') });
  for (let i = 0; i < 5000; i++) await w.write(`line ${i}`);
  await w.flush();
  const out = chunks.join('').split('\n');
  assert.equal(out.length, 5001);
  assert.equal(out[4999], 'line 4999');
  assert.equal(w.lines, 5000);
});

test('multi-byte text and lines larger than the write buffer come out byte-exact', async () => {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
  const w = createLineWriter({ stream, onClosed: () => assert.fail('not closed') });
  const lines = ['ascii', 'ü中😀', 'x'.repeat(100_000), '中'.repeat(40_000), ''];
  for (let i = 0; i < 3000; i++) lines.push(`${i} ${'é'.repeat(i % 50)} 😀`);
  for (const l of lines) await w.write(l);
  await w.flush();
  assert.equal(Buffer.concat(chunks).toString('utf8'), `${lines.join('\n')}\n`);
});

test('lines encoded in place (lineOut, commit) mix with written ones, in order, also when one outgrows the chunk', async () => {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
  const w = createLineWriter({ stream, onClosed: () => assert.fail('not closed') });
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const line = i % 997 === 5 ? `${i} ${'y'.repeat(150_000)}` : `${i} ${'z'.repeat(i % 300)}`;
    lines.push(line);
    if (i % 3 === 0) {
      await w.write(line);
      continue;
    }
    const o = w.lineOut(64)!; // less than the long lines need: ascii grows it
    ascii(o, line);
    await w.commit(o);
  }
  await w.flush();
  assert.equal(Buffer.concat(chunks).toString('utf8'), `${lines.join('\n')}\n`);
  assert.equal(w.lines, 4000);
});

test('a reader that goes away (EPIPE) ends the writer quietly', async () => {
  // A real pipe to `head -n 1`, which exits after one line.
  const head = spawn('head', ['-n', '1'], { stdio: ['pipe', 'ignore', 'inherit'] });
  let closedCalls = 0;
  const w = createLineWriter({ stream: head.stdin, onClosed: () => closedCalls++ });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('writer never saw the closed pipe')), 10000);
    const pump = async (): Promise<void> => {
      while (!w.closed) {
        await w.write('x'.repeat(100));
        await new Promise((r) => setImmediate(r));
      }
      clearTimeout(t);
      resolve();
    };
    void pump();
  });
  assert.equal(closedCalls, 1);
  assert.equal(w.write('after close'), undefined);
});
