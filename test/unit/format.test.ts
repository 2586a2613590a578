import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLine } from '../../consumer/core/output/line-format';
import { escapeField, formatTimestamp } from '../../consumer/core/output/text';
import { execEvent, fileEvent, netEvent } from '../helpers/samples';

test('file line is byte-exact: space after Path:, quoted fields', () => {
  assert.equal(formatLine({ kind: 'file', event: fileEvent }), '[1764012345.123456789] PID:1234 Exe:"/usr/bin/cat" Comm:"cat" Path: "/etc/passwd"');
});

test('net line is byte-exact: no space after DST_IP:', () => {
  assert.equal(formatLine({ kind: 'net', event: netEvent }), '[1764012345.000000001] PID:1234 Exe:"/usr/bin/curl" Comm:"curl" DST_IP:10.1.2.3');
  assert.match(formatLine({ kind: 'net', event: { ...netEvent, dst_ip: '::1', family: 'inet6' } }), / DST_IP:::1$/);
});

test('failures carry the errno name; EINPROGRESS is not a failure', () => {
  assert.match(formatLine({ kind: 'file', event: { ...fileEvent, path: '/etc/shadow', result: -13 } }), / Path: "\/etc\/shadow" Error:EACCES$/);
  assert.match(formatLine({ kind: 'net', event: { ...netEvent, result: -111 } }), / DST_IP:10\.1\.2\.3 Error:ECONNREFUSED$/);
  assert.match(formatLine({ kind: 'net', event: { ...netEvent, result: -115 } }), / DST_IP:10\.1\.2\.3$/);
});

test('accepts and unix connects in the same style', () => {
  assert.match(formatLine({ kind: 'net', event: { ...netEvent, op: 'accept4', dst_ip: '::1' } }), / PEER_IP:::1$/);
  assert.match(formatLine({ kind: 'net', event: { ...netEvent, family: 'unix', dst_ip: '', unix_path: '/run/docker.sock' } }), / DST_UNIX: "\/run\/docker\.sock"$/);
  assert.match(formatLine({ kind: 'net', event: { ...netEvent, family: 'unix', dst_ip: '', unix_path: '@x\n', result: -2 } }), / DST_UNIX: "@x\\x0a" Error:ENOENT$/);
  // Abstract names may hold NULs: escaped like any control character. Unnamed: "".
  assert.ok(formatLine({ kind: 'net', event: { ...netEvent, family: 'unix', dst_ip: '', unix_path: '@a\0b\0' } }).endsWith(' DST_UNIX: "@a\\x00b\\x00"'));
  assert.ok(formatLine({ kind: 'net', event: { ...netEvent, family: 'unix', dst_ip: '', unix_path: '', result: -22 } }).endsWith(' DST_UNIX: "" Error:EINVAL'));
});

test('exec and exit lines in the same style', () => {
  assert.equal(formatLine({ kind: 'process', event: execEvent }), '[1764012345.000000000] PID:1234 Exe:"/usr/bin/cat" Comm:"cat" Exec: "/bin/cat" Args: "cat" "/etc/hosts"');
  assert.match(formatLine({ kind: 'process', event: { ...execEvent, kind: 'exit', exit_code: 2 } }), / Exit:2$/);
  assert.match(formatLine({ kind: 'process', event: { ...execEvent, kind: 'exit', exit_code: -1, signal: 9 } }), / Exit:signal 9$/);
});

test('privilege changes list what changed, ids unsigned, capabilities in hex', () => {
  const ids = { uid: 1000, euid: 1000, suid: 1000, fsuid: 1000, gid: 100, egid: 100, sgid: 100, fsgid: 100, cap_effective: 0n, cap_permitted: 0n };
  const root = { ...ids, uid: 0, euid: 0, suid: 0, fsuid: 0, cap_effective: 0x1ffffffffffn };
  const line = formatLine({ kind: 'process', event: { ...execEvent, kind: 'setresuid', args: [], cred_change: { old: ids, new: root } } });
  assert.match(line, / Privilege: setresuid uid:1000->0 euid:1000->0 suid:1000->0 fsuid:1000->0 cap_effective:0x0->0x1ffffffffff$/);
  const same = formatLine({ kind: 'process', event: { ...execEvent, kind: 'setuid', cred_change: { old: ids, new: { ...ids, gid: -1 } } } });
  assert.match(same, / Privilege: setuid gid:100->4294967295$/);
});

test('timestamps: seconds since the epoch with nine decimals', () => {
  assert.equal(formatTimestamp(0n), '0.000000000');
  assert.equal(formatTimestamp(1_000_000_007n), '1.000000007');
  assert.equal(formatTimestamp(999_999_999n), '0.999999999');
  assert.equal(formatTimestamp(1_764_012_345_000_000_001n), '1764012345.000000001');
});

