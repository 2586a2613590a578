import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { toEcs } from '../../consumer/core/output/json';
import type { Alert } from '../../consumer/rules/engine';
import { alertFromDocument, alertId, alertToDocument } from '../../consumer/store/opensearch/alert-document';
import { openSearchConnection } from '../../consumer/store/opensearch/connection';
import { fromDocument, parseIsoNs, toDocument } from '../../consumer/store/opensearch/document';
import { eventId } from '../../consumer/store/opensearch/event-id';
import { createIndexNamer, expiredIndices, retentionFloorNs, validateIndexPrefix } from '../../consumer/store/opensearch/indices';
import { MAPPINGS } from '../../consumer/store/opensearch/mapping';
import type { AuditEvent, Creds } from '../../schemas/types';
import { execEvent, fileEvent, host, netEvent, proc } from '../helpers/samples';

const creds = (uid: number): Creds => ({ uid, euid: uid, suid: uid, fsuid: uid, gid: 5, egid: 5, sgid: 5, fsgid: 5, cap_effective: 0x1ffffffffffn, cap_permitted: 0n });
const hostile = 'a"b\\c\nd\u0000e\u001b[31m\u009b\u202e\u2028\ufffd/😀 ' + 'x'.repeat(300);

const EVENTS: AuditEvent[] = [
  { kind: 'file', event: fileEvent },
  { kind: 'file', event: { ...fileEvent, path: hostile, flags: 0o1101, mode: 0o644, result: -13, truncated: true, dirfd: 7 } },
  {
    kind: 'file',
    event: {
      ...fileEvent,
      ktime_ns: 2n ** 63n - 1n,
      process: { ...proc, uid: -1, gid: -2, exe: '', start_time_ns: 2n ** 62n + 3n, cgroup_id: 2n ** 63n - 5n, container_id: 'c0ffee', exe_from_memfd: true, exe_deleted: true },
    },
  },
  { kind: 'net', event: netEvent },
  { kind: 'net', event: { ...netEvent, op: 'accept4', family: 'inet6', dst_ip: 'fd00::1', dst_port: 22, result: 4 } },
  { kind: 'net', event: { ...netEvent, family: 'unix', dst_ip: '', dst_port: 0, unix_path: '@abstract\u0001', protocol: '', result: -111 } },
  { kind: 'net', event: { ...netEvent, family: 'inet', dst_ip: 'not-an-ip', unix_path: 'odd', result: -115 } },
  { kind: 'process', event: execEvent },
  { kind: 'process', event: { ...execEvent, args: [hostile, ''], cwd: '', filename: hostile } },
  { kind: 'process', event: { ...execEvent, kind: 'exit', args: [], cwd: '', filename: '', exit_code: 0, signal: 9 } },
  { kind: 'process', event: { ...execEvent, kind: 'exit', args: ['stale'], cwd: '/x', filename: 'f', exit_code: 3, signal: 0 } },
  { kind: 'process', event: { ...execEvent, kind: 'setresuid', args: [], cwd: '', filename: '', cred_change: { old: creds(1000), new: creds(0) } } },
  // The newer kinds and fields (consumer/store/extension.ts), at values other than their defaults.
  {
    kind: 'file',
    event: {
      ...fileEvent,
      op: 'symlinkat',
      target: '../etc/shadow',
      result: 0,
      process: { ...proc, exe_upper_layer: true, cap_effective: -1n, tty: 34816, loginuid: 1000, login_user_name: 'alice' },
    },
  },
  {
    kind: 'net',
    event: {
      ...netEvent,
      op: 'socket',
      family: 'packet',
      dst_ip: '',
      dst_port: 0,
      protocol: '',
      local_ip: '',
      local_port: 0,
      socket_type: 'raw',
      socket_protocol: 768,
      result: 3,
      fd: 3,
    },
  },
  { kind: 'net', event: { ...netEvent, op: 'dup2', fd: 3, result: 0 } },
  {
    kind: 'process',
    event: {
      ...execEvent,
      kind: 'ptrace',
      args: [],
      cwd: '',
      filename: '',
      result: -1,
      ancestors: [],
      ptrace: { request: 'PTRACE_POKETEXT', request_code: 4, target_pid: 9, addr: -16n, data: 2n ** 63n - 1n },
    },
  },
  {
    kind: 'process',
    event: {
      ...execEvent,
      kind: 'init_module',
      args: [],
      cwd: '',
      filename: '',
      result: -38,
      ancestors: [],
      module: { path: '', size: 2n ** 40n, fd: -1, flags: 0, params: hostile },
    },
  },
];

