/**
 * The store's SQLite layout. One database file per UTC day of event time (`events-YYYY-MM-DD.db`),
 * self-contained so that retention drops a day by deleting its file, and one small `meta.db` with
 * the Kafka offsets and the list of days.
 *
 * A day file holds one table per event kind (no column is NULL for most rows: SQLite spends a
 * header byte on every NULL), dictionary tables for strings that repeat (hosts, command names,
 * executables, paths, containers, types) and addresses, the alerts raised on that day, a process
 * table (one row per process seen that day: lineage and command lines), block ranges that serve as
 * a compact time index (ids are assigned in arrival order, which is nearly time order), and the
 * Kafka watermarks that make replays exactly-once. Views with readable columns are for people
 * using `sqlite3`.
 */

// 3: the ext column (consumer/store/extension.ts). 4: IPv4 addresses as numbers in the rows,
// block-led indexes (below). Older stores are refused by name (meta.db and each day file).
export const SCHEMA_VERSION = 4;

/**
 * Event-table indexes on random keys (host and pid, path, address) lead with the row's block,
 * `id >> BLOCK_SHIFT` (65,536 rows): ids grow with arrival, so new entries go into the newest
 * block's small part of each index instead of anywhere in it. A commit then dirties a few pages
 * per index, not most of them (the cost of an index insert stays flat as a day grows; 3x cheaper
 * at 3M rows), and a lookup probes each block of the day (`BLOCK` IN (...): ~150 probes for 10M
 * rows, well under a millisecond).
 */
export const BLOCK_SHIFT = 16;
/** The block expression as search writes it (SQLite matches it to the indexes' expression). */
export const BLOCK = `(e.id >> ${BLOCK_SHIFT})`;
/** Per table, the columns whose index leads with the block (search adds `BLOCK IN (...)` to use it). */
export const BLOCK_INDEXED: Record<'file' | 'net' | 'process', readonly string[]> = { file: ['e.host', 'e.path'], net: ['e.host', 'e.dst'], process: [] };

/** Columns every event table starts with, in insert order (see rows.ts). */
export const COMMON_COLUMNS = [
  'time_ns',
  'host',
  'type',
  'pid',
  'tid',
  'ppid',
  'uid',
  'gid',
  'euid',
  'egid',
  'comm',
  'exe',
  'start_ns',
  'cgroup_id',
  'container',
  'ktime_ns',
  'res',
  'exe_flags',
] as const;

export const KIND_COLUMNS = {
  file: ['path', 'flags', 'mode', 'dirfd', 'truncated', 'ext'],
  net: ['family', 'proto', 'dst', 'dst_port', 'unix_path', 'fd', 'ext'],
  process: [
    'filename',
    'cwd',
    'cmdline',
    'args',
    'exit_code',
    'signal',
    'truncated',
    'old_uid',
    'old_euid',
    'old_suid',
    'old_fsuid',
    'old_gid',
    'old_egid',
    'old_sgid',
    'old_fsgid',
    'old_cap_eff',
    'old_cap_perm',
    'new_uid',
    'new_euid',
    'new_suid',
    'new_fsuid',
    'new_gid',
    'new_egid',
    'new_sgid',
    'new_fsgid',
    'new_cap_eff',
    'new_cap_perm',
    'ext',
  ],
} as const;

export const TABLES = { file: 'file_events', net: 'net_events', process: 'proc_events' } as const;

const COMMON_DDL = `
  id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,      -- wall clock, ns since the epoch (UTC)
  host INTEGER NOT NULL,         -- hosts.id
  type INTEGER NOT NULL,         -- strings.id: openat, connect, exec ...
  pid INTEGER NOT NULL, tid INTEGER NOT NULL, ppid INTEGER NOT NULL,
  uid INTEGER NOT NULL, gid INTEGER NOT NULL, euid INTEGER NOT NULL, egid INTEGER NOT NULL,
  comm INTEGER NOT NULL,         -- strings.id
  exe INTEGER NOT NULL,          -- strings.id ('' when unknown)
  start_ns INTEGER NOT NULL,     -- process start, ns since boot
  cgroup_id INTEGER NOT NULL,
  container INTEGER NOT NULL,    -- strings.id ('' on the host)
  ktime_ns INTEGER NOT NULL,     -- kernel time, ns since boot
  -- res: fd, 0 or -errno; exit: the exit code; other process events: 0
  res INTEGER NOT NULL,
  -- exe_flags: 1 the executable is a memfd, 2 it has no name on disk (deleted)
  exe_flags INTEGER NOT NULL`;

