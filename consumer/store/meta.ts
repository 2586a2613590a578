/**
 * meta.db: the store's position in every Kafka partition (the next offset to read), the days it
 * has dropped and why. The days it holds are its day files: the directory is the list. The offsets are written after the day files' commits; the
 * day files' own watermarks make a batch that was committed there but not here a no-op when read
 * again (see store.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dayFileName, DAY_FILE, openMeta, type Db } from './day-db';

export interface Meta {
  offset(topic: string, partition: number): bigint | undefined;
  setOffsets(marks: { topic: string; partition: number; next: bigint }[]): void;
  /** Days with a file, oldest first. */
  days(): string[];
  dropDay(day: string, reason: string, bytes: number, rows: number): void;
  /** Events older than this (ns) belong to dropped days and are not stored again. */
  floorNs(): bigint;
  setFloor(ns: bigint): void;
  close(): void;
}

/** The days of a store directory, oldest first. */
export function listDays(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => DAY_FILE.exec(f)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
}

/** A day file's size on disk, its write-ahead log included. */
export function dayBytes(dir: string, day: string): number {
  let n = 0;
  for (const s of ['', '-wal']) {
    try {
      n += fs.statSync(path.join(dir, dayFileName(day) + s)).size;
    } catch {
      // no WAL (yet, or any more)
    }
  }
  return n;
}

export function openMetaStore(dir: string): Meta {
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const db: Db = openMeta(dir, { readonly: false });
  const offsets = new Map<string, bigint>();
  for (const r of db.prepare('SELECT topic, partition, next_offset FROM offsets').safeIntegers(true).all() as { topic: string; partition: bigint; next_offset: bigint }[]) {
    offsets.set(`${r.topic}\u0000${r.partition}`, r.next_offset);
  }
  const putOffset = db.prepare('INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset');
  const setOffsets = db.transaction((marks: { topic: string; partition: number; next: bigint }[]) => {
    for (const m of marks) putOffset.run(m.topic, m.partition, m.next);
  });
  const floorGet = db.prepare("SELECT value FROM meta WHERE key = 'floor_ns'").pluck().safeIntegers(true);
  const floorSet = db.prepare("INSERT INTO meta VALUES ('floor_ns', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  let floor = (floorGet.get() as bigint | undefined) ?? 0n;

  return {
    offset: (topic, partition) => offsets.get(`${topic}\u0000${partition}`),
    setOffsets(marks) {
      setOffsets(marks);
      for (const m of marks) offsets.set(`${m.topic}\u0000${m.partition}`, m.next);
    },
    days: () => listDays(dir),
    dropDay(day, reason, bytes, rows) {
      // The file goes first: the directory is the list of days, the log only says why.
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, dayFileName(day) + suffix), { force: true });
      db.prepare('INSERT INTO dropped VALUES (?, ?, ?, ?, ?)').run(day, BigInt(Date.now()) * 1_000_000n, reason, bytes, rows);
    },
    floorNs: () => floor,
    setFloor(ns) {
      if (ns <= floor) return;
      floor = ns;
      floorSet.run(ns);
    },
    close() {
      db.close();
    },
  };
}
