/**
 * Where each field of the rules' language lives in a day file's tables, per event kind. A field
 * is a dictionary column (its strings are tested in the dictionary, then matched by id through an
 * index), an address column, a host column, or an SQL expression over the row. A field that is
 * not listed for a kind does not apply to it; a field listed for no kind cannot be searched.
 */
import type { EventKind } from '../../schemas/types';
import { errnoName } from '../core/output/errno';
import { FLAG_NAMES } from '../rules/fields-fd';
import { capabilityNames } from '../rules/capabilities';
import { extRowValue, type ExtField, type ExtType } from './sql-ext';

export type SqlField =
  /** strings.id column; `fn` derives the tested text from the string `s` (file.name). */
  | { k: 'dict'; col: string; fn?: (s: string) => string; nullable?: true }
  | { k: 'addr'; col: string }
  /** A column of the hosts table. */
  | { k: 'host'; col: 'name' | 'host_id' }
  /** `nn`: a NOT NULL column (its tests need no NULL guard, so they can use an index). */
  | { k: 'num'; expr: string; nn?: true }
  | { k: 'bool'; expr: string }
  | { k: 'text'; expr: string }
  /** A value in the ext JSON (sql-ext.ts). */
  | ExtField;

/** The names the console prints (consumer/core/output/errno.ts), as SQL sees them. */
const ERRNO: Record<number, string> = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [i + 1, errnoName(i + 1)] as const).filter(([n, name]) => name !== String(n)));

/** evt.errno's failure (this project's: a connect in progress is not one). */
const FAILED = '(e.res < 0 AND e.res <> -115)';
/** Falco's evt.failed: any negative result (an exit's code never is). */
const FALCO_FAILED = '(e.res < 0)';
const OPENS = "e.type IN (SELECT id FROM strings WHERE s IN ('open', 'openat', 'openat2'))";
const ERRNO_NAME = `CASE -e.res ${Object.entries(ERRNO)
  .map(([n, s]) => `WHEN ${n} THEN '${s}'`)
  .join(' ')} ELSE CAST(-e.res AS TEXT) END`;
const FLAGS_TEXT = `(CASE e.flags & 3 WHEN 1 THEN 'O_WRONLY' WHEN 2 THEN 'O_RDWR' ELSE 'O_RDONLY' END${FLAG_NAMES.map(([b, n]) => ` || CASE WHEN e.flags & ${b} = ${b} THEN '|${n}' ELSE '' END`).join('')})`;

/** The directory part of a path with its slash: rtrim strips the trailing run of non-slash characters. */
const dirWithSlash = (s: string): string => `rtrim(${s}, replace(${s}, '/', ''))`;
const fileName = (s: string): string => `substr(${s}, length(${dirWithSlash(s)}) + 1)`;
const fileDir = (s: string): string => `substr(${s}, 1, max(length(${dirWithSlash(s)}) - 1, 1))`;

/**
 * proc.cmdline and proc.pname as the rule engine knows them when it reads events in time order:
 * from the process's (or parent's) last exec stored at or before the event, unless an exit came
 * after it. Lookups by the (host, pid) index of the day's process events.
 */
const LAST_EXEC_OR_EXIT = (pid: string): string =>
  `FROM proc_events p WHERE p.host = e.host AND p.pid = ${pid} AND p.time_ns <= e.time_ns AND p.type IN (SELECT id FROM strings WHERE s IN ('exec', 'exit')) ORDER BY p.time_ns DESC, p.id DESC LIMIT 1`;
/** Falco's command line of an exec row `x`: its name, then the arguments after argv[0]. */
const FALCO_CMDLINE = (x: string): string =>
  `(SELECT s FROM strings WHERE id = ${x}.comm) || CASE WHEN json_array_length(${x}.args) > 1 THEN substr(${x}.cmdline, length(json_extract(${x}.args, '$[0]')) + 1) ELSE '' END`;
