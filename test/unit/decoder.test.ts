import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeError } from '../../common/errors';
import { decodeRecord } from '../../producer/decode/decoder';
import { formatAddress } from '../../producer/decode/socket-text';
import { cLayout, cRecord, type Putter } from '../helpers/c-layout';

function task(p: Putter, type: number, size: number): void {
  p.u16('hdr.type', type);
  p.u16('hdr.size', size);
  p.u64('hdr.ktime_ns', 5_000_000_123n);
  p.u32('task.pid', 4242);
  p.u32('task.tid', 4243);
  p.u32('task.ppid', 1);
  p.u32('task.uid', 1000);
  p.u32('task.gid', 1001);
  p.u32('task.euid', 0);
  p.u32('task.egid', 0);
  p.u64('task.start_ns', 77_000_000_000n);
  p.u64('task.cgroup_id', 9n);
  p.bytes('task.comm', Buffer.from('cat\0'));
  p.u64('task.cap_effective', 1n << 21n);
  p.u32('task.tty', 34819);
  p.u32('task.loginuid', 1000);
}

test('file open record: fields, failed result, variable length', () => {
  const path = '/tmp/a file with spaces/ü';
  const pathBytes = Buffer.from(path);
  const pathOff = cLayout().ea_file_open.fields.path[0];
  const len = pathOff + pathBytes.length;
  const full = cRecord('ea_file_open', (p) => {
    task(p, 1, len);
    p.s64('ret', -13n);
    p.s32('dirfd', -100);
    p.u32('flags', 0o101);
    p.u32('mode', 0o644);
    p.u16('op', 1);
    p.u16('path_len', pathBytes.length);
    p.bytes('path', pathBytes);
  });
  const r = decodeRecord(full, 0, len);
  assert.equal(r.type, 'file');
  if (r.type !== 'file') return;
  assert.deepEqual(r.task, {
    pid: 4242,
    tid: 4243,
    ppid: 1,
    uid: 1000,
    gid: 1001,
    euid: 0,
    egid: 0,
    startNs: 77_000_000_000n,
    cgroupId: 9n,
    comm: 'cat',
    exeUnlinked: false,
    capEffective: 1n << 21n,
    tty: 34819,
    loginuid: 1000,
  });
  assert.equal(r.ktimeNs, 5_000_000_123n);
  assert.equal(r.path, path);
  assert.equal(r.result, -13);
  assert.equal(r.op, 'openat');
  assert.equal(r.flags, 0o101);
  assert.equal(r.mode, 0o644);
  assert.equal(r.dirfd, -100);
  assert.equal(r.truncated, false);
});

test('net records: IPv4, IPv6 compressed, v4-mapped shown as IPv4, unix paths, accept', () => {
  const base = cLayout().ea_net.fields.path[0];
  const make = (family: number, addr: number[], port: number, extra: (p: Putter) => void = () => undefined, pathLen = 0) =>
    decodeRecord(
      cRecord('ea_net', (p) => {
        task(p, 2, base + pathLen);
        p.s64('ret', -111n);
        p.s32('fd', 7);
        p.u16('family', family);
        p.u16('port', port);
        p.bytes('addr', Buffer.from(addr));
        p.u16('op', 5);
        p.u16('sock_type', 1);
        p.u16('protocol', 6);
        extra(p);
      }),
      0,
      base + pathLen,
    );
  const v4 = make(2, [127, 0, 0, 1], 8080);
  assert.ok(v4.type === 'net' && v4.ip === '127.0.0.1' && v4.port === 8080 && v4.family === 'inet' && v4.result === -111 && v4.fd === 7);
  assert.ok(v4.type === 'net' && v4.protocol === 'tcp' && v4.op === 'connect' && v4.unixPath === '');
  // A pathname ends at its first NUL: what follows within addrlen is the caller's buffer.
  const sock = make(
    1,
    [],
    0,
    (p) => {
      p.u16('path_len', 12);
      p.bytes('path', Buffer.from('/run/x.s\0N{\x7f'));
      p.u16('protocol', 0);
    },
    12,
  );
  assert.ok(sock.type === 'net' && sock.family === 'unix' && sock.unixPath === '/run/x.s' && sock.protocol === 'stream' && sock.ip === '');
  // An abstract name is every byte of addrlen after its leading NUL, NULs included; nothing past it.
  const abstract = make(
    1,
    [],
    0,
    (p) => {
      p.u16('path_len', 6);
      p.bytes('path', Buffer.from('\0ab\0c\0garbage'));
    },
    6,
  );
  assert.ok(abstract.type === 'net' && abstract.unixPath === '@ab\0c\0');
  const unnamed = make(1, [], 0, (p) => p.bytes('path', Buffer.from('leftover')), 0);
  assert.ok(unnamed.type === 'net' && unnamed.unixPath === '');
  const udp6 = make(10, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 53, (p) => {
    p.u16('op', 7);
    p.u16('sock_type', 2);
    p.u16('protocol', 17);
  });
  assert.ok(udp6.type === 'net' && udp6.op === 'accept4' && udp6.protocol === 'udp' && udp6.ip === 'fe80::1');
  const v6 = make(10, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 443);
  assert.ok(v6.type === 'net' && v6.ip === '::1' && v6.family === 'inet6');
  const mapped = make(10, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9], 53);
  assert.ok(mapped.type === 'net' && mapped.ip === '10.0.0.9' && mapped.family === 'inet');
});