test('hostile names cannot inject escapes, end the field or forge a line', () => {
  const evil = 'x"\nPID:1 \x1b[31mred\x07\\\u202e\x9b';
  const line = formatLine({ kind: 'file', event: { ...fileEvent, path: evil, process: { ...fileEvent.process, comm: 'a"b' } } });
  assert.equal(line.split('\n').length, 1);
  assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f]/);
  assert.match(line, /Comm:"a\\"b"/);
  assert.match(line, /Path: "x\\"\\x0aPID:1 \\x1b\[31mred\\x07\\\\\\u202e\\x9b"$/);
  assert.equal(escapeField('plain/path-ü'), 'plain/path-ü');
  assert.equal(escapeField('bad\ufffdutf8'), 'bad\\ufffdutf8');
  // Short fields are scanned by a loop, long ones by the regex: both escape alike.
  const pad = 'y'.repeat(70);
  for (const c of ['"', '\\', '\x00', '\x1f', '\x7f', '\x9f', '\u2028', '\u202e', '\u2066', '\ufffd', 'ü', '中']) {
    assert.equal(`${pad}${escapeField(c)}`, escapeField(`${pad}${c}`), JSON.stringify(c));
  }
});

test('links, sockets, dups, ptrace and module loads get lines in the same style', () => {
  const tail = (ev: Parameters<typeof formatLine>[0]): string => formatLine(ev).replace(/^.*? Comm:"[^"]*" /, '');
  const link = { ...fileEvent, op: 'symlinkat', path: '/tmp/l', target: '../etc/"shadow"', result: 0 };
  assert.equal(tail({ kind: 'file', event: link }), 'Symlink: "/tmp/l" Target: "../etc/\\"shadow\\""');
  assert.equal(tail({ kind: 'file', event: { ...link, op: 'linkat', target: '/etc/shadow', result: -18 } }), 'Link: "/tmp/l" Target: "/etc/shadow" Error:EXDEV');
  const sock = {
    ...netEvent,
    op: 'socket',
    family: 'packet',
    dst_ip: '',
    dst_port: 0,
    fd: 4,
    result: 4,
    protocol: '',
    local_ip: '',
    local_port: 0,
    socket_type: 'raw',
    socket_protocol: 768,
  };
  assert.equal(tail({ kind: 'net', event: sock }), 'Socket: packet raw Protocol:768');
  assert.equal(tail({ kind: 'net', event: { ...sock, family: 'inet', socket_type: 'stream', protocol: 'tcp', socket_protocol: 6 } }), 'Socket: inet stream Protocol:tcp');
  assert.equal(tail({ kind: 'net', event: { ...sock, result: -1 } }), 'Socket: packet raw Protocol:768 Error:EPERM');
  const dup = { ...netEvent, op: 'dup2', fd: 3, result: 0, local_ip: '10.0.0.5', local_port: 51000, dst_ip: '192.0.2.7', dst_port: 4444 };
  assert.equal(tail({ kind: 'net', event: dup }), 'Dup: 3->0 Socket: inet tcp 10.0.0.5:51000->192.0.2.7:4444');
  assert.equal(tail({ kind: 'net', event: { ...dup, family: 'inet6', local_ip: '::1', dst_ip: '::1' } }), 'Dup: 3->0 Socket: inet6 tcp [::1]:51000->[::1]:4444');
  assert.equal(tail({ kind: 'net', event: { ...dup, protocol: 'udp', dst_ip: '' } }), 'Dup: 3->0 Socket: inet udp 10.0.0.5:51000');
  const ptrace = { ...execEvent, kind: 'ptrace', result: 0, ptrace: { request: 'PTRACE_ATTACH', request_code: 16, target_pid: 4321, addr: 0n, data: 0n } };
  assert.equal(tail({ kind: 'process', event: ptrace }), 'Ptrace: PTRACE_ATTACH Target:4321');
  assert.equal(
    tail({ kind: 'process', event: { ...ptrace, result: -1, ptrace: { ...ptrace.ptrace, request: 'PTRACE_TRACEME', target_pid: 0 } } }),
    'Ptrace: PTRACE_TRACEME Error:EPERM',
  );
  const mod = { ...execEvent, kind: 'finit_module', result: -38, module: { path: '/tmp/x.ko', size: 0n, fd: 3, flags: 0, params: 'debug=1' } };
  assert.equal(tail({ kind: 'process', event: mod }), 'Module: finit_module File: "/tmp/x.ko" Params: "debug=1" Error:ENOSYS');
  assert.equal(
    tail({ kind: 'process', event: { ...mod, kind: 'init_module', module: { ...mod.module, path: '', size: 1234n, fd: -1 } } }),
    'Module: init_module Size:1234 Params: "debug=1" Error:ENOSYS',
  );
});
