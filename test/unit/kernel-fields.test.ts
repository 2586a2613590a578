/**
 * The rule fields for what the kernel side captures beyond opens and connects (links, sockets,
 * dups, ptrace, module loads, and the process fields every event carries), through real rules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../consumer/rules/engine';
import { loadRules } from '../../consumer/rules/loader';
import type { AuditEvent } from '../../schemas/types';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

/** The ids of the rules (one per condition) that fire on `ev`. */
function firing(conditions: string[], ev: AuditEvent): number[] {
  const text = conditions.map((c, i) => `- rule: r${i}\n  severity: low\n  output: "x"\n  condition: ${JSON.stringify(c)}\n`).join('');
  const engine = createEngine({ rules: loadRules([{ path: 't.yaml', text }]).rules });
  return [...engine.process(ev)].map((a) => Number(a.rule_id.slice(1)));
}

const root = { ...proc, uid: 0, cap_effective: (1n << 21n) | (1n << 16n) | 1n, tty: 34819, loginuid: 1000, user_name: 'root', login_user_name: 'alice' };

test('links: evt.type, file.path is the name created, file.target; not an open', () => {
  const link: AuditEvent = { kind: 'file', event: { ...fileEvent, op: 'symlinkat', path: '/tmp/x', target: '/etc/shadow', result: 0 } };
  assert.deepEqual(
    firing(
      ['evt.type in (symlink, symlinkat) and file.target = /etc/shadow and file.path = /tmp/x', 'evt.is_open_read = true', 'evt.is_open_write exists', 'evt.type = openat'],
      link,
    ),
    [0],
  );
  assert.deepEqual(firing(['file.target exists', 'evt.is_open_read = true'], { kind: 'file', event: fileEvent }), [1]);
});

test('socket and dup: family, type, protocol, fds and both ends', () => {
  const packet: AuditEvent = { kind: 'net', event: { ...netEvent, op: 'socket', family: 'packet', dst_ip: '', socket_type: 'raw', socket_protocol: 768, result: 3, fd: 3 } };
  assert.deepEqual(firing(['evt.type = socket and net.family = packet and net.socket_type = raw and net.socket_protocol = 768', 'evt.type = connect'], packet), [0]);
  const dup: AuditEvent = { kind: 'net', event: { ...netEvent, op: 'dup2', fd: 5, result: 1, dst_ip: '192.0.2.7', dst_port: 4444 } };
  assert.deepEqual(
    firing(
      [
        'evt.type in (dup, dup2, dup3) and evt.res in (0, 1, 2) and net.fd = 5 and net.proto = tcp',
        'net.dst_ip in (192.0.2.0/24) and net.local_ip = 10.0.0.5 and net.local_port = 40000',
        'evt.failed = true',
      ],
      dup,
    ),
    [0, 1],
  );
});

test('ptrace and module loads: request, target, path, params, results', () => {
  const attach: AuditEvent = {
    kind: 'process',
    event: { ...execEvent, process: root, kind: 'ptrace', result: -1, ptrace: { request: 'PTRACE_ATTACH', request_code: 16, target_pid: 77, addr: 0n, data: 0n } },
  };
  assert.deepEqual(
    firing(
      [
        'evt.type = ptrace and ptrace.request in (PTRACE_ATTACH, PTRACE_SEIZE) and ptrace.target_pid = 77',
        'evt.failed = true and evt.errno = EPERM and evt.res = -1',
        'module.path exists',
      ],
      attach,
    ),
    [0, 1],
  );
  const mod: AuditEvent = {
    kind: 'process',
    event: { ...execEvent, process: root, kind: 'finit_module', result: 0, module: { path: '/tmp/x.ko', size: 0n, fd: 3, flags: 0, params: 'a=1' } },
  };
  assert.deepEqual(
    firing(
      [
        'evt.type in (init_module, finit_module) and module.path = /tmp/x.ko and module.params = "a=1"',
        'proc.cap_effective contains CAP_SYS_MODULE and proc.cap_effective icontains sys_admin',
        'ptrace.request exists',
        'evt.failed = true',
      ],
      mod,
    ),
    [0, 1],
  );
});

test('process fields on every event: tty, login uid, user names, capabilities, overlay layer', () => {
  const ev: AuditEvent = { kind: 'file', event: { ...fileEvent, process: { ...root, exe_upper_layer: true } } };
  assert.deepEqual(
    firing(
      [
        'proc.tty = 34819 and proc.loginuid = 1000 and proc.user = root and proc.loginuser = alice',
        'proc.cap_effective = "CAP_CHOWN CAP_SYS_MODULE CAP_SYS_ADMIN"',
        'proc.exe_upper_layer = true',
        'proc.tty = 0',
      ],
      ev,
    ),
    [0, 1, 2],
  );
  const none = { ...proc, tty: 0, loginuid: -1, login_user_name: '' };
  assert.deepEqual(
    firing(['proc.tty = 0 and proc.loginuid = -1 and proc.loginuser = ""', 'proc.cap_effective = ""'], { kind: 'file', event: { ...fileEvent, process: none } }),
    [0, 1],
  );
});
