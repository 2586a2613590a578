/**
 * The direct writer for file-open records (producer/transcode/file-record.ts) against the general
 * path it stands in for (decodeRecord, enrich, registry.encode): the same bytes and the same Kafka
 * timestamp for every record it writes, and nothing written for those it leaves to the general path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F_TRUNCATED, RECORD_TYPES } from '../../bpf/layout';
import { decodeRecord } from '../../producer/decode/decoder';
import { createBootClock } from '../../producer/enrich/clock';
import { createEnricher } from '../../producer/enrich/enricher';
import type { ProcInfo, ProcessTable } from '../../producer/enrich/process-table';
import { createFileRecordWriter, type FileRecordWriter } from '../../producer/transcode/file-record';
import { createSchemaRegistry, type ByteRange, type SchemaRegistry } from '../../schemas/registry';
import type { FileEvent, Host } from '../../schemas/types';
import { cLayout, cRecord } from '../helpers/c-layout';

interface Fields {
  ktime: bigint;
  pid: number;
  tid: number;
  comm: string;
  uid: number;
  op: number;
  ret: bigint;
  dirfd: number;
  flags: number;
  mode: number;
  truncated: boolean;
  path: Buffer;
}

const PATH_AT = (): number => cLayout().ea_file_open.fields.path[0];

function fileRecord(f: Fields): { buf: Buffer; len: number } {
  const len = PATH_AT() + f.path.length;
  const buf = cRecord('ea_file_open', (p) => {
    p.u16('hdr.type', RECORD_TYPES.file);
    p.u16('hdr.size', len);
    p.u64('hdr.ktime_ns', f.ktime);
    p.u32('hdr.flags', f.truncated ? F_TRUNCATED : 0);
    p.u32('task.pid', f.pid);
    p.u32('task.tid', f.tid);
    p.u32('task.ppid', 1);
    p.u32('task.uid', f.uid);
    p.u64('task.start_ns', 77_000_000_000n + BigInt(f.pid));
    p.u64('task.cgroup_id', 9n);
    p.bytes('task.comm', Buffer.from(`${f.comm}\0`));
    p.u64('task.cap_effective', 1n << 21n);
    p.u32('task.loginuid', 0xffffffff);
    p.s64('ret', f.ret);
    p.s32('dirfd', f.dirfd);
    p.u32('flags', f.flags >>> 0);
    p.u32('mode', f.mode >>> 0);
    p.u16('op', f.op);
    p.u16('path_len', f.path.length);
  });
  // The path may be longer than the struct's fixed part: lay the record into a buffer of its size.
  const full = Buffer.alloc(Math.max(buf.length, len) + 64, 0xee);
  buf.copy(full, 0, 0, PATH_AT());
  f.path.copy(full, PATH_AT());
  return { buf: full, len };
}

/** An enricher over a world the test can change (user names), with a clock of a set offset. */
/** `frozenHost`: as the producer's host view hands it out (the writer then compares it once). */
function setup(offsetNs: bigint, frozenHost = false) {
  const users = new Map<number, string>([[1000, 'alice']]);
  // One entry per pid, handed out again as the process table does (the enricher keeps a Process while its entry is the same).
  const entries = new Map<number, ProcInfo>();
  const processes = {
    exeOf: (pid: number): ProcInfo => {
      let e = entries.get(pid);
      if (!e) entries.set(pid, (e = { exe: `/usr/bin/p${pid}`, memfd: false, upper: false, comm: 'p', ppid: 1 }));
      return e;
    },
  } as unknown as ProcessTable;
  let wall = offsetNs + 10n;
  const clock = createBootClock({ realtimeNs: () => wall, boottimeNs: () => 10n, samples: 1 });
  const host: Host = { id: 'host-1', name: 'web-1', boot_id: 'b00t-' + 'x'.repeat(36) };
  if (frozenHost) Object.freeze(host);
  const enricher = createEnricher({
    host,
    clock,
    processes,
    containers: { containerOf: () => '', stats: () => ({ scans: 0, known: 0 }) },
    users: { nameOf: (uid: number) => users.get(uid) ?? '', close: () => undefined },
  });
  const registry = createSchemaRegistry();
  const writer = createFileRecordWriter({ registry, enricher });
  assert.ok(writer, 'the shipped FileEvent schema is the one the writer lays out');
  const setOffset = (ns: bigint) => {
    wall = ns + 10n;
    clock.refresh();
  };
  return { users, host, enricher, registry, writer, setOffset };
}

