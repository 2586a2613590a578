/**
 * Where each field of the rules' language lives in an OpenSearch document, per event kind (as
 * search/sql-fields.ts says it for SQLite). A field is one or more cases: an optional guard (which
 * documents the case covers) and either a document path or a constant. `missing` says what a
 * document without the path holds for the language: '' or 0 (toEcs leaves empty values out), or
 * nothing (the field does not apply: every test is false, its negation true).
 */
import type { EventKind } from '../../../schemas/types';

export type Query = Record<string, unknown>;

export type Value =
  | { path: string; type: 'kw' | 'num' | 'bool' | 'ip'; missing?: string | number | boolean }
  | { const: string | number | boolean }
  /** A container id as the language has it, its first 12 characters: evaluated by a script. */
  | { short: string }
  /** From the stored process events (see lookup.ts). */
  | { lookup: 'cmdline' | 'pname' };

export interface Case {
  when?: Query;
  unless?: Query;
  value: Value;
}

const term = (path: string, value: string | number | boolean): Query => ({ term: { [path]: value } });
const kw = (path: string, missing?: string): Value => ({ path, type: 'kw', missing });
const num = (path: string, missing?: number): Value => ({ path, type: 'num', missing });
const bool = (path: string, missing?: boolean): Value => ({ path, type: 'bool', missing });
const one = (value: Value): Case[] => [{ value }];
const all = (cases: Case[]): Partial<Record<EventKind, Case[]>> => ({ file: cases, net: cases, process: cases });

const UNIX = term('ebpf_audit.net.family', 'unix');
const ACCEPT = { terms: { 'event.action': ['accept', 'accept4'] } };
const EXEC = term('event.action', 'exec');
/** Connects carry the remote end in destination.*, accepts in source.*. */
const remote = (field: 'ip' | 'port' | 'address', v: (p: string) => Value): Case[] => [
  { unless: ACCEPT, value: v(`destination.${field}`) },
  { when: ACCEPT, value: v(`source.${field}`) },
];
/** Falco's evt.failed: any negative result (an exit's code never is). */
const NEGATIVE = { range: { 'ebpf_audit.res': { lt: 0 } } };
const OPENS = { terms: { 'event.action': ['open', 'openat', 'openat2'] } };
const prefix = (path: string, v: string): Query => ({ prefix: { [path]: v } });
/** Open flags by name start with the access mode: O_RDONLY, O_WRONLY or O_RDWR. */
const WRITE = { bool: { filter: [OPENS], should: [prefix('ebpf_audit.file.flag_names', 'O_WRONLY'), prefix('ebpf_audit.file.flag_names', 'O_RDWR')], minimum_should_match: 1 } };
const READ = { bool: { filter: [OPENS], must_not: [prefix('ebpf_audit.file.flag_names', 'O_WRONLY')] } };
const HAS_CRED = { exists: { field: 'ebpf_audit.cred.old.uid' } };
const c = (w: 'old' | 'new', f: string): string => `ebpf_audit.cred.${w}.${f}`;
/** The real uid became 0, or the effective uid while neither the real nor the saved uid was 0. */
const TO_ROOT = {
  bool: {
    should: [
      { bool: { filter: [term(c('new', 'uid'), 0)], must_not: [term(c('old', 'uid'), 0)] } },
      { bool: { filter: [term(c('new', 'euid'), 0)], must_not: [term(c('old', 'euid'), 0), term(c('old', 'uid'), 0), term(c('old', 'suid'), 0)] } },
    ],
    minimum_should_match: 1,
  },
};
const HAS_CONTAINER = { exists: { field: 'container.id' } };
const boolCases = (q: Query, guard?: Query): Case[] => [
  { when: guard ? { bool: { filter: [guard, q] } } : q, value: { const: true } },
  { when: guard, unless: q, value: { const: false } },
];
const FILELESS = { bool: { should: [term('ebpf_audit.process.exe_from_memfd', true), term('ebpf_audit.process.exe_deleted', true)], minimum_should_match: 1 } };

/** Opens (creat too): a link has no flags, mode or open test; only links have a target. */
const OPENS_ALL = { terms: { 'event.action': ['open', 'openat', 'openat2', 'creat'] } };
const LINK = (value: Value): Case[] => [{ unless: OPENS_ALL, value }];
const OPEN = (value: Value): Case[] => [{ when: OPENS_ALL, value }];
/** Sockets with ends (fd.lip ...): IP sockets, not a fresh socket(). */
const INET = { terms: { 'ebpf_audit.net.family': ['inet', 'inet6'] } };
const HAS_ENDS = { bool: { filter: [INET], must_not: [term('event.action', 'socket')] } };
// The newer fields (document.ts indexNewer): a document without one holds its default.
const XP = 'ebpf_audit.process';
const CAPS = all(one(kw(`${XP}.cap_names`, '')));
const LOGINUID = all(one(num(`${XP}.loginuid`, -1)));
const UPPER = all(one(bool(`${XP}.exe_upper_layer`, false)));

