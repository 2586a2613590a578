/**
 * A disk spool for messages Kafka cannot take yet: append-only segment files, replayed in order.
 *
 * Record framing: u32 payload length, u32 CRC-32 of the payload, payload. Payload: u8 version (1),
 * u16 topic length + topic, u16 key length + key, u32 value length + value, u64 timestamp (ms),
 * u8 header count, then per header u8 key length + key, u16 value length + value.
 *
 * Writes go through a small buffer flushed every flushMs (and before any read), so a kill -9
 * loses at most that window; the kernel holds written data across a process crash (not across a
 * power loss: fsync runs every fsyncMs). A committed cursor (segment, offset), replaced atomically
 * after Kafka acknowledges, marks what is done; fully committed segments are deleted. Replay after a
 * crash starts at the cursor, so at most the last unacknowledged batch is sent twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Logger } from '../../common/logger';

export interface SpoolRecord {
  topic: string;
  key: Buffer;
  value: Buffer;
  timestamp: string;
  headers: Record<string, string>;
}

/** Where a record ends: committing it commits everything before it. */
export interface SpoolPos {
  seq: number;
  offset: number;
}

export interface SpoolStats {
  bytes: number;
  segments: number;
  appended: number;
  replayed: number;
  corrupt: number;
  full: number;
}

export interface Spool {
  /** Append; false when the size cap is reached (the caller counts a drop). */
  append(rec: SpoolRecord): boolean;
  /** The next records after those already handed out, up to max (or maxBytes of values). */
  read(max: number, maxBytes: number): { rec: SpoolRecord; pos: SpoolPos }[];
  /** Everything up to pos reached Kafka. */
  commit(pos: SpoolPos): void;
  /** Hand out again from the committed cursor (after a failed send). */
  rewind(): void;
  /** Nothing unread and nothing uncommitted. */
  isEmpty(): boolean;
  /** Write the buffer out (and fsync when `sync`). */
  flush(sync?: boolean): void;
  stats(): SpoolStats;
  close(): void;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes?: number;
  flushMs?: number;
  fsyncMs?: number;
  logger: Logger;
}

const HDR = 8;
const name = (seq: number): string => `${String(seq).padStart(12, '0')}.seg`;

function encode(r: SpoolRecord): Buffer {
  const topic = Buffer.from(r.topic);
  const hs = Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const);
  let n = 1 + 2 + topic.length + 2 + r.key.length + 4 + r.value.length + 8 + 1;
  for (const [k, v] of hs) n += 1 + k.length + 2 + v.length;
  const b = Buffer.allocUnsafe(HDR + n);
  let o = HDR;
  o = b.writeUInt8(1, o);
  o = b.writeUInt16LE(topic.length, o);
  o += topic.copy(b, o);
  o = b.writeUInt16LE(r.key.length, o);
  o += r.key.copy(b, o);
  o = b.writeUInt32LE(r.value.length, o);
  o += r.value.copy(b, o);
  o = b.writeBigUInt64LE(BigInt(r.timestamp), o);
  o = b.writeUInt8(hs.length, o);
  for (const [k, v] of hs) {
    o = b.writeUInt8(k.length, o);
    o += k.copy(b, o);
    o = b.writeUInt16LE(v.length, o);
    o += v.copy(b, o);
  }
  b.writeUInt32LE(n, 0);
  b.writeUInt32LE(zlib.crc32(b.subarray(HDR)), 4);
  return b;
}

function decode(p: Buffer): SpoolRecord {
  let o = 1;
  const tl = p.readUInt16LE(o);
  const topic = p.toString('utf8', (o += 2), (o += tl));
  const kl = p.readUInt16LE(o);
  const key = Buffer.from(p.subarray((o += 2), (o += kl)));
  const vl = p.readUInt32LE(o);
  const value = Buffer.from(p.subarray((o += 4), (o += vl)));
  const timestamp = String(p.readBigUInt64LE(o));
  o += 8;
  const headers: Record<string, string> = {};
  const hc = p.readUInt8(o++);
  for (let i = 0; i < hc; i++) {
    const k = p.toString('utf8', o + 1, o + 1 + p[o]);
    o += 1 + p[o];
    const vlen = p.readUInt16LE(o);
    headers[k] = p.toString('utf8', o + 2, o + 2 + vlen);
    o += 2 + vlen;
  }
  return { topic, key, value, timestamp, headers };
}

/** One producer per spool directory: a lock file holding the owner's pid (stale ones are taken over). */
function lock(dir: string): string {
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      let alive = false;
      try {
        alive = owner > 0 && owner !== process.pid && process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new SpoolLockedError(`spool directory ${dir} is in use by process ${owner}`);
      fs.rmSync(file, { force: true }); // left by a crashed producer
    }
  }
  throw new SpoolLockedError(`cannot lock spool directory ${dir}`);
}

export class SpoolLockedError extends Error {}

