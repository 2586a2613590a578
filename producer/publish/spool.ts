/**
 * A disk spool for messages Kafka cannot take yet: append-only segment files, replayed in order
 * (framing in spool-record.ts).
 *
 * Writes go through a small buffer flushed every flushMs (and before any read, and whenever the
 * publisher moves its memory queue here), so a kill -9 loses at most that window of appends; the
 * kernel holds written data across a process crash (not across a power loss: fsync runs every
 * fsyncMs). A committed cursor (segment, offset), replaced atomically after Kafka acknowledges,
 * marks what is done; fully committed segments are deleted. Replay after a crash starts at the
 * cursor, so at most the last unacknowledged batch is sent twice.
 *
 * Damage is expected after a crash: a record cut mid-write, or bytes corrupted on disk. The reader
 * skips only the damaged bytes, resynchronising on the next record whose header and CRC hold;
 * each damaged stretch is counted and logged once with its segment and offset. A reopened spool
 * never appends to a segment a crashed writer may have left torn: it starts a new one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../common/logger';
import { lockSpoolDir, readCursor, writeCursor, type SpoolPos } from './spool-dir';
import { check, decodeRecord, encodeRecord, type SpoolRecord } from './spool-record';

export type { SpoolRecord } from './spool-record';
export { SpoolLockedError } from './spool-dir';

/** A position in the spool (segment, offset): committing the end of a record commits everything before it. */
export type { SpoolPos } from './spool-dir';

export interface SpoolStats {
  bytes: number;
  segments: number;
  appended: number;
  replayed: number;
  /** Damaged stretches skipped (torn or corrupted records). */
  corrupt: number;
  corruptBytes: number;
  /** Appends refused at the size cap. */
  full: number;
}

