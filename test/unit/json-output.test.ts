import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTailFilter } from '../../consumer/tail/filter';
import { formatEcs, formatJson, isoNs, toEcs } from '../../consumer/core/output/json';
import { formatLine } from '../../consumer/core/output/line-format';
import { execEvent, fileEvent, netEvent } from '../helpers/samples';

test('json: one line, nanosecond integers exact, every field present', () => {
  const line = formatJson({ kind: 'file', event: fileEvent });
  assert.equal(line.split('\n').length, 1);
  assert.match(line, /"time_ns":1764012345123456789[,}]/); // beyond 2^53, not rounded
  const o = JSON.parse(line);
  assert.equal(o.kind, 'file');
  assert.equal(o.time, '2025-11-24T19:25:45.123456789Z');
  assert.equal(o.path, '/etc/passwd');
  assert.equal(o.process.exe, '/usr/bin/cat');
});

test('a memfd executable is named as /proc/PID/exe names it, in text, json and ecs, never "/"', () => {
  const process = { ...fileEvent.process, exe: '/memfd:payload (deleted)', exe_from_memfd: true, exe_deleted: true };
  const ev = { kind: 'file' as const, event: { ...fileEvent, process } };
  assert.match(formatLine(ev), / Exe:"\/memfd:payload \(deleted\)" /);
  const o = JSON.parse(formatJson(ev));
  assert.deepEqual([o.process.exe, o.process.exe_from_memfd, o.process.exe_deleted], ['/memfd:payload (deleted)', true, true]);
  assert.equal((toEcs(ev) as Record<string, any>).process.executable, '/memfd:payload (deleted)');
});

test('json and ecs escape C1 controls and bidi overrides as well as C0', () => {
  const evil = 'a\u001b[31m\u009b2J\u202eb\u2028c';
  const json = formatJson({ kind: 'file', event: { ...fileEvent, path: evil } });
  const ecs = formatEcs({ kind: 'file', event: { ...fileEvent, path: evil } });
  for (const line of [json, ecs]) assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  assert.equal(JSON.parse(json).path, evil); // escaped on the wire, exact once parsed
  assert.equal(JSON.parse(ecs).file.path, evil);
});

test('ecs: file, network (connect and accept), process fields', () => {
  const f = toEcs({ kind: 'file', event: { ...fileEvent, path: '/etc/shadow', result: -13 } }) as Record<string, any>;
  assert.equal(f['@timestamp'], isoNs(fileEvent.time_ns));
  assert.deepEqual(f.event.category, ['file']);
  assert.equal(f.event.action, 'openat');
  assert.equal(f.event.outcome, 'failure');
  assert.deepEqual(f.error, { code: 'EACCES' });
  assert.deepEqual(f.file, { path: '/etc/shadow', name: 'shadow' });
  assert.equal(f.process.executable, '/usr/bin/cat');
  assert.equal(f.host.name, 'web-1');
  const c = toEcs({ kind: 'net', event: netEvent }) as Record<string, any>;
  assert.deepEqual(c.destination, { ip: '10.1.2.3', port: 443, address: '10.1.2.3' });
  assert.deepEqual(c.network, { direction: 'egress', type: 'ipv4', transport: 'tcp' });
  assert.equal(c.event.outcome, 'success');
  const a = toEcs({ kind: 'net', event: { ...netEvent, op: 'accept4', dst_ip: '::1', family: 'inet6' } }) as Record<string, any>;
  assert.equal(a.source.ip, '::1');
  assert.equal(a.network.direction, 'ingress');
  const x = toEcs({ kind: 'process', event: execEvent }) as Record<string, any>;
  assert.deepEqual(x.event.type, ['start']);
  assert.deepEqual(x.process.args, ['cat', '/etc/hosts']);
  assert.equal(x.process.working_directory, '/root');
});

test('tail filters: lists are alternatives, every given list must match', () => {
  assert.equal(createTailFilter({ hosts: [], pids: [], comms: [], exes: [], pathPrefixes: [] }), undefined);
  const f = createTailFilter({ hosts: ['web-1'], pids: [], comms: ['cat', 'less'], exes: [], pathPrefixes: ['/etc/'] })!;
  assert.equal(f({ kind: 'file', event: fileEvent }), true);
  assert.equal(f({ kind: 'file', event: { ...fileEvent, path: '/tmp/x' } }), false);
  assert.equal(f({ kind: 'net', event: { ...netEvent, process: { ...netEvent.process, comm: 'cat' } } }), false); // no path
  assert.equal(f({ kind: 'file', event: { ...fileEvent, host: { ...fileEvent.host, name: 'db-1', id: 'h2' } } }), false);
});

test('ecs: links, sockets, dups, ptrace and module loads', () => {
  const l = toEcs({ kind: 'file', event: { ...fileEvent, op: 'symlink', path: '/tmp/l', target: '/etc/shadow', result: 0 } }) as Record<string, any>;
  assert.deepEqual([l.event.type, l.event.action, l.file.target_path], [['creation'], 'symlink', '/etc/shadow']);
  const s = toEcs({
    kind: 'net',
    event: { ...netEvent, op: 'socket', family: 'packet', dst_ip: '', dst_port: 0, protocol: '', socket_type: 'raw', socket_protocol: 768, result: 4 },
  }) as Record<string, any>;
  assert.deepEqual([s.event.type, s.event.action, s.destination], [['info'], 'socket', { ip: '', port: 0, address: '' }]);
  const d = toEcs({ kind: 'net', event: { ...netEvent, op: 'dup2', fd: 3, result: 0 } }) as Record<string, any>;
  assert.deepEqual([d.destination.ip, d.source.ip, d.source.port], ['10.1.2.3', '10.0.0.5', 40000]);
  const p = toEcs({
    kind: 'process',
    event: { ...execEvent, kind: 'ptrace', result: -1, ptrace: { request: 'PTRACE_ATTACH', request_code: 16, target_pid: 9, addr: 0n, data: 0n } },
  }) as Record<string, any>;
  assert.deepEqual([p.event.action, p.event.outcome, p.ptrace, p.error.code], ['ptrace', 'failure', { request: 'PTRACE_ATTACH', target: { pid: 9 } }, 'EPERM']);
  const m = toEcs({ kind: 'process', event: { ...execEvent, kind: 'finit_module', result: 0, module: { path: '/tmp/x.ko', size: 0n, fd: 3, flags: 0, params: '' } } }) as Record<
    string,
    any
  >;
  assert.deepEqual([m.event.category, m.event.action, m.file.path, m.user.name], [['driver'], 'finit_module', '/tmp/x.ko', 'alice']);
});
