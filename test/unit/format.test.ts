import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLine } from '../../consumer/core/output/line-format';
import { escapeField, formatTimestamp } from '../../consumer/core/output/text';
import { execEvent, fileEvent, netEvent } from './samples';

test('file line is byte-exact: space after Path:, quoted fields', () => {
  assert.equal(
    formatLine({ kind: 'file', event: fileEvent }),
    '[1764012345.123456789] PID:1234 Exe:"/usr/bin/cat" Comm:"cat" Path: "/etc/passwd"',
  );
});

test('net line is byte-exact: no space after DST_IP:', () => {
  assert.equal(
    formatLine({ kind: 'net', event: netEvent }),
    '[1764012345.000000001] PID:1234 Exe:"/usr/bin/curl" Comm:"curl" DST_IP:10.1.2.3',
  );
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
  assert.equal(
    formatLine({ kind: 'process', event: execEvent }),
    '[1764012345.000000000] PID:1234 Exe:"/usr/bin/cat" Comm:"cat" Exec: "/bin/cat" Args: "cat" "/etc/hosts"',
  );
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