test('opensearch documents: every event comes back exactly, hostile strings included', () => {
  for (const ev of EVENTS) {
    const json = JSON.stringify(toDocument(ev));
    assert.deepEqual(fromDocument(JSON.parse(json)), ev);
  }
});

test('opensearch documents: the ECS part is tail --output ecs, plus typed ebpf_audit fields', () => {
  const d = toDocument({ kind: 'file', event: { ...fileEvent, flags: 0o101 } }) as Record<string, any>;
  const ecs = toEcs({ kind: 'file', event: { ...fileEvent, flags: 0o101 } }) as Record<string, any>;
  // user.name is not in the store's strict mapping: the document keeps it in ebpf_audit.extra.
  for (const k of Object.keys(ecs)) if (k !== 'file' && k !== 'user') assert.deepEqual(d[k], ecs[k], k);
  const { name, ...user } = ecs.user;
  assert.deepEqual(d.user, user);
  assert.equal(d.ebpf_audit.extra.ext.user_name, name);
  assert.deepEqual(d.file, { ...ecs.file, directory: '/etc' });
  assert.equal(d.ebpf_audit.file.flag_names, 'O_WRONLY|O_CREAT');
  assert.equal(d.ebpf_audit.file.write, true);
  assert.equal(d.ebpf_audit.file.read, false);
  assert.equal(d.ebpf_audit.ktime_ns, String(fileEvent.ktime_ns)); // a string: exact beyond 2^53
  const n = toDocument(EVENTS[6]) as Record<string, any>;
  assert.equal(n.destination.ip, undefined); // the ip mapping would reject it
  assert.equal(n.destination.address, 'not-an-ip');
});

test('opensearch documents: only mapped fields (the template is dynamic: strict)', () => {
  const mapped = new Set<string>();
  const walk = (props: Record<string, any>, at: string): void => {
    for (const [k, v] of Object.entries(props)) {
      mapped.add(at + k);
      if (v.properties) walk(v.properties, `${at}${k}.`);
    }
  };
  walk((MAPPINGS as any).properties, '');
  const check = (doc: Record<string, any>, at: string): void => {
    for (const [k, v] of Object.entries(doc)) {
      if (v === undefined) continue;
      assert.ok(mapped.has(at + k), `${at + k} is not mapped`);
      if (v && typeof v === 'object' && !Array.isArray(v) && !['ebpf_audit.extra', 'ebpf_audit.alert.events'].includes(at + k)) check(v, `${at}${k}.`);
    }
  };
  for (const ev of EVENTS) check(toDocument(ev), '');
  check(alertToDocument(alert(EVENTS[1])), '');
});

function alert(ev: AuditEvent): Alert {
  return { time_ns: ev.event.time_ns, rule_id: 'cred-file-read', severity: 'high', description: 'd', message: `m ${hostile}`, tags: ['T1003'], host, count: 3, events: [ev] };
}

test('opensearch alerts: come back exactly; the id is the rule and its triggering event', () => {
  const a = alert(EVENTS[1]);
  const d = alertToDocument(a) as Record<string, any>;
  assert.equal(d.event.kind, 'alert');
  assert.equal(d.event.severity, 4);
  assert.equal(d.rule.id, 'cred-file-read');
  assert.equal(d.file.path, hostile); // the event's fields, searchable
  assert.deepEqual(alertFromDocument(JSON.parse(JSON.stringify(d))), a);
  assert.equal(alertId(a), alertId({ ...a, message: 'other' }));
  assert.notEqual(alertId(a), alertId({ ...a, rule_id: 'x' }));
});

