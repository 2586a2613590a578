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
  assert.deepEqual(got, Array.from({ length: 500 }, (_, i) => rec(i)));
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
  assert.deepEqual(b.map((x) => x.rec), [4, 5, 6].map(rec));
  s.rewind(); // the send of 4..6 failed
  assert.deepEqual(s.read(100, 1 << 20).map((x) => x.rec), [4, 5, 6, 7, 8, 9].map(rec));
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
  assert.deepEqual(rest, Array.from({ length: 70 }, (_, i) => rec(30 + i)));
  again.close();
});

test('a record cut by a crash mid-write, and a corrupted one, are skipped and counted', () => {
  const d = dir();
  const s = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  for (let i = 0; i < 5; i++) s.append(rec(i));
  s.close();
  const seg = path.join(d, fs.readdirSync(d).find((f) => f.endsWith('.seg'))!);
  fs.appendFileSync(seg, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9])); // a header promising 200 bytes, then EOF
  const t = openSpool({ dir: d, maxBytes: 1 << 20, logger });
  assert.deepEqual(t.read(100, 1 << 20).map((x) => x.rec), [0, 1, 2, 3, 4].map(rec));
  assert.equal(t.stats().corrupt, 1);
  t.close();

  const d2 = dir();
  const u = openSpool({ dir: d2, maxBytes: 1 << 20, logger });
  for (let i = 0; i < 5; i++) u.append(rec(i));
  u.close();
  const seg2 = path.join(d2, fs.readdirSync(d2).find((f) => f.endsWith('.seg'))!);
  const bytes = fs.readFileSync(seg2);
  const second = 8 + bytes.readUInt32LE(0); // offset of record 1
  bytes[second + 12] ^= 0xff; // flip a payload byte of record 1
  fs.writeFileSync(seg2, bytes);
  const v = openSpool({ dir: d2, maxBytes: 1 << 20, logger });
  assert.deepEqual(v.read(100, 1 << 20).map((x) => x.rec), [rec(0)]); // the rest of that segment is untrustworthy
  assert.equal(v.stats().corrupt, 1);
  v.close();
});