/** DDL of a day file. Page size 4096, WAL; indexes chosen for the queries search runs. */
export const DAY_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS strings (id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);
-- Addresses that are not a dotted-quad IPv4 (those are stored as numbers in the rows).
CREATE TABLE IF NOT EXISTS addrs (id INTEGER PRIMARY KEY, ip TEXT NOT NULL UNIQUE, bin BLOB);
CREATE INDEX IF NOT EXISTS addrs_bin ON addrs(bin) WHERE bin IS NOT NULL;
CREATE TABLE IF NOT EXISTS hosts (id INTEGER PRIMARY KEY, host_id TEXT NOT NULL, name TEXT NOT NULL, boot_id TEXT NOT NULL, UNIQUE (host_id, name, boot_id));

CREATE TABLE IF NOT EXISTS file_events (${COMMON_DDL},
  path INTEGER NOT NULL,         -- strings.id
  flags INTEGER NOT NULL, mode INTEGER NOT NULL, dirfd INTEGER NOT NULL, truncated INTEGER NOT NULL,
  ext INTEGER);                  -- strings.id: the newer fields as JSON (consumer/store/extension.ts), NULL if all default
CREATE INDEX IF NOT EXISTS file_events_host_pid ON file_events(id >> ${BLOCK_SHIFT}, host, pid);
CREATE INDEX IF NOT EXISTS file_events_exe ON file_events(exe);
CREATE INDEX IF NOT EXISTS file_events_path ON file_events(id >> ${BLOCK_SHIFT}, path);

CREATE TABLE IF NOT EXISTS net_events (${COMMON_DDL},
  family INTEGER NOT NULL,       -- strings.id: inet, inet6, unix
  proto INTEGER NOT NULL,        -- strings.id: tcp, udp ...
  -- remote address (peer for accepts): an IPv4 address (dotted quad) as its 32-bit number (>= 0);
  -- any other (IPv6, '' for unix) as minus its addrs.id (< 0)
  dst INTEGER NOT NULL,
  dst_port INTEGER NOT NULL,
  unix_path INTEGER NOT NULL,    -- strings.id
  fd INTEGER NOT NULL,
  ext INTEGER);                  -- strings.id: the newer fields as JSON, NULL if all default
CREATE INDEX IF NOT EXISTS net_events_host_pid ON net_events(id >> ${BLOCK_SHIFT}, host, pid);
CREATE INDEX IF NOT EXISTS net_events_exe ON net_events(exe);
CREATE INDEX IF NOT EXISTS net_events_dst ON net_events(id >> ${BLOCK_SHIFT}, dst);

CREATE TABLE IF NOT EXISTS proc_events (${COMMON_DDL},
  filename INTEGER,              -- exec: strings.id of the path passed to execve
  cwd INTEGER,                   -- exec: strings.id
  cmdline TEXT,                  -- exec: argv joined by spaces
  args TEXT,                     -- exec: argv as a JSON array
  exit_code INTEGER, signal INTEGER, truncated INTEGER NOT NULL,
  old_uid INTEGER, old_euid INTEGER, old_suid INTEGER, old_fsuid INTEGER, old_gid INTEGER, old_egid INTEGER, old_sgid INTEGER, old_fsgid INTEGER, old_cap_eff INTEGER, old_cap_perm INTEGER,
  new_uid INTEGER, new_euid INTEGER, new_suid INTEGER, new_fsuid INTEGER, new_gid INTEGER, new_egid INTEGER, new_sgid INTEGER, new_fsgid INTEGER, new_cap_eff INTEGER, new_cap_perm INTEGER,
  ext INTEGER);                  -- strings.id: the newer fields as JSON, NULL if all default
CREATE INDEX IF NOT EXISTS proc_events_host_pid ON proc_events(host, pid);
CREATE INDEX IF NOT EXISTS proc_events_exe ON proc_events(exe);

-- Time index: the id range and time range of the rows each commit added to a table.
-- (proc_events keeps a plain (host, pid) index: few rows, and proc.cmdline looks it up per row.)
CREATE TABLE IF NOT EXISTS blocks (tbl TEXT NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL, min_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_time ON blocks(tbl, max_ns);

-- One row per process seen this day (keyed by host, pid and start time: pid reuse is told apart).
CREATE TABLE IF NOT EXISTS processes (
  host INTEGER NOT NULL, pid INTEGER NOT NULL, start_ns INTEGER NOT NULL,
  ppid INTEGER NOT NULL, uid INTEGER NOT NULL,
  comm INTEGER NOT NULL, exe INTEGER NOT NULL,   -- strings.id, as first seen (after an exec: the new ones)
  first_ns INTEGER NOT NULL,                     -- first event of it stored this day
  exec_ns INTEGER, cmdline TEXT, cwd INTEGER,    -- its last exec, when seen
  exit_ns INTEGER, exit_code INTEGER, signal INTEGER,
  PRIMARY KEY (host, pid, start_ns)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS processes_parent ON processes(host, ppid);

CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL, host INTEGER NOT NULL,
  rule_id TEXT NOT NULL, severity TEXT NOT NULL, description TEXT NOT NULL, message TEXT NOT NULL,
  tags TEXT NOT NULL,            -- JSON array
  count INTEGER NOT NULL,
  ev_kind TEXT NOT NULL,         -- the triggering event: its table is file_events, net_events or proc_events
  ev_time_ns INTEGER NOT NULL, ev_pid INTEGER NOT NULL, ev_tid INTEGER NOT NULL, ev_ktime_ns INTEGER NOT NULL,
  event TEXT NOT NULL);          -- the triggering event as JSON (as tail --output json prints it)
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time_ns);
CREATE INDEX IF NOT EXISTS alerts_proc ON alerts(host, ev_pid);