const CMDLINE_LOOKUP = `(SELECT CASE WHEN p.cmdline IS NOT NULL AND p.start_ns = e.start_ns THEN ${FALCO_CMDLINE('p')} END ${LAST_EXEC_OR_EXIT('e.pid')})`;
/** The first ancestor the producer listed on the process's exec (`$.pid`, `$.comm`), from its ext JSON. */
const LISTED = (what: string): string => `json_extract((SELECT s FROM strings WHERE id = p.ext), '$.ancestors[0].${what}')`;
/**
 * The parent's name: its last exec's, else (no exec, or an exit since) the one the producer listed
 * at the process's exec when that is still the parent (process-tree.ts's ancestorOf). NULL (no
 * value) when neither is known: as in the engine, a test is then false.
 */
const PNAME = `coalesce((SELECT CASE WHEN p.cmdline IS NOT NULL THEN (SELECT s FROM strings WHERE id = p.comm) END ${LAST_EXEC_OR_EXIT('e.ppid')}),
  (SELECT CASE WHEN p.cmdline IS NOT NULL AND p.start_ns = e.start_ns AND ${LISTED('pid')} = e.ppid THEN ${LISTED('comm')} END ${LAST_EXEC_OR_EXIT('e.pid')}))`;

/** A value of the ext JSON at `path`, `dflt` (SQL) when the JSON leaves it out (its Avro default). */
const J =
  (path: string) =>
  (s: string): string =>
    `json_extract(${s}, '$.${path}')`;
const ext = (type: ExtType, path: string, dflt: string, o: Partial<ExtField> = {}): ExtField => ({
  k: 'ext',
  type,
  val: (s) => (dflt === 'NULL' ? J(path)(s) : `coalesce(${J(path)(s)}, ${dflt})`),
  dflt,
  ...o,
});
/** Present only when not '' (the engine's `x || undefined`). */
const nonEmpty = (path: string, o: Partial<ExtField> = {}): ExtField => ext('text', path, 'NULL', { val: (s) => `nullif(${J(path)(s)}, '')`, ...o });
const typeIn = (...types: string[]): string => `e.type IN (SELECT id FROM strings WHERE s IN (${types.map((t) => `'${t}'`).join(', ')}))`;
/** Opens (creat too), and links: the file events that are not opens (file.target, fs.path.*). */
const OPEN_ROW = typeIn('open', 'openat', 'openat2', 'creat');
const LINK = `NOT ${OPEN_ROW}`;
/** Sockets with ends (fd.lip ...): IP sockets, not a fresh socket(). */
const INET = "e.family IN (SELECT id FROM strings WHERE s IN ('inet', 'inet6'))";
const HAS_ENDS = `${INET} AND NOT ${typeIn('socket')}`;
/** Capability names as capabilities.ts prints them (bit order, spaces between), from the set `v`. */
const CAP_NAMES = (v: string): string =>
  `rtrim(${Array.from({ length: 64 }, (_, i) => `CASE WHEN (${v} >> ${i}) & 1 THEN '${capabilityNames(1n << BigInt(i))} ' ELSE '' END`).join(' || ')})`;
const CAPS: ExtField = ext('text', 'cap_effective', "''", {
  val: (s) => `(SELECT ${CAP_NAMES('v')} FROM (SELECT CAST(coalesce(${J('cap_effective')(s)}, '0') AS INTEGER) AS v))`,
});

type PerKind = Partial<Record<EventKind, SqlField>>;
const all = (f: SqlField): PerKind => ({ file: f, net: f, process: f });
const CRED_IDS = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'];
const CRED_NULL = (expr: string): string => `CASE WHEN e.old_uid IS NULL THEN NULL ELSE (${expr}) END`;

