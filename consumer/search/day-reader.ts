/**
 * A day file opened read-only for search: the connection (with the functions search's SQL uses),
 * dictionary lookups cached per file, events rebuilt from rows, and the id ranges of the time
 * index for a time window.
 */
import Database from 'better-sqlite3';
import * as path from 'node:path';
import type { AuditEvent, EventKind, Host } from '../../schemas/types';
import { dayEndNs, dayFileName, dayStartNs } from '../store/day-db';
import { ipv4Text } from '../../common/ipv4';
import { addrBytes, fromRow, type Resolver } from '../store/rows';
import { BLOCK_SHIFT, SCHEMA_VERSION, TABLES } from '../store/schema';

export interface DayReader {
  readonly day: string;
  readonly db: Database.Database;
  readonly startNs: bigint;
  readonly endNs: bigint;
  resolver: Resolver;
  event(kind: EventKind, row: Record<string, unknown>): AuditEvent;
  /** `e.id` ranges holding every row of a table with a time in [since, until]; undefined: the whole table. */
  idRanges(kind: EventKind, sinceNs: bigint, untilNs: bigint): [bigint, bigint][] | undefined;
  /**
   * The blocks (`id >> BLOCK_SHIFT`, see schema.ts) of a table's rows, or of those id ranges, as an
   * SQL list: with it, a lookup by a block-led index probes each block. '' when the table is empty.
   */
  blocks(kind: EventKind, ranges?: [bigint, bigint][]): string;
  close(): void;
}

/** Beyond this many id ranges, the closest ones are merged (the time test keeps the answer exact). */
const MAX_RANGES = 32;

export function openDayReader(dir: string, day: string): DayReader {
  const file = path.join(dir, dayFileName(day));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get();
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file}: store schema version ${String(version)}, this program reads version ${SCHEMA_VERSION}`);
  }
  db.pragma('cache_size = -65536');
  // icontains folds case as JavaScript does (SQLite's lower() folds ASCII only). Runs on
  // dictionary strings, not on event rows.
  db.function('ea_lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  // Addresses kept as text in the ext JSON (net.local_ip) as 16-byte keys, for range tests.
  db.function('ea_addr', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? addrBytes(s) : null));
  const str = db.prepare('SELECT s FROM strings WHERE id = ?').pluck();
  const addr = db.prepare('SELECT ip FROM addrs WHERE id = ?').pluck();
  const host = db.prepare('SELECT host_id AS id, name, boot_id FROM hosts WHERE id = ?');
  const blocks = db.prepare('SELECT first_id, last_id FROM blocks WHERE tbl = ? AND max_ns >= ? AND min_ns <= ? ORDER BY first_id').raw().safeIntegers(true);
  const maxId = Object.fromEntries(Object.entries(TABLES).map(([k, t]) => [k, db.prepare(`SELECT max(id) FROM ${t}`).pluck()]));
  const strs = new Map<number, string>();
  const addrs = new Map<number, string>();
  const hosts = new Map<number, Host>();
  const cached = <V>(m: Map<number, V>, id: number, get: () => V): V => {
    let v = m.get(id);
    if (v === undefined) {
      v = get();
      if (m.size > 100_000) m.clear();
      m.set(id, v);
    }
    return v;
  };
  const resolver: Resolver = {
    str: (id) => cached(strs, id, () => (str.get(id) as string | undefined) ?? ''),
    addr: (v) => (v >= 0 ? ipv4Text(v) : cached(addrs, -v, () => (addr.get(-v) as string | undefined) ?? '')),
    host: (id) => cached(hosts, id, () => (host.get(id) as Host | undefined) ?? { id: '', name: '', boot_id: '' }),
  };
  const startNs = dayStartNs(day);
  const endNs = dayEndNs(day);
  return {
    day,
    db,
    startNs,
    endNs,
    resolver,
    event: (kind, row) => fromRow(kind, row as Record<string, bigint | string | null>, resolver),
    idRanges(kind, sinceNs, untilNs) {
      // Every event of the file has a time in its day: a window over the whole day needs no ranges.
      if (sinceNs <= startNs && untilNs >= endNs - 1n) return undefined;
      const rows = blocks.all(TABLES[kind], sinceNs, untilNs) as [bigint, bigint][];
      const merged: [bigint, bigint][] = [];
      for (const [a, b] of rows) {
        const last = merged[merged.length - 1];
        if (last && a <= last[1] + 1n) last[1] = b > last[1] ? b : last[1];
        else merged.push([a, b]);
      }
      while (merged.length > MAX_RANGES) {
        let best = 0;
        for (let i = 1; i < merged.length - 1; i++) if (merged[i + 1][0] - merged[i][1] < merged[best + 1][0] - merged[best][1]) best = i;
        merged.splice(best, 2, [merged[best][0], merged[best + 1][1]]);
      }
      return merged;
    },
    blocks(kind, ranges) {
      const out = new Set<number>();
      if (ranges) {
        for (const [a, b] of ranges) for (let i = Number(a >> BigInt(BLOCK_SHIFT)); i <= Number(b >> BigInt(BLOCK_SHIFT)); i++) out.add(i);
      } else {
        const max = maxId[kind].get() as number | null;
        if (max !== null) for (let i = 0; i <= Math.floor(max / 2 ** BLOCK_SHIFT); i++) out.add(i);
      }
      return [...out].join(', ');
    },
    close: () => db.close(),
  };
}