export function openSpool(opts: SpoolOptions): Spool {
  const log = opts.logger.child({ component: 'spool' });
  const segmentBytes = opts.segmentBytes ?? 64 << 20;
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const lockFile = lock(opts.dir);
  const cursorFile = path.join(opts.dir, 'cursor.json');
  const segs = fs
    .readdirSync(opts.dir)
    .filter((f) => /^\d{12}\.seg$/.test(f))
    .map((f) => Number(f.slice(0, 12)))
    .sort((a, b) => a - b);
  let committed: SpoolPos = { seq: segs[0] ?? 1, offset: 0 };
  try {
    const c = JSON.parse(fs.readFileSync(cursorFile, 'utf8')) as SpoolPos;
    if (segs.includes(c.seq)) committed = c;
  } catch {
    // no cursor yet: start at the first segment
  }
  // Segments before the committed one are done (a crash between commit and delete).
  for (const s of segs.filter((s) => s < committed.seq)) fs.rmSync(path.join(opts.dir, name(s)), { force: true });
  const live = segs.filter((s) => s >= committed.seq);
  let writeSeq = live.length ? live[live.length - 1] : committed.seq;
  let writeFd = fs.openSync(path.join(opts.dir, name(writeSeq)), 'a');
  let writeOffset = fs.fstatSync(writeFd).size;
  let bytes = live.reduce((n, s) => n + fs.statSync(path.join(opts.dir, name(s))).size, 0) - committed.offset;
  let readPos: SpoolPos = { ...committed };
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  const stats = { appended: 0, replayed: 0, corrupt: 0, full: 0 };
  if (bytes > 0) log.warn({ dir: opts.dir, bytes, segments: live.length }, 'spool holds undelivered messages: replaying them first');

  const flushTimer = setInterval(() => flush(false), opts.flushMs ?? 50);
  flushTimer.unref();
  const syncTimer = setInterval(() => flush(true), opts.fsyncMs ?? 1000);
  syncTimer.unref();

  function flush(sync = false): void {
    if (bufferedBytes > 0) {
      fs.writeSync(writeFd, Buffer.concat(buffered, bufferedBytes));
      buffered = [];
      bufferedBytes = 0;
    }
    if (sync) fs.fdatasyncSync(writeFd);
  }

  function saveCursor(): void {
    const tmp = `${cursorFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(committed));
    fs.renameSync(tmp, cursorFile);
  }

  return {
    append(rec) {
      const b = encode(rec);
      if (bytes + b.length > opts.maxBytes) {
        stats.full++;
        return false;
      }
      if (writeOffset + bufferedBytes > 0 && writeOffset + bufferedBytes + b.length > segmentBytes) {
        flush(true);
        fs.closeSync(writeFd);
        writeSeq++;
        writeFd = fs.openSync(path.join(opts.dir, name(writeSeq)), 'a');
        writeOffset = 0;
      }
      buffered.push(b);
      bufferedBytes += b.length;
      writeOffset += b.length;
      bytes += b.length;
      stats.appended++;
      return true;
    },
    read(max, maxBytes) {
      flush(false);
      const out: { rec: SpoolRecord; pos: SpoolPos }[] = [];
      let valueBytes = 0;
      while (out.length < max && valueBytes < maxBytes) {
        const file = path.join(opts.dir, name(readPos.seq));
        let size = 0;
        try {
          size = fs.statSync(file).size;
        } catch {
          size = 0;
        }
        if (readPos.offset >= size) {
          if (readPos.seq >= writeSeq) break; // caught up with the writer
          readPos = { seq: readPos.seq + 1, offset: 0 };
          continue;
        }
        const fd = fs.openSync(file, 'r');
        try {
          const chunk = Buffer.allocUnsafe(Math.min(size - readPos.offset, 4 << 20));
          const got = fs.readSync(fd, chunk, 0, chunk.length, readPos.offset);
          let o = 0;
          while (o + HDR <= got && out.length < max && valueBytes < maxBytes) {
            const n = chunk.readUInt32LE(o);
            if (o + HDR + n > got) {
              if (o === 0 && readPos.offset + HDR + n > size) {
                // A record cut by a crash mid-write: nothing after it in this segment is valid.
                stats.corrupt++;
                log.error({ segment: name(readPos.seq), offset: readPos.offset }, 'truncated spool record skipped');
                readPos = { seq: readPos.seq, offset: size };
              }
              break;
            }
            const payload = chunk.subarray(o + HDR, o + HDR + n);
            if (zlib.crc32(payload) !== chunk.readUInt32LE(o + 4)) {
              stats.corrupt++;
              log.error({ segment: name(readPos.seq), offset: readPos.offset + o }, 'spool record failed its checksum; rest of segment skipped');
              o = got;
              readPos = { seq: readPos.seq, offset: size };
              break;
            }
            o += HDR + n;
            const rec = decode(payload);
            valueBytes += rec.value.length;
            out.push({ rec, pos: { seq: readPos.seq, offset: readPos.offset + o } });
          }
          if (o > 0 && readPos.offset < size) readPos = { seq: readPos.seq, offset: readPos.offset + o };
          if (o === 0 && readPos.offset < size) break;
        } finally {
          fs.closeSync(fd);
        }
      }
      stats.replayed += out.length;
      return out;
    },
    commit(pos) {
      const before = committed.seq;
      committed = pos;
      saveCursor();
      for (let s = before; s < pos.seq; s++) fs.rmSync(path.join(opts.dir, name(s)), { force: true });
      // Recompute what is left: the bytes after the cursor in every live segment.
      let left = 0;
      for (let s = pos.seq; s <= writeSeq; s++) {
        try {
          left += fs.statSync(path.join(opts.dir, name(s))).size;
        } catch {
          // deleted
        }
      }
      bytes = left + bufferedBytes - pos.offset;
    },
    rewind() {
      readPos = { ...committed };
    },
    isEmpty() {
      return bytes <= 0 && bufferedBytes === 0;
    },
    flush,
    stats: () => ({ bytes: Math.max(0, bytes), segments: writeSeq - committed.seq + 1, ...stats }),
    close() {
      clearInterval(flushTimer);
      clearInterval(syncTimer);
      flush(true);
      fs.closeSync(writeFd);
      fs.rmSync(lockFile, { force: true });
    },
  };
}