-- Kafka positions whose messages are in this file: a message at an offset below its partition's
-- watermark is here already and is skipped when read again.
CREATE TABLE IF NOT EXISTS watermarks (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
`;

const COMMON_VIEW = `e.id, e.time_ns, h.host_id, h.name AS host_name, t.s AS type, e.pid, e.tid, e.ppid, e.uid, e.gid, e.euid, e.egid,
  c.s AS comm, x.s AS exe, e.start_ns, e.cgroup_id, k.s AS container_id, e.ktime_ns, e.res, e.exe_flags`;
const COMMON_JOINS = (t: string): string => `FROM ${t} e JOIN hosts h ON h.id = e.host JOIN strings t ON t.id = e.type JOIN strings c ON c.id = e.comm
  JOIN strings x ON x.id = e.exe JOIN strings k ON k.id = e.container`;

/** Views for people: readable columns; search reads the tables. */
export const DAY_VIEWS = `
CREATE VIEW IF NOT EXISTS file_events_v AS SELECT ${COMMON_VIEW}, p.s AS path, e.flags, e.mode, e.dirfd, e.truncated
  ${COMMON_JOINS('file_events')} JOIN strings p ON p.id = e.path;
CREATE VIEW IF NOT EXISTS net_events_v AS SELECT ${COMMON_VIEW}, f.s AS family, pr.s AS proto,
  CASE WHEN e.dst >= 0 THEN (e.dst >> 24) || '.' || ((e.dst >> 16) & 255) || '.' || ((e.dst >> 8) & 255) || '.' || (e.dst & 255) ELSE a.ip END AS dst_ip, e.dst_port, u.s AS unix_path, e.fd
  ${COMMON_JOINS('net_events')} JOIN strings f ON f.id = e.family JOIN strings pr ON pr.id = e.proto LEFT JOIN addrs a ON a.id = -e.dst JOIN strings u ON u.id = e.unix_path;
CREATE VIEW IF NOT EXISTS proc_events_v AS SELECT ${COMMON_VIEW}, fn.s AS filename, cw.s AS cwd, e.cmdline, e.args, e.exit_code, e.signal, e.truncated,
  e.old_uid, e.old_euid, e.new_uid, e.new_euid, e.old_gid, e.old_egid, e.new_gid, e.new_egid, e.old_cap_eff, e.new_cap_eff
  ${COMMON_JOINS('proc_events')} LEFT JOIN strings fn ON fn.id = e.filename LEFT JOIN strings cw ON cw.id = e.cwd;
CREATE VIEW IF NOT EXISTS events_v AS
  SELECT 'file' AS kind, id, time_ns, host_name, type, pid, comm, exe, path AS detail FROM file_events_v
  UNION ALL SELECT 'net', id, time_ns, host_name, type, pid, comm, exe, CASE WHEN family = 'unix' THEN unix_path ELSE dst_ip || ':' || dst_port END FROM net_events_v
  UNION ALL SELECT 'process', id, time_ns, host_name, type, pid, comm, exe, coalesce(cmdline, 'exit ' || exit_code) FROM proc_events_v;
CREATE VIEW IF NOT EXISTS processes_v AS SELECT h.name AS host_name, p.pid, p.start_ns, p.ppid, p.uid, c.s AS comm, x.s AS exe, p.first_ns, p.exec_ns, p.cmdline,
  p.exit_ns, p.exit_code, p.signal FROM processes p JOIN hosts h ON h.id = p.host JOIN strings c ON c.id = p.comm JOIN strings x ON x.id = p.exe;
`;

/** meta.db: where the store is in each partition, and which days it has dropped. */
export const META_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dropped (day TEXT NOT NULL, dropped_ns INTEGER NOT NULL, reason TEXT NOT NULL, bytes INTEGER NOT NULL, rows INTEGER NOT NULL);
`;