test('socket and dup records: any family, local and remote ends', () => {
  const base = cLayout().ea_net.fields.path[0];
  const make = (type: number, write: (p: Putter) => void, pathLen = 0) =>
    decodeRecord(
      cRecord('ea_net', (p) => {
        task(p, type, base + pathLen);
        write(p);
      }),
      0,
      base + pathLen,
    );
  // socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) = 4
  const packet = make(7, (p) => {
    p.s64('ret', 4n);
    p.s32('fd', 4);
    p.u16('family', 17);
    p.u16('op', 21);
    p.u16('sock_type', 3);
    p.u16('protocol', 0x300);
  });
  assert.ok(packet.type === 'net');
  if (packet.type !== 'net') return;
  assert.deepEqual([packet.op, packet.family, packet.socketType, packet.socketProtocol, packet.protocol, packet.ip, packet.localIp], ['socket', 'packet', 'raw', 768, '', '', '']);
  const tcp = make(7, (p) => {
    p.s64('ret', 3n);
    p.u16('family', 2);
    p.u16('op', 21);
    p.u16('sock_type', 1);
    p.u16('protocol', 6);
  });
  assert.ok(tcp.type === 'net' && tcp.family === 'inet' && tcp.protocol === 'tcp' && tcp.ip === '' && tcp.port === 0);
  const odd = make(7, (p) => {
    p.s64('ret', -97n);
    p.u16('family', 99);
    p.u16('op', 21);
  });
  assert.ok(odd.type === 'net' && odd.family === 'af-99' && odd.result === -97 && odd.socketType === '');
  // dup2(3, 0) of a connected TCP socket: old fd, new fd, both ends.
  const dup = make(8, (p) => {
    p.s64('ret', 0n);
    p.s32('fd', 3);
    p.u16('family', 2);
    p.u16('op', 23);
    p.u16('sock_type', 1);
    p.u16('protocol', 6);
    p.bytes('addr', Buffer.from([192, 0, 2, 7]));
    p.u16('port', 4444);
    p.bytes('local_addr', Buffer.from([10, 0, 0, 5]));
    p.u16('local_port', 51000);
  });
  assert.ok(dup.type === 'net');
  if (dup.type !== 'net') return;
  assert.deepEqual([dup.op, dup.fd, dup.result, dup.ip, dup.port, dup.localIp, dup.localPort], ['dup2', 3, 0, '192.0.2.7', 4444, '10.0.0.5', 51000]);
});

test('link, ptrace and module records', () => {
  const c = cLayout();
  const target = Buffer.from('/etc/shadow');
  const lsize = c.ea_file_link.fields.target[0] + target.length;
  const link = decodeRecord(
    cRecord('ea_file_link', (p) => {
      task(p, 6, lsize);
      p.s64('ret', 0n);
      p.s32('olddirfd', -1);
      p.s32('newdirfd', -100);
      p.u16('op', 18);
      p.u16('path_len', 8);
      p.bytes('path', Buffer.from('/tmp/lnk'));
      p.u16('target_len', target.length);
      p.bytes('target', target);
    }),
    0,
    lsize,
  );
  assert.ok(link.type === 'link');
  if (link.type !== 'link') return;
  assert.deepEqual([link.op, link.path, link.target, link.olddirfd, link.newdirfd, link.result], ['symlinkat', '/tmp/lnk', '/etc/shadow', -1, -100, 0]);

  const psize = c.ea_proc_ptrace.size;
  const pt = decodeRecord(
    cRecord('ea_proc_ptrace', (p) => {
      task(p, 9, psize);
      p.s64('ret', -1n);
      p.s64('request', 0x4206n);
      p.s32('target', 777);
      p.u64('addr', 0xffff_ffff_ffff_fff0n);
      p.u64('data', 42n);
    }),
    0,
    psize,
  );
  assert.ok(pt.type === 'ptrace');
  if (pt.type !== 'ptrace') return;
  assert.deepEqual([pt.request, pt.requestCode, pt.target, pt.result, pt.addr, pt.data], ['PTRACE_SEIZE', 0x4206, 777, -1, 0xffff_ffff_ffff_fff0n, 42n]);

  const params = Buffer.from('debug=1');
  const msize = c.ea_proc_module.fields.params[0] + params.length;
  const mod = decodeRecord(
    cRecord('ea_proc_module', (p) => {
      task(p, 10, msize);
      p.s64('ret', -38n);
      p.s32('fd', 5);
      p.u16('op', 27);
      p.u16('path_len', 9);
      p.bytes('path', Buffer.from('/tmp/x.ko'));
      p.u16('params_len', params.length);
      p.bytes('params', params);
    }),
    0,
    msize,
  );
  assert.ok(mod.type === 'module');
  if (mod.type !== 'module') return;
  assert.deepEqual([mod.op, mod.path, mod.params, mod.fd, mod.result, mod.size], ['finit_module', '/tmp/x.ko', 'debug=1', 5, -38, 0]);
});