const MAP: Record<string, PerKind> = {
  'evt.kind': { file: { k: 'text', expr: "'file'" }, net: { k: 'text', expr: "'net'" }, process: { k: 'text', expr: "'process'" } },
  // evt.type tests arrive as the stored names (normalize.ts rewrites Falco's: execve -> exec).
  'evt.type': all({ k: 'dict', col: 'e.type' }),
  // evt.res text tests arrive as tests of the number (normalize.ts).
  'evt.rawres': all({ k: 'num', expr: 'e.res', nn: true }),
  'evt.failed': all({ k: 'bool', expr: FALCO_FAILED }),
  // An exit's code is never negative: its errno is "".
  'evt.errno': all({ k: 'text', expr: `CASE WHEN ${FAILED} THEN ${ERRNO_NAME} ELSE '' END` }),
  // No value on a link (not an open).
  'evt.is_open_write': { file: { k: 'bool', expr: `CASE WHEN ${OPEN_ROW} THEN (${OPENS} AND (e.flags & 3) IN (1, 2)) END` } },
  'evt.is_open_read': { file: { k: 'bool', expr: `CASE WHEN ${OPEN_ROW} THEN (${OPENS} AND (e.flags & 3) <> 1) END` } },
  'proc.pid': all({ k: 'num', expr: 'e.pid', nn: true }),
  'proc.tid': all({ k: 'num', expr: 'e.tid', nn: true }),
  'proc.ppid': all({ k: 'num', expr: 'e.ppid', nn: true }),
  'proc.uid': all({ k: 'num', expr: 'e.uid', nn: true }),
  'proc.euid': all({ k: 'num', expr: 'e.euid', nn: true }),
  'proc.gid': all({ k: 'num', expr: 'e.gid', nn: true }),
  'proc.egid': all({ k: 'num', expr: 'e.egid', nn: true }),
  'proc.name': all({ k: 'dict', col: 'e.comm' }),
  'proc.exepath': all({ k: 'dict', col: 'e.exe' }),
  'proc.exe_from_memfd': all({ k: 'bool', expr: '(e.exe_flags & 1) <> 0' }),
  'proc.exe_deleted': all({ k: 'bool', expr: '(e.exe_flags & 2) <> 0' }),
  'proc.exe_fileless': all({ k: 'bool', expr: 'e.exe_flags <> 0' }),
  'proc.start': all({ k: 'num', expr: 'e.start_ns', nn: true }),
  'proc.cmdline': {
    file: { k: 'text', expr: CMDLINE_LOOKUP },
    net: { k: 'text', expr: CMDLINE_LOOKUP },
    process: { k: 'text', expr: `CASE WHEN e.cmdline IS NOT NULL THEN ${FALCO_CMDLINE('e')} ELSE ${CMDLINE_LOOKUP} END` },
  },
  'proc.pname': all({ k: 'text', expr: PNAME }),
  'proc.cwd': { process: { k: 'dict', col: 'e.cwd', nullable: true } },
  'file.path': { file: { k: 'dict', col: 'e.path' } },
  'file.name': { file: { k: 'dict', col: 'e.path', fn: fileName } },
  'file.directory': { file: { k: 'dict', col: 'e.path', fn: fileDir } },
  // Opens only: a link has no flags or mode (its row's are 0).
  'file.flags': { file: { k: 'text', expr: `CASE WHEN ${OPEN_ROW} THEN ${FLAGS_TEXT} END` } },
  'file.mode': { file: { k: 'num', expr: `CASE WHEN ${OPEN_ROW} THEN e.mode END` } },
  'net.dst_ip': { net: { k: 'addr', col: 'e.dst' } },
  'net.dst_port': { net: { k: 'num', expr: 'e.dst_port', nn: true } },
  'net.proto': { net: { k: 'dict', col: 'e.proto' } },
  'net.family': { net: { k: 'dict', col: 'e.family' } },
  'net.unix_path': { net: { k: 'dict', col: 'e.unix_path' } },
  'host.name': all({ k: 'host', col: 'name' }),
  'host.id': all({ k: 'host', col: 'host_id' }),
  // As in Falco: 12 characters, "host" on the host.
  'container.id': all({ k: 'dict', col: 'e.container', fn: (x) => `CASE WHEN ${x} = '' THEN 'host' ELSE substr(${x}, 1, 12) END` }),
  'container.full_id': all({ k: 'dict', col: 'e.container', fn: (x) => `CASE WHEN ${x} = '' THEN 'host' ELSE ${x} END` }),
  // The newer fields, from the ext JSON (sql-ext.ts).
  'proc.tty': all(ext('num', 'tty', '0')),
  'proc.loginuid': all(ext('num', 'loginuid', '-1')),
  'user.loginuid': all(ext('num', 'loginuid', '-1')),
  'proc.user': all(ext('text', 'user_name', "''")),
  // The effective uid's name: the producer names the real uid; a setuid root program reads root.
  'user.name': all(nonEmpty('user_name', { when: 'e.uid = e.euid', otherwise: "CASE WHEN e.euid = 0 THEN 'root' END" })),
  'proc.loginuser': all(ext('text', 'login_user_name', "''")),
  'user.loginname': all(nonEmpty('login_user_name')),
  'proc.cap_effective': all(CAPS),
  'thread.cap_effective': all(CAPS),
  'proc.exe_upper_layer': all(ext('bool', 'exe_upper_layer', '0')),
  'proc.is_exe_upper_layer': all(ext('bool', 'exe_upper_layer', '0')),
  'user.uid': all({ k: 'num', expr: 'e.euid', nn: true }),
  'group.gid': all({ k: 'num', expr: 'e.egid', nn: true }),
  'thread.tid': all({ k: 'num', expr: 'e.tid', nn: true }),
  'file.target': { file: ext('text', 'target', "''", { when: LINK }) },
  'fs.path.source': { file: ext('text', 'target', "''", { when: LINK }) },
  'net.local_ip': { net: ext('ip', 'local_ip', "''") },
  'net.local_port': { net: ext('num', 'local_port', '0') },
  'net.socket_type': { net: ext('text', 'socket_type', "''") },
  'net.socket_protocol': { net: ext('num', 'socket_protocol', '0') },
  'net.fd': { net: { k: 'num', expr: 'e.fd', nn: true } },
  'fd.lip': { net: ext('ip', 'local_ip', 'NULL', { val: (s) => `nullif(${J('local_ip')(s)}, '')`, when: HAS_ENDS }) },
  'fd.lport': { net: ext('num', 'local_port', 'NULL', { val: (s) => `CASE WHEN ${J('local_ip')(s)} <> '' THEN coalesce(${J('local_port')(s)}, 0) END`, when: HAS_ENDS }) },
  'ptrace.request': { process: ext('text', 'ptrace.request', 'NULL') },
  'ptrace.target_pid': { process: ext('num', 'ptrace.target_pid', 'NULL') },
  'module.path': { process: ext('text', 'module.path', 'NULL') },
  'module.params': { process: ext('text', 'module.params', 'NULL') },
  // Falco's argument names (fields-args.ts): the same values, on the event types that have them.
  'evt.arg.request': { process: ext('text', 'ptrace.request', 'NULL', { when: typeIn('ptrace') }) },
  'evt.arg.uargs': { process: ext('text', 'module.params', 'NULL', { when: typeIn('init_module', 'finit_module') }) },
  // Falco's names over the same columns, where the engine gives them a value.
  'proc.is_exe_from_memfd': all({ k: 'bool', expr: '(e.exe_flags & 1) <> 0' }),
  'evt.hostname': all({ k: 'host', col: 'name' }),
  'fd.nameraw': { file: { k: 'text', expr: `CASE WHEN ${OPEN_ROW} THEN (SELECT s FROM strings WHERE id = e.path) END` } },
  'fs.path.nameraw': { file: { k: 'text', expr: `CASE WHEN ${LINK} THEN (SELECT s FROM strings WHERE id = e.path) END` } },
  'fd.lnet': { net: ext('ip', 'local_ip', 'NULL', { val: (s) => `nullif(${J('local_ip')(s)}, '')`, when: HAS_ENDS }) },
  'fd.l4proto': { net: { k: 'text', expr: `CASE WHEN ${INET} THEN (SELECT s FROM strings WHERE id = e.proto) END` } },
  'fd.sockfamily': { net: { k: 'text', expr: `CASE WHEN ${INET} THEN 'ip' WHEN e.family IN (SELECT id FROM strings WHERE s = 'unix') THEN 'unix' END` } },
  'fd.is_server': { net: { k: 'bool', expr: `CASE WHEN ${HAS_ENDS} THEN ${typeIn('accept', 'accept4')} END` } },
  'cred.changed': {
    process: {
      k: 'bool',
      expr: CRED_NULL([...CRED_IDS, 'cap_eff', 'cap_perm'].map((f) => `e.old_${f} <> e.new_${f}`).join(' OR ')),
    },
  },
  'cred.to_root': { process: { k: 'bool', expr: CRED_NULL('(e.new_uid = 0 AND e.old_uid <> 0) OR (e.new_euid = 0 AND e.old_euid <> 0 AND e.old_uid <> 0 AND e.old_suid <> 0)') } },
  'cred.caps_raised': { process: { k: 'bool', expr: CRED_NULL('(e.new_cap_eff & ~e.old_cap_eff) <> 0') } },
};
for (const w of ['old', 'new']) for (const f of CRED_IDS) MAP[`cred.${w}.${f}`] = { process: { k: 'num', expr: `e.${w}_${f}` } };