test('opensearch ids: the dedup key (boot id, kernel time, thread, kind, type) after the time, 22 characters', () => {
  const id = eventId;
  const a = id({ kind: 'file', event: fileEvent });
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(id({ kind: 'file', event: { ...fileEvent, path: '/other' } }), a);
  // Later events sort after earlier ones (ids friendly to Lucene's lookups).
  const later = id({ kind: 'file', event: { ...fileEvent, time_ns: fileEvent.time_ns + 1n, ktime_ns: 1n } });
  assert.ok(Buffer.from(later, 'base64url').compare(Buffer.from(a, 'base64url')) > 0);
  for (const ev of [
    { kind: 'file', event: { ...fileEvent, ktime_ns: fileEvent.ktime_ns + 1n } },
    { kind: 'file', event: { ...fileEvent, process: { ...proc, tid: 1 } } },
    { kind: 'file', event: { ...fileEvent, host: { ...host, boot_id: 'other' } } },
    { kind: 'file', event: { ...fileEvent, op: 'open' } },
  ] as AuditEvent[])
    assert.notEqual(id(ev), a);
  // No collisions among many events of one instant.
  const many = new Set<string>();
  for (let t = 0; t < 50_000; t++) many.add(id({ kind: 'file', event: { ...fileEvent, ktime_ns: BigInt(t), process: { ...proc, tid: t % 7 } } }));
  assert.equal(many.size, 50_000);
});

test('opensearch indices: daily names (UTC), retention by whole days, prefixes checked', () => {
  const name = createIndexNamer('ea');
  assert.equal(name('file', 1_764_012_345_123_456_789n), 'ea-file-2025.11.24');
  assert.equal(name('alerts', 1_764_028_799_999_999_999n), 'ea-alerts-2025.11.24');
  assert.equal(name('net', 1_764_028_800_000_000_000n), 'ea-net-2025.11.25');
  assert.equal(parseIsoNs('2025-11-24T19:25:45.123456789Z'), 1_764_012_345_123_456_789n);
  const now = Date.UTC(2025, 10, 24, 12); // 2025-11-24 12:00
  const day = 86_400_000;
  const names = ['ea-file-2025.11.22', 'ea-net-2025.11.23', 'ea-alerts-2025.11.24', 'ea-file-2025.11.21', 'eb-file-2025.11.01', 'ea-file-x'];
  // 1.5 days: the 23rd ends at 24 00:00, after now - 1.5d (23 00:00): kept.
  assert.deepEqual(expiredIndices(names, 'ea', 1.5 * day, now), ['ea-file-2025.11.21', 'ea-file-2025.11.22']);
  assert.equal(retentionFloorNs(1.5 * day, now), BigInt(Date.UTC(2025, 10, 23)) * 1_000_000n);
  assert.throws(() => validateIndexPrefix('Upper'), /index prefix/);
  assert.throws(() => validateIndexPrefix('-x'), /index prefix/);
  assert.equal(validateIndexPrefix('ebpf-audit'), 'ebpf-audit');
});

test('opensearch connection: nodes from flags or env, secrets from files or env, never in URLs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-os-'));
  const pw = path.join(dir, 'pw');
  fs.writeFileSync(pw, 's3cret\n');
  assert.deepEqual(openSearchConnection({ opensearchUrl: [] }).nodes, ['http://127.0.0.1:9200']);
  assert.deepEqual(openSearchConnection({ opensearchUrl: ['https://a:9200', 'https://b:9200'] }).nodes, ['https://a:9200', 'https://b:9200']);
  const c = openSearchConnection({ opensearchUrl: ['https://a:9200'], opensearchUsername: 'u', opensearchPasswordFile: pw });
  assert.deepEqual([c.username, c.password], ['u', 's3cret']);
  assert.equal(openSearchConnection({ opensearchUrl: ['https://a:9200'], opensearchApiKeyFile: pw }).apiKey, 's3cret');
  assert.equal(openSearchConnection({ opensearchUrl: ['https://a:9200'], opensearchApiKey: 'k' }).apiKey, 'k'); // env or config file
  assert.throws(() => openSearchConnection({ opensearchUrl: ['https://u:p@a:9200'] }), /no credentials in the URL/);
  assert.throws(() => openSearchConnection({ opensearchUrl: ['ftp://a'] }), /http/);
  assert.throws(() => openSearchConnection({ opensearchUrl: ['https://a'], opensearchUsername: 'u' }), /password/);
  assert.throws(() => openSearchConnection({ opensearchUrl: ['https://a'], opensearchPasswordFile: path.join(dir, 'none') }), /ENOENT/);
  assert.throws(() => openSearchConnection({ opensearchUrl: ['https://a'], opensearchApiKey: 'k', opensearchUsername: 'u' }), /exclude/);
  fs.rmSync(dir, { recursive: true });
});