/** The general path's message and timestamp for the record. */
function general(registry: SchemaRegistry, enricher: ReturnType<typeof createEnricher>, buf: Buffer, len: number): { bytes: Buffer; ms: number } {
  const ev = enricher.enrich(decodeRecord(buf, 0, len));
  assert.equal(ev.kind, 'file');
  const bytes = Buffer.from(registry.encode('file', ev.event));
  return { bytes, ms: Math.floor(Number((ev.event as FileEvent).time_ns) / 1e6) };
}

function direct(writer: FileRecordWriter, buf: Buffer, len: number): { bytes: Buffer; ms: number } | undefined {
  const out: ByteRange = { buf, start: 0, end: 0 };
  const ms = writer.write(buf, 0, len, out);
  return ms < 0 ? undefined : { bytes: Buffer.from(out.buf.subarray(out.start, out.end)), ms };
}

/** A small deterministic generator (mulberry32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const ascii = (n: number, rnd: () => number): Buffer => Buffer.from(Array.from({ length: n }, () => 0x20 + Math.floor(rnd() * 0x5f)));

for (const frozenHost of [false, true])
  test(`file-open records: the same bytes and timestamp as decode, enrich and encode (${frozenHost ? 'frozen' : 'mutable'} host)`, () => {
    const rnd = prng(12);
    const { registry, enricher, writer, setOffset } = setup(1_764_633_600_123_456_789n, frozenHost);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const ktimes = [0n, 1n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 5_000_000_123n, 2n ** 52n - 1n, 2n ** 52n + 12345n, 2n ** 61n];
    const ints = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, -100, 0x7fffffff, -0x80000000, 0x12345678, -0x1234567];
    const offsets = [1_764_633_600_123_456_789n, 0n, 1n, 0xffffffffn, 2n ** 32n - 5n, 2n ** 61n, 4_000_000_000_000_000_000n];
    let written = 0;
    let offset = 0n;
    for (let i = 0; i < 3000; i++) {
      if (i % 500 === 0) setOffset((offset = offsets[(i / 500) % offsets.length]));
      const f: Fields = {
        ktime: pick(ktimes) + BigInt(Math.floor(rnd() * 1e9)),
        pid: 100 + Math.floor(rnd() * 5),
        tid: 100 + Math.floor(rnd() * 200),
        comm: pick(['cat', 'loadgen', 'a-comm-of-15chr']),
        uid: pick([0, 1000]),
        op: pick([1, 2, 3, 4, 99]), // 99: not a known op ("unknown")
        ret: BigInt(pick(ints)),
        dirfd: pick(ints),
        flags: pick(ints),
        mode: pick(ints),
        truncated: rnd() < 0.1,
        path: ascii(pick([0, 1, 21, 62, 63, 64, 65, 200, 4095]), rnd),
      };
      const { buf, len } = fileRecord(f);
      const want = general(registry, enricher, buf, len);
      const got = direct(writer, buf, len);
      if (f.ktime + offset >= 2n ** 62n) {
        // Times this far out (year 148,000) are the general path's: the writer's arithmetic stops at 2^62.
        assert.equal(got, undefined, `case ${i}: time beyond 2^62`);
        continue;
      }
      assert.ok(got, `case ${i}: an ASCII open record is written directly`);
      assert.deepEqual(got.bytes, want.bytes, `case ${i}: ${JSON.stringify(f, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
      assert.equal(got.ms, want.ms, `case ${i}: timestamp`);
      written++;
    }
    assert.ok(written > 2500, `${written} of 3000 written directly`);
  });

test('what the general path must take: non-ASCII paths, other records, short or inconsistent ones, results beyond an int', () => {
  const { registry, enricher, writer } = setup(1_764_633_600_000_000_000n);
  const base: Fields = { ktime: 5n, pid: 7, tid: 7, comm: 'cat', uid: 0, op: 1, ret: 3n, dirfd: -100, flags: 0, mode: 0, truncated: false, path: Buffer.from('/etc/hosts') };
  const none = (buf: Buffer, len: number, what: string) => {
    const before = Buffer.from(buf);
    assert.equal(direct(writer, buf, len), undefined, what);
    assert.deepEqual(buf, before, `${what}: the record is untouched`);
  };
  // UTF-8 and invalid UTF-8: decoded (with U+FFFD) and written by the general path.
  for (const p of [Buffer.from('/tmp/ü'), Buffer.from([0x2f, 0xff, 0x61])]) {
    const { buf, len } = fileRecord({ ...base, path: p });
    none(buf, len, `path ${p.toString('hex')}`);
    assert.ok(general(registry, enricher, buf, len).bytes.length > 0);
  }
  const { buf, len } = fileRecord(base);
  none(buf, len - 1, 'a record shorter than its size field says');
  const short = Buffer.from(buf);
  short.writeUInt16LE(len + 100, cLayout().ea_file_open.fields.path_len[0]);
  short.writeUInt16LE(len, cLayout().ea_hdr.fields.size[0]);
  none(short, len, 'a path longer than the record');
  const net = Buffer.from(buf);
  net.writeUInt16LE(RECORD_TYPES.net, cLayout().ea_hdr.fields.type[0]);
  none(net, len, 'a net record');
  const big = fileRecord({ ...base, ret: 1n << 40n });
  none(big.buf, big.len, 'a result beyond an Avro int');
  assert.throws(() => general(registry, enricher, big.buf, big.len), /invalid/i, 'the general path reports it');
});

test('a new user name, a renamed host and the Confluent framing are followed', () => {
  const { users, host, registry, enricher, writer } = setup(1_764_633_600_000_000_000n);
  const rec = fileRecord({ ktime: 5n, pid: 7, tid: 7, comm: 'cat', uid: 1000, op: 1, ret: 3n, dirfd: -100, flags: 0, mode: 0, truncated: false, path: Buffer.from('/etc/hosts') });
  const same = (what: string) => {
    const got = direct(writer, rec.buf, rec.len);
    assert.ok(got);
    assert.deepEqual(got.bytes, general(registry, enricher, rec.buf, rec.len).bytes, what);
    return got.bytes;
  };
  const first = same('first');
  users.set(1000, 'alice2');
  assert.notDeepEqual(same('user renamed'), first);
  host.name = 'web-2';
  assert.ok(same('host renamed').includes(Buffer.from('web-2')));
  registry.useRegistryId('file', 42);
  assert.deepEqual(same('Confluent framing').subarray(0, 5), Buffer.from([0, 0, 0, 0, 42]));
});

test('messages written across slabs keep their bytes', () => {
  const { registry, enricher, writer } = setup(1_764_633_600_000_000_000n);
  const kept: { out: ByteRange; want: Buffer }[] = [];
  for (let i = 0; i < 100; i++) {
    // 4 KiB paths: a 64 KiB slab holds 15 of them, so this crosses several.
    const rec = fileRecord({
      ktime: BigInt(i),
      pid: 7,
      tid: 7 + (i % 3),
      comm: 'cat',
      uid: 0,
      op: 1,
      ret: 3n,
      dirfd: -100,
      flags: 0,
      mode: 0,
      truncated: false,
      path: Buffer.alloc(4000 + i, 0x61 + (i % 26)),
    });
    const want = general(registry, enricher, rec.buf, rec.len).bytes;
    const out: ByteRange = { buf: rec.buf, start: 0, end: 0 };
    assert.ok(writer.write(rec.buf, 0, rec.len, out) >= 0);
    kept.push({ out: { ...out }, want });
  }
  for (const [i, k] of kept.entries()) assert.deepEqual(k.out.buf.subarray(k.out.start, k.out.end), k.want, `message ${i}`);
});

test('a FileEvent schema with other fields gets no direct writer', () => {
  const { enricher } = setup(0n);
  const registry = createSchemaRegistry();
  const fields = (registry.current('file').type as unknown as { fields: { name: string }[] }).fields;
  const swapped = [...fields];
  [swapped[6], swapped[7]] = [swapped[7], swapped[6]];
  const other = { ...registry, current: () => ({ ...registry.current('file'), type: { fields: swapped } }) } as unknown as SchemaRegistry;
  assert.equal(createFileRecordWriter({ registry: other, enricher }), undefined);
});