const MAP: Record<string, Partial<Record<EventKind, Case[]>>> = {
  'evt.kind': { file: one({ const: 'file' }), net: one({ const: 'net' }), process: one({ const: 'process' }) },
  // evt.type tests arrive as the stored names (search/normalize.ts rewrites Falco's: execve -> exec).
  'evt.type': all(one(kw('event.action'))),
  // evt.res text tests arrive as tests of the number (search/normalize.ts).
  'evt.rawres': all(one(num('ebpf_audit.res'))),
  'evt.failed': all(boolCases(NEGATIVE)),
  'evt.errno': all(one(kw('error.code', ''))),
  'evt.is_open_write': { file: boolCases(WRITE, OPENS_ALL) },
  'evt.is_open_read': { file: boolCases(READ, OPENS_ALL) },
  'proc.pid': all(one(num('process.pid'))),
  'proc.tid': all(one(num('process.thread.id'))),
  'proc.ppid': all(one(num('process.parent.pid'))),
  'proc.uid': all(one(num('ebpf_audit.process.uid'))),
  'proc.euid': all(one(num('ebpf_audit.process.euid'))),
  'proc.gid': all(one(num('ebpf_audit.process.gid'))),
  'proc.egid': all(one(num('ebpf_audit.process.egid'))),
  'proc.name': all(one(kw('process.name'))),
  'proc.exepath': all(one(kw('process.executable', ''))),
  'proc.start': all(one(num('ebpf_audit.process.start_ns'))),
  'proc.exe_from_memfd': all(one(bool('ebpf_audit.process.exe_from_memfd'))),
  'proc.exe_deleted': all(one(bool('ebpf_audit.process.exe_deleted'))),
  'proc.exe_fileless': all([
    { when: FILELESS, value: { const: true } },
    { unless: FILELESS, value: { const: false } },
  ]),
  'proc.cmdline': all(one({ lookup: 'cmdline' })),
  'proc.pname': all(one({ lookup: 'pname' })),
  'proc.cwd': { process: [{ when: EXEC, value: kw('process.working_directory', '') }] },
  'file.path': { file: one(kw('file.path')) },
  'file.name': { file: one(kw('file.name')) },
  'file.directory': { file: one(kw('file.directory')) },
  'file.flags': { file: OPEN(kw('ebpf_audit.file.flag_names')) },
  'file.mode': { file: OPEN(num('ebpf_audit.file.mode')) },
  'net.dst_ip': {
    net: [
      { when: UNIX, value: { const: '' } },
      ...remote('ip', (p) => ({ path: p, type: 'ip', missing: '' })).map((c) => ({ ...c, unless: c.unless ? { bool: { should: [c.unless, UNIX] } } : UNIX })),
    ],
  },
  'net.dst_port': { net: remote('port', (p) => num(p, 0)) },
  'net.proto': { net: one(kw('network.transport', '')) },
  'net.family': { net: one(kw('ebpf_audit.net.family')) },
  'net.unix_path': {
    net: [{ unless: UNIX, value: { const: '' } }, ...remote('address', (p) => kw(p, '')).map((c) => ({ ...c, when: c.when ? { bool: { filter: [c.when, UNIX] } } : UNIX }))],
  },
  'host.name': all(one(kw('host.name'))),
  'host.id': all(one(kw('host.id'))),
  // As in Falco: 12 characters, "host" on the host (toEcs leaves the host's empty id out).
  'container.id': all([
    { unless: HAS_CONTAINER, value: { const: 'host' } },
    { when: HAS_CONTAINER, value: { short: 'container.id' } },
  ]),
  'container.full_id': all([
    { unless: HAS_CONTAINER, value: { const: 'host' } },
    { when: HAS_CONTAINER, value: kw('container.id') },
  ]),
  'proc.tty': all(one(num(`${XP}.tty`, 0))),
  'proc.loginuid': LOGINUID,
  'user.loginuid': LOGINUID,
  'proc.user': all(one(kw(`${XP}.user_name`, ''))),
  'user.name': all(one(kw(`${XP}.effective_user_name`))),
  'proc.loginuser': all(one(kw(`${XP}.login_user_name`, ''))),
  'user.loginname': all(one(kw(`${XP}.login_user_name`))),
  'proc.cap_effective': CAPS,
  'thread.cap_effective': CAPS,
  'proc.exe_upper_layer': UPPER,
  'proc.is_exe_upper_layer': UPPER,
  'user.uid': all(one(num(`${XP}.euid`))),
  'group.gid': all(one(num(`${XP}.egid`))),
  'thread.tid': all(one(num('process.thread.id'))),
  'file.target': { file: LINK(kw('ebpf_audit.file.target', '')) },
  'fs.path.source': { file: LINK(kw('ebpf_audit.file.target', '')) },
  'net.local_ip': { net: one({ path: 'ebpf_audit.net.local_ip', type: 'ip', missing: '' }) },
  'net.local_port': { net: one(num('ebpf_audit.net.local_port', 0)) },
  'net.socket_type': { net: one(kw('ebpf_audit.net.socket_type', '')) },
  'net.socket_protocol': { net: one(num('ebpf_audit.net.socket_protocol', 0)) },
  'net.fd': { net: one(num('ebpf_audit.net.fd')) },
  // No value without a local address: the test needs the field (no `missing`).
  'fd.lip': { net: [{ when: HAS_ENDS, value: { path: 'ebpf_audit.net.local_ip', type: 'ip' } }] },
  'fd.lport': { net: [{ when: { bool: { filter: [HAS_ENDS, { exists: { field: 'ebpf_audit.net.local_ip' } }] } }, value: num('ebpf_audit.net.local_port', 0) }] },
  'ptrace.request': { process: one(kw('ebpf_audit.ptrace.request')) },
  'ptrace.target_pid': { process: one(num('ebpf_audit.ptrace.target_pid')) },
  'module.path': { process: one(kw('ebpf_audit.module.path')) },
  'module.params': { process: one(kw('ebpf_audit.module.params')) },
  'evt.arg.request': { process: [{ when: term('event.action', 'ptrace'), value: kw('ebpf_audit.ptrace.request') }] },
  'evt.arg.uargs': { process: [{ when: { terms: { 'event.action': ['init_module', 'finit_module'] } }, value: kw('ebpf_audit.module.params') }] },
  // Falco's names over the same fields, where the engine gives them a value.
  'proc.is_exe_from_memfd': all(one(bool('ebpf_audit.process.exe_from_memfd'))),
  'evt.hostname': all(one(kw('host.name'))),
  'fd.nameraw': { file: OPEN(kw('file.path', '')) },
  'fs.path.nameraw': { file: LINK(kw('file.path', '')) },
  'fd.lnet': { net: [{ when: HAS_ENDS, value: { path: 'ebpf_audit.net.local_ip', type: 'ip' } }] },
  'fd.l4proto': { net: [{ when: INET, value: kw('network.transport', '') }] },
  'fd.sockfamily': {
    net: [
      { when: INET, value: { const: 'ip' } },
      { when: UNIX, value: { const: 'unix' } },
    ],
  },
  'fd.is_server': { net: boolCases(ACCEPT, HAS_ENDS) },
  'cred.changed': { process: one(bool('ebpf_audit.cred.changed')) },
  'cred.to_root': { process: boolCases(TO_ROOT, HAS_CRED) },
  'cred.caps_raised': { process: one(bool('ebpf_audit.cred.caps_raised')) },
};
for (const w of ['old', 'new'])
  for (const f of ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid']) MAP[`cred.${w}.${f}`] = { process: one(num(`ebpf_audit.cred.${w}.${f}`)) };

/**
 * String tests on net.dst_ip (startswith ...) read the address as text: for an IP connect that is
 * destination.address (source.address for accepts), which holds the text even when it is no valid IP.
 */
export const DST_IP_TEXT: Partial<Record<EventKind, Case[]>> = {
  net: [{ when: UNIX, value: { const: '' } }, ...remote('address', (p) => kw(p, '')).map((c) => ({ ...c, unless: c.unless ? { bool: { should: [c.unless, UNIX] } } : UNIX }))],
};

/** The field's cases for a kind; undefined: it does not apply to that kind. */
export function osField(name: string, kind: EventKind, forIpTest = true): Case[] | undefined {
  if (name === 'net.dst_ip' && !forIpTest) return DST_IP_TEXT[kind];
  return MAP[name]?.[kind];
}

export function osSearchable(name: string): boolean {
  return name in MAP;
}