export interface Spool {
  /** Append; false when the size cap is reached (the caller counts a drop). */
  append(rec: SpoolRecord): boolean;
  /** Where the next append goes: committing it acknowledges everything appended so far. */
  end(): SpoolPos;
  /** The next records after those already handed out: up to max, and maxBytes of `weigh` (default: value bytes). */
  read(max: number, maxBytes: number, weigh?: (rec: SpoolRecord) => number): { rec: SpoolRecord; pos: SpoolPos }[];
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

const CHUNK = 4 << 20;
const name = (seq: number): string => `${String(seq).padStart(12, '0')}.seg`;
const cmp = (a: SpoolPos, b: SpoolPos): number => a.seq - b.seq || a.offset - b.offset;

export function openSpool(opts: SpoolOptions): Spool {
  const log = opts.logger.child({ component: 'spool' });
  const segmentBytes = opts.segmentBytes ?? 64 << 20;
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const lockFile = lockSpoolDir(opts.dir);
  const cursorFile = path.join(opts.dir, 'cursor.json');
  const file = (seq: number): string => path.join(opts.dir, name(seq));
  const segs = fs
    .readdirSync(opts.dir)
    .filter((f) => /^\d{12}\.seg$/.test(f))
    .map((f) => Number(f.slice(0, 12)))
    .sort((a, b) => a - b);
  /** Sizes of the segments before the one being written. */
  const sizes = new Map(segs.map((s) => [s, fs.statSync(file(s)).size]));
  const cursor = readCursor(cursorFile);
  let committed: SpoolPos =
    cursor && sizes.has(cursor.seq)
      ? { seq: cursor.seq, offset: Math.min(cursor.offset, sizes.get(cursor.seq)!) }
      : cursor && (segs.length === 0 || cursor.seq > segs[segs.length - 1])
        ? { seq: cursor.seq, offset: 0 }
        : { seq: segs[0] ?? 1, offset: 0 };
  // Segments before the committed one are done (a crash between commit and delete).
  for (const s of segs.filter((s) => s < committed.seq)) {
    fs.rmSync(file(s), { force: true });
    sizes.delete(s);
  }
  const last = segs.filter((s) => s >= committed.seq).pop();
  let writeSeq = last === undefined ? committed.seq : sizes.get(last) === 0 ? last : last + 1;
  sizes.delete(writeSeq);
  let writeFd = fs.openSync(file(writeSeq), 'a');
  /** Bytes in the write segment, buffered ones included. */
  let writeOffset = fs.fstatSync(writeFd).size;
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let readPos: SpoolPos = { ...committed };
  /** End of the last record handed out (committed when nothing is outstanding). */
  let handedEnd: SpoolPos = { ...committed };
  /** Damage before this position has been counted and logged already (a rewind reads it again). */
  let reportedTo: SpoolPos = { ...committed };
  let closed = false;
  const stats = { appended: 0, replayed: 0, corrupt: 0, corruptBytes: 0, full: 0 };

  const sizeOf = (seq: number): number => (seq === writeSeq ? writeOffset : (sizes.get(seq) ?? 0));
  function bytes(): number {
    let n = -committed.offset;
    for (let s = committed.seq; s <= writeSeq; s++) n += sizeOf(s);
    return n;
  }
  /** The end of a finished segment is the start of the next. */
  function normalize(p: SpoolPos): SpoolPos {
    while (p.seq < writeSeq && p.offset >= sizeOf(p.seq)) p = { seq: p.seq + 1, offset: 0 };
    return p;
  }
  if (bytes() > 0) log.warn({ dir: opts.dir, bytes: bytes(), segments: writeSeq - committed.seq }, 'spool holds undelivered messages: replaying them first');

  const flushTimer = setInterval(() => flush(false), opts.flushMs ?? 50);
  flushTimer.unref();
  const syncTimer = setInterval(() => flush(true), opts.fsyncMs ?? 1000);
  syncTimer.unref();

  function flush(sync = false): void {
    if (closed) return;
    if (bufferedBytes > 0) {
      fs.writeSync(writeFd, Buffer.concat(buffered, bufferedBytes));
      buffered = [];
      bufferedBytes = 0;
    }
    if (sync) fs.fdatasyncSync(writeFd);
  }

  function commitTo(pos: SpoolPos): void {
    const before = committed.seq;
    committed = normalize({ ...pos });
    if (cmp(readPos, committed) < 0) readPos = { ...committed };
    if (cmp(handedEnd, committed) < 0) handedEnd = { ...committed };
    writeCursor(cursorFile, committed);
    for (let s = before; s < committed.seq; s++) {
      fs.rmSync(file(s), { force: true });
      sizes.delete(s);
    }
  }

  function reportDamage(from: SpoolPos, toOffset: number): void {
    const to = { seq: from.seq, offset: toOffset };
    if (cmp(to, reportedTo) <= 0) return;
    reportedTo = to;
    stats.corrupt++;
    stats.corruptBytes += toOffset - from.offset;
    log.warn(
      { segment: name(from.seq), offset: from.offset, bytes: toOffset - from.offset, corrupt: stats.corrupt },
      'damaged spool data skipped (a record torn by a crash or corrupted on disk); the records around it are kept',
    );
  }

  function readChunk(pos: SpoolPos, length: number): Buffer {
    const fd = fs.openSync(file(pos.seq), 'r');
    try {
      const chunk = Buffer.allocUnsafe(length);
      return chunk.subarray(0, fs.readSync(fd, chunk, 0, length, pos.offset));
    } finally {
      fs.closeSync(fd);
    }
  }

  return {
    append(rec) {
      const b = encodeRecord(rec);
      if (bytes() + b.length > opts.maxBytes) {
        stats.full++;
        return false;
      }
      if (writeOffset > 0 && writeOffset + b.length > segmentBytes) {
        flush(true);
        fs.closeSync(writeFd);
        sizes.set(writeSeq, writeOffset);
        writeSeq++;
        writeFd = fs.openSync(file(writeSeq), 'a');
        writeOffset = 0;
      }
      buffered.push(b);
      bufferedBytes += b.length;
      writeOffset += b.length;
      stats.appended++;
      return true;
    },
    end: () => ({ seq: writeSeq, offset: writeOffset }),
    read(max, maxBytes, weigh = (r) => r.value.length) {
      flush(false);
      const out: { rec: SpoolRecord; pos: SpoolPos }[] = [];
      let valueBytes = 0;
      let damageFrom: SpoolPos | undefined;
      let need = 0;
      while (out.length < max && valueBytes < maxBytes) {
        readPos = normalize(readPos);
        const size = sizeOf(readPos.seq);
        if (readPos.offset >= size) break; // caught up with the writer
        const want = Math.min(size - readPos.offset, Math.max(CHUNK, need));
        const chunk = readChunk(readPos, want);
        need = 0;
        if (chunk.length < want && readPos.seq !== writeSeq) {
          sizes.set(readPos.seq, readPos.offset + chunk.length); // shorter than when it was opened
          continue;
        }
        let o = 0;
        while (o < chunk.length && out.length < max && valueBytes < maxBytes) {
          const c = check(chunk, o);
          if (c.kind === 'ok') {
            let rec: SpoolRecord | undefined;
            try {
              rec = decodeRecord(chunk.subarray(o + 8, o + c.length));
            } catch {
              rec = undefined; // its CRC held but its fields do not: damage all the same
            }
            if (rec) {
              if (damageFrom) reportDamage(damageFrom, readPos.offset + o);
              damageFrom = undefined;
              o += c.length;
              handedEnd = { seq: readPos.seq, offset: readPos.offset + o };
              out.push({ rec, pos: handedEnd });
              valueBytes += weigh(rec);
              continue;
            }
          } else if (c.kind === 'more' && readPos.offset + o + c.need <= size) {
            if (o === 0) need = c.need; // a record longer than a chunk: read it whole
            break;
          }
          // Not a record here (or one cut off by the segment's end): look one byte further.
          damageFrom ??= { seq: readPos.seq, offset: readPos.offset + o };
          o++;
        }
        readPos = { seq: readPos.seq, offset: readPos.offset + o };
        if (damageFrom && readPos.offset >= size) {
          reportDamage(damageFrom, size);
          damageFrom = undefined;
        }
      }
      // Only damage between the cursor and here, and nothing outstanding: that is done too.
      if (out.length === 0 && cmp(handedEnd, committed) === 0 && cmp(normalize(readPos), committed) > 0) commitTo(readPos);
      stats.replayed += out.length;
      return out;
    },
    commit(pos) {
      // The last record handed out: skip past any damage after it as well.
      commitTo(cmp(pos, handedEnd) === 0 && cmp(readPos, pos) > 0 ? readPos : pos);
    },
    rewind() {
      readPos = { ...committed };
      handedEnd = { ...committed };
    },
    isEmpty: () => bytes() <= 0,
    flush,
    stats: () => ({ bytes: Math.max(0, bytes()), segments: writeSeq - committed.seq + 1, ...stats }),
    close() {
      if (closed) return;
      clearInterval(flushTimer);
      clearInterval(syncTimer);
      flush(true);
      closed = true;
      fs.closeSync(writeFd);
      fs.rmSync(lockFile, { force: true });
    },
  };
}
