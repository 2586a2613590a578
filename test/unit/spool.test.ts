import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { openSpool, type SpoolRecord } from '../../producer/publish/spool';

const logger = pino({ level: 'silent' });
const dir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ea-spool-'));
const rec = (i: number): SpoolRecord => ({
  topic: i % 2 ? 'p.file' : 'p.net',
  key: Buffer.from('host-1'),
  value: Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`),
  timestamp: String(1764012345000 + i),
  headers: { kind: 'file', schema: 'abcd', host: 'host-1' },
});

test('records come back in order, exactly, across segments; commit deletes finished segments', () => {
  const d = dir();
  const s = openSpool({ dir: d, maxBytes: 10 << 20, segmentBytes: 4096, logger });
  for (let i = 0; i < 500; i++) assert.ok(s.append(rec(i)));
  assert.ok(fs.readdirSync(d).filter((f) => f.endsWith('.seg')).length > 5);
  const got: SpoolRecord[] = [];
  for (;;) {
    const batch = s.read(64, 1 << 20);
    if (!batch.length) break;
    got.push(...batch.map((b) => b.rec));
    s.commit(batch[batch.length - 1].pos);
  }
  assert.deepEqual(
    got,
    Array.from({ length: 500 }, (_, i) => rec(i)),
  );
  assert.ok(s.isEmpty());
  assert.ok(fs.readdirSync(d).filter((f) => f.endsWith('.seg')).length <= 1);
  s.close();
});

test('rewind hands out the uncommitted records again', () => {
  const s = openSpool({ dir: dir(), maxBytes: 1 << 20, logger });
  for (let i = 0; i < 10; i++) s.append(rec(i));
  const a = s.read(4, 1 << 20);
  s.commit(a[3].pos);
  const b = s.read(3, 1 << 20);
  assert.deepEqual(
    b.map((x) => x.rec),
    [4, 5, 6].map(rec),
  );
  s.rewind(); // the send of 4..6 failed
  assert.deepEqual(
    s.read(100, 1 << 20).map((x) => x.rec),
    [4, 5, 6, 7, 8, 9].map(rec),
  );
  assert.equal(s.isEmpty(), false);
  s.close();
});

test('the cap refuses appends and counts them', () => {
  const s = openSpool({ dir: dir(), maxBytes: 2000, logger });
  let ok = 0;
  for (let i = 0; i < 100; i++) if (s.append(rec(i))) ok++;
  assert.ok(ok > 0 && ok < 100);
  assert.equal(s.stats().full, 100 - ok);
  s.close();
});

test('a reopened spool (after a crash) resumes at the committed cursor', () => {
  const d = dir();
  const s = openSpool({ dir: d, maxBytes: 1 << 20, segmentBytes: 2048, logger });
  for (let i = 0; i < 100; i++) s.append(rec(i));
  const first = s.read(30, 1 << 20);
  s.commit(first[29].pos);
  s.read(10, 1 << 20); // handed out, never acknowledged: a crash now
  s.flush();
  const again = openSpool({ dir: d, maxBytes: 1 << 20, segmentBytes: 2048, logger });
  const rest: SpoolRecord[] = [];
  for (let b = again.read(1000, 1 << 20); b.length; b = again.read(1000, 1 << 20)) rest.push(...b.map((x) => x.rec));
  assert.deepEqual(
    rest,
    Array.from({ length: 70 }, (_, i) => rec(30 + i)),
  );
  again.close();
});

/** A logger whose records land in `lines` (to check what a damaged spool reports). */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

const segments = (d: string): string[] =>
  fs
    .readdirSync(d)
    .filter((f) => f.endsWith('.seg'))
    .sort();

/** Read everything left, committing as a publisher does. */
function drainAll(s: ReturnType<typeof openSpool>): SpoolRecord[] {
  const got: SpoolRecord[] = [];
  for (let b = s.read(3, 1 << 20); b.length; b = s.read(3, 1 << 20)) {
    got.push(...b.map((x) => x.rec));
    s.commit(b[b.length - 1].pos);
  }
  return got;
}

/** Five records in one segment, closed; returns the directory, the segment file and record offsets. */
function written(n: number): { d: string; seg: string; offsets: number[] } {
  const d = dir();
  const s = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  for (let i = 0; i < n; i++) s.append(rec(i));
  s.close();
  const seg = path.join(d, segments(d)[0]);
  const bytes = fs.readFileSync(seg);
  const offsets: number[] = [];
  for (let o = 0; o < bytes.length; o += 8 + bytes.readUInt32LE(o)) offsets.push(o);
  return { d, seg, offsets };
}

test('a record torn by a crash mid-write is skipped, counted and logged; records before and after it are delivered', () => {
  const { d, seg } = written(5);
  const size = fs.statSync(seg).size;
  fs.appendFileSync(seg, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 9])); // a header promising 200 bytes, then the crash
  const { logger: log, lines } = capture();
  const t = openSpool({ dir: d, maxBytes: 1 << 20, logger: log });
  for (let i = 5; i < 8; i++) t.append(rec(i)); // the restarted producer goes on spooling
  assert.equal(segments(d).length, 2, 'appends go to a new segment, never behind the torn record');
  assert.deepEqual(drainAll(t), [0, 1, 2, 3, 4, 5, 6, 7].map(rec));
  assert.equal(t.stats().corrupt, 1);
  assert.equal(t.stats().corruptBytes, 10);
  assert.ok(t.isEmpty(), 'the damaged bytes do not hold the spool open');
  const damage = lines.filter((l) => /damaged spool data skipped/.test(String(l.msg)));
  assert.equal(damage.length, 1);
  assert.equal(damage[0].segment, path.basename(seg));
  assert.equal(damage[0].offset, size);
  t.close();
});

test('a torn tail with nothing after it (and a partial header) leaves the spool empty once read', () => {
  const { d, seg } = written(3);
  fs.appendFileSync(seg, Buffer.from([30, 0, 0])); // not even a whole header
  const t = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  assert.equal(t.isEmpty(), false);
  assert.deepEqual(drainAll(t), [0, 1, 2].map(rec));
  assert.ok(t.isEmpty());
  assert.equal(t.stats().corrupt, 1);
  t.close();
  const again = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  assert.ok(again.isEmpty(), 'the cursor was committed past the damage');
  again.close();
});

test('a corrupted record in the middle of a segment: only it is skipped; every record after it is delivered', () => {
  const { d, seg, offsets } = written(10);
  const bytes = fs.readFileSync(seg);
  bytes[offsets[3] + 12] ^= 0xff; // a payload byte of record 3: its CRC no longer holds
  fs.writeFileSync(seg, bytes);
  const { logger: log, lines } = capture();
  const t = openSpool({ dir: d, maxBytes: 1 << 20, logger: log });
  assert.deepEqual(drainAll(t), [0, 1, 2, 4, 5, 6, 7, 8, 9].map(rec));
  assert.equal(t.stats().corrupt, 1);
  assert.equal(t.stats().corruptBytes, offsets[4] - offsets[3]);
  const damage = lines.filter((l) => /damaged spool data skipped/.test(String(l.msg)));
  assert.deepEqual(
    damage.map((l) => [l.segment, l.offset]),
    [[path.basename(seg), offsets[3]]],
  );
  t.close();
});

test('a damaged length field: the reader resynchronises on the next record whose header and CRC hold', () => {
  const { d, seg, offsets } = written(10);
  const bytes = fs.readFileSync(seg);
  bytes.writeUInt32LE(0x7fffffff, offsets[5]); // record 5 claims 2 GiB
  bytes.fill(0, offsets[7], offsets[7] + 4); // record 7 claims nothing
  fs.writeFileSync(seg, bytes);
  const t = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  assert.deepEqual(drainAll(t), [0, 1, 2, 3, 4, 6, 8, 9].map(rec));
  assert.equal(t.stats().corrupt, 2);
  t.close();
});

test('damage read again after a rewind (a failed send) is counted once', () => {
  const { d, seg, offsets } = written(6);
  const bytes = fs.readFileSync(seg);
  bytes[offsets[2] + 9] ^= 0x55;
  fs.writeFileSync(seg, bytes);
  const t = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  assert.deepEqual(
    t.read(100, 1 << 20).map((x) => x.rec),
    [0, 1, 3, 4, 5].map(rec),
  );
  t.rewind();
  assert.deepEqual(
    t.read(100, 1 << 20).map((x) => x.rec),
    [0, 1, 3, 4, 5].map(rec),
  );
  assert.equal(t.stats().corrupt, 1);
  t.close();
});

test('committing a position from end() acknowledges everything appended before it (a spilled request that succeeded)', () => {
  const s = openSpool({ dir: dir(), maxBytes: 1 << 20, segmentBytes: 2048, logger });
  for (let i = 0; i < 20; i++) s.append(rec(i));
  const end = s.end();
  for (let i = 20; i < 25; i++) s.append(rec(i));
  s.commit(end);
  assert.deepEqual(
    s.read(100, 1 << 20).map((x) => x.rec),
    [20, 21, 22, 23, 24].map(rec),
  );
  s.close();
});