/** The field's place for a kind; undefined: the field is not searchable at all (see `searchable`). */
export function sqlField(name: string, kind: EventKind): SqlField | undefined {
  return MAP[name]?.[kind];
}

export function searchable(name: string): boolean {
  return name in MAP;
}

/** Why the stores cannot search a field the engine has (for the exit-2 error), by family. */
const WHY_NOT: [RegExp, string][] = [
  [/^evt\.(time|datetime|rawtime)/, 'time is selected with --since and --until'],
  [/^evt\.(num|args|is_open_exec|dir|source)$/, 'the engine derives it while reading the stream; no store keeps it'],
  [/^proc\.(exe|args|exeline|cmdnargs|cmdlenargs)$/, 'argv is kept on exec events only; use proc.cmdline'],
  [
    /^proc\.(pexe|pexepath|pcmdline|ppid\.duration|duration|pid\.ts)$|^proc\.a|^thread\.ismain$/,
    'the engine derives it from the process tree or several values per event; use proc.pname, proc.cmdline or --rule (retro-hunt)',
  ],
  [
    /^fd\.|^fs\.path\.(name|target)$/,
    "the engine derives it from the socket's two ends or the normalized path per event type; use net.dst_ip, net.local_ip, fd.lip, fd.lport, file.path or fd.nameraw",
  ],
  [/^evt\.(raw)?arg/, 'of the arguments the stores search evt.arg.request and evt.arg.uargs; the result is evt.rawres'],
];