test('RFC 5952 IPv6 text', () => {
  const f = (hex: string) => formatAddress(10, Buffer.from(hex, 'hex')).ip;
  assert.equal(f('20010db8000000000000000000000001'), '2001:db8::1');
  assert.equal(f('20010db8000000010000000000000001'), '2001:db8:0:1::1');
  assert.equal(f('20010db8000000000001000000000001'), '2001:db8::1:0:0:1'); // first of two equal runs
  assert.equal(f('fe800000000000000202b3fffe1e8329'), 'fe80::202:b3ff:fe1e:8329');
  assert.equal(f('00000000000000000000000000000000'), '::');
  assert.equal(f('20010db8000100020003000400050006'), '2001:db8:1:2:3:4:5:6');
});

test('exec and exit records', () => {
  const c = cLayout();
  const argv = Buffer.from('ls\0-la\0a b\0');
  const size = c.ea_proc_exec.fields.args[0] + argv.length; // sent up to the used argv bytes
  const exec = cRecord('ea_proc_exec', (p) => {
    task(p, 3, size);
    p.u32('old_tid', 4243);
    p.u16('filename_len', 7);
    p.u16('exe_len', 11);
    p.u16('cwd_len', 5);
    p.u16('args_len', argv.length);
    p.bytes('filename', Buffer.from('/bin/ls'));
    p.bytes('exe', Buffer.from('/usr/bin/ls'));
    p.bytes('cwd', Buffer.from('/root'));
    p.bytes('args', argv);
  });
  const e = decodeRecord(exec, 0, size);
  assert.ok(e.type === 'exec');
  if (e.type !== 'exec') return;
  assert.deepEqual([e.filename, e.exe, e.cwd, e.oldTid], ['/bin/ls', '/usr/bin/ls', '/root', 4243]);
  assert.deepEqual(e.args, ['ls', '-la', 'a b']);
  assert.equal(e.exeMemfd, false);
  assert.equal(e.task.exeUnlinked, false);
  const memfdExec = cRecord('ea_proc_exec', (p) => {
    task(p, 3, size);
    p.u32('task.flags', 1);
    p.u32('exe_flags', 3);
    p.u16('exe_len', 13);
    p.bytes('exe', Buffer.from('/memfd:x-load'));
  });
  const m = decodeRecord(memfdExec, 0, size);
  assert.ok(m.type === 'exec' && m.exeMemfd && m.task.exeUnlinked && m.exe === '/memfd:x-load');
  const exitRec = (status: number) =>
    decodeRecord(
      cRecord('ea_proc_exit', (p) => {
        task(p, 4, c.ea_proc_exit.size);
        p.s32('exit_code', status);
      }),
      0,
      c.ea_proc_exit.size,
    );
  const normal = exitRec(3 << 8);
  assert.ok(normal.type === 'exit' && normal.exitCode === 3 && normal.signal === 0);
  const killed = exitRec(9);
  assert.ok(killed.type === 'exit' && killed.exitCode === -1 && killed.signal === 9);
});

