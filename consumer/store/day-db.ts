/**
 * Opening the store's files: a day file (`events-YYYY-MM-DD.db`) or meta.db, with the pragmas every
 * connection needs. Writers create the schema; readers open read-only and never create a file.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { DAY_DDL, DAY_VIEWS, META_DDL, SCHEMA_VERSION } from './schema';

export type Db = Database.Database;

const NS_PER_DAY = 86_400_000_000_000n;

let cached = { start: 0n, end: 0n, day: '' };

/** "2026-11-24": the UTC day of a time in ns since the epoch (the last day asked is remembered). */
export function dayOf(timeNs: bigint): string {
  if (timeNs >= cached.start && timeNs < cached.end) return cached.day;
  const day = new Date(Number(timeNs / 1_000_000n)).toISOString().slice(0, 10);
  cached = { start: dayStartNs(day), end: dayEndNs(day), day };
  return day;
}

/** The first ns of a day ("2026-11-24"). */
export function dayStartNs(day: string): bigint {
  return BigInt(Date.parse(`${day}T00:00:00Z`)) * 1_000_000n;
}

export function dayEndNs(day: string): bigint {
  return dayStartNs(day) + NS_PER_DAY;
}

export const dayFileName = (day: string): string => `events-${day}.db`;
export const DAY_FILE = /^events-(\d{4}-\d{2}-\d{2})\.db$/;
export const META_FILE = 'meta.db';

function pragmas(db: Db, readonly: boolean): void {
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a commit survives a killed process (the exactly-once promise); only a power
    // loss can take back the last commits, and then the offsets go back with them.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('temp_store = MEMORY');
  // A reader waits for a checkpoint rather than failing; a writer is the only one of its kind.
  db.pragma('busy_timeout = 5000');
}

export function openDay(dir: string, day: string, opts: { readonly: boolean }): Db {
  const file = path.join(dir, dayFileName(day));
  const db = new Database(file, { readonly: opts.readonly, fileMustExist: opts.readonly });
  pragmas(db, opts.readonly);
  if (!opts.readonly) {
    // 64 MiB of page cache: the indexes' pages that random inserts touch stay in memory (with
    // SQLite's default 16 MiB, a day of a busy fleet re-reads them from the OS for every commit).
    db.pragma('cache_size = -65536');
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID');
    const v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as number | undefined;
    if (v !== undefined && v !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`${file}: store schema version ${v}, this program writes version ${SCHEMA_VERSION}`);
    }
    db.exec(DAY_DDL);
    db.exec(DAY_VIEWS);
    db.prepare('INSERT OR IGNORE INTO meta VALUES (?, ?), (?, ?)').run('day', day, 'schema_version', SCHEMA_VERSION);
  }
  return db;
}

export function openMeta(dir: string, opts: { readonly: boolean }): Db {
  const db = new Database(path.join(dir, META_FILE), { readonly: opts.readonly, fileMustExist: opts.readonly });
  pragmas(db, opts.readonly);
  if (!opts.readonly) {
    db.exec(META_DDL);
    const v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as number | undefined;
    if (v !== undefined && v !== SCHEMA_VERSION) throw new Error(`${dir}: store schema version ${v}, this program writes version ${SCHEMA_VERSION}`);
    db.prepare("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
  }
  return db;
}