/** The reason a field is not searchable, for `field "x" cannot be searched in the store: <reason>`. */
export function notSearchableReason(name: string): string {
  const why = WHY_NOT.find(([re]) => re.test(name))?.[1];
  return why ? `no column holds it (${why}); tail --where and detect take it` : 'no column holds it; tail --where and detect take it';
}

/**
 * How `--top` groups by a field: the SQL expression of the group key, and how a key becomes the
 * value shown (a dictionary or host id is looked up after grouping, which keeps groups small).
 */
export function groupKey(name: string, kind: EventKind): { expr: string; label: 'str' | 'addr' | 'host_name' | 'host_id' | 'raw' } | undefined {
  const f = sqlField(name, kind);
  if (!f) return undefined;
  switch (f.k) {
    case 'dict':
      return f.fn ? { expr: f.fn(`(SELECT s FROM strings WHERE id = ${f.col})`), label: 'raw' } : { expr: f.col, label: 'str' };
    case 'addr':
      return { expr: f.col, label: 'addr' };
    case 'host':
      return { expr: 'e.host', label: f.col === 'name' ? 'host_name' : 'host_id' };
    case 'ext':
      return { expr: extRowValue(f), label: 'raw' };
    default:
      return { expr: f.expr, label: 'raw' };
  }
}