test('credential change record: old and new ids and capabilities', () => {
  const c = cLayout();
  const size = c.ea_proc_cred.size;
  const credsAt = (p: Putter, which: 'old' | 'new', id: number, caps: bigint) => {
    const base = c.ea_proc_cred.fields[which][0];
    for (const f of ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid']) p.u32At(base + c.ea_creds.fields[f][0], id);
    p.u64At(base + c.ea_creds.fields.cap_effective[0], caps);
    p.u64At(base + c.ea_creds.fields.cap_permitted[0], caps);
  };
  const rec = cRecord('ea_proc_cred', (p) => {
    task(p, 5, size);
    p.s64('ret', 0n);
    p.u16('op', 12);
    credsAt(p, 'old', 0, 0x1ffffffffffn);
    credsAt(p, 'new', 65534, 0n);
  });
  const r = decodeRecord(rec, 0, size);
  assert.ok(r.type === 'cred');
  if (r.type !== 'cred') return;
  assert.equal(r.op, 'setresuid');
  assert.equal(r.old.uid, 0);
  assert.equal(r.new.euid, 65534);
  assert.equal(r.old.cap_effective, 0x1ffffffffffn);
  assert.equal(r.new.cap_permitted, 0n);
});

test('unknown type, short record and size mismatch are DecodeErrors', () => {
  const c = cLayout();
  const rec = cRecord('ea_proc_exit', (p) => task(p, 99, c.ea_proc_exit.size));
  assert.throws(() => decodeRecord(rec, 0, rec.length), /unknown record type 99/);
  assert.throws(() => decodeRecord(rec, 0, 20), DecodeError);
  const wrong = cRecord('ea_proc_exit', (p) => task(p, 4, 999));
  assert.throws(() => decodeRecord(wrong, 0, wrong.length), /says 999 bytes/);
});

test('comm: each record gets its own bytes, also when the last comm is handed out again', () => {
  const c = cLayout();
  const withComm = (bytes: Buffer): Buffer =>
    cRecord('ea_proc_exit', (p) => {
      task(p, 4, c.ea_proc_exit.size);
      p.bytes('task.comm', Buffer.concat([bytes, Buffer.alloc(16)]).subarray(0, 16));
    });
  const commOf = (rec: Buffer): string => decodeRecord(rec, 0, rec.length).task.comm;
  const full16 = Buffer.from('sixteen-chars-xy'); // no NUL: all 16 bytes
  const cases: Array<[Buffer, string]> = [
    [Buffer.from('abc'), 'abc'],
    [Buffer.from('abc'), 'abc'],
    [Buffer.from('abd'), 'abd'],
    [Buffer.from('ab'), 'ab'],
    [Buffer.from('abc\0zz'), 'abc'],
    [Buffer.from(''), ''],
    [full16, 'sixteen-chars-xy'],
    [Buffer.from('sixteen-chars-xz'), 'sixteen-chars-xz'],
    [Buffer.from('ü-é'), 'ü-é'],
    [Buffer.from([0xff, 0x41]), '\ufffdA'],
    [Buffer.from([0xfe, 0x41]), '\ufffdA'],
    [Buffer.from('abc'), 'abc'],
  ];
  for (const [bytes, want] of cases) assert.equal(commOf(withComm(bytes)), want, `comm bytes ${bytes.toString('hex')}`);
});

test("task: the same object while a task's bytes are the same, a new one for any change, tids sharing a slot kept apart", () => {
  const c = cLayout();
  const exit = (edit: (p: Putter) => void = () => undefined): Buffer =>
    cRecord('ea_proc_exit', (p) => {
      task(p, 4, c.ea_proc_exit.size);
      edit(p);
    });
  const taskOf = (rec: Buffer) => decodeRecord(rec, 0, rec.length).task;
  const first = taskOf(exit());
  assert.ok(Object.isFrozen(first));
  assert.equal(taskOf(exit((p) => p.u64('hdr.ktime_ns', 1n))), first, 'another record of the same task');
  const changes: Array<[(p: Putter) => void, (t: ReturnType<typeof taskOf>) => unknown, unknown]> = [
    [(p) => p.u32('task.uid', 0), (t) => t.uid, 0],
    [(p) => p.u32('task.ppid', 77), (t) => t.ppid, 77],
    [(p) => p.u64('task.start_ns', 78_000_000_000n), (t) => t.startNs, 78_000_000_000n],
    [(p) => p.u64('task.cgroup_id', 1n << 40n), (t) => t.cgroupId, 1n << 40n],
    [(p) => p.bytes('task.comm', Buffer.from('dog\0')), (t) => t.comm, 'dog'],
    [(p) => p.u32('task.flags', 1), (t) => t.exeUnlinked, true],
    [(p) => p.u64('task.cap_effective', 0n), (t) => t.capEffective, 0n],
    [(p) => p.u32('task.loginuid', 0xffffffff), (t) => t.loginuid, 0xffffffff],
  ];
  for (const [edit, field, want] of changes) {
    const t = taskOf(exit(edit));
    assert.notEqual(t, first);
    assert.equal(field(t), want);
    assert.equal(t.pid, 4242);
    assert.deepEqual(taskOf(exit()), first, 'back to the first bytes: the first values');
  }
  // tid and tid + 64 share a slot: each record still gets its own task's values.
  for (let i = 0; i < 4; i++) {
    assert.equal(taskOf(exit()).tid, 4243);
    const other = taskOf(exit((p) => p.u32('task.tid', 4243 + 64)));
    assert.equal(other.tid, 4243 + 64);
  }
});
