/**
 * A generated data set and generated conditions for the differential search tests: the SQLite and
 * the OpenSearch search must select exactly the events the rule engine selects. The data set has
 * every kind, hostile strings, IPv4/IPv6/v4-mapped/unix addresses, failures, execs and exits,
 * privilege changes and pid reuse; the conditions every field and operator, negations, macros and
 * lists of the default pack, with values drawn from the data set so that some match.
 */
import { NEW_PROCESS_EVENT_FIELDS } from './event-defaults';
import { rng } from './rng';
import type { AuditEvent, Creds, Host, Process } from '../../schemas/types';

const HOSTS: Host[] = [
  { id: 'h-aaaa', name: 'web-1', boot_id: 'b1' },
  { id: 'h-bbbb', name: 'db-2', boot_id: 'b2' },
];
const COMMS = ['cat', 'bash', 'sh', 'nginx', 'python3', 'Curl', 'sshd', 'caf\u00e9', 'a*b?[c]', ''];
const PATHS = [
  '/etc/passwd',
  '/etc/shadow',
  '/etc',
  '/etcetera/x',
  '/tmp/a b.txt',
  '/tmp/[x]*.log',
  '/home/u/.ssh/id_ed25519',
  '/home/u/.ssh/id_ed25519.pub',
  '/usr/bin/ls',
  '/var/log/nginx/access.log',
  '/tmp/\u00c9T\u00c9/r\u00e9sum\u00e9.PDF',
  '/tmp/evil\u001b[31m\n"q"',
  'relative/name',
  '/',
  '/srv/app/File-10.dat',
  '/dev/shm/x',
];
// A short id and a runtime's 64-hex one (the language's container.id is its first 12).
const CONTAINERS = ['c0ffee', '4f1b2c3d4e5fa6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1'];
const IPS = ['10.0.0.5', '10.200.3.4', '192.168.1.10', '127.0.0.1', '169.254.169.254', '::1', 'fd00::7', '2001:db8::1', '::ffff:10.0.0.9', '8.8.8.8', ''];

function creds(r: () => number): Creds {
  const id = (): number => [0, 1000, 65534, 4294967294][Math.floor(r() * 4)];
  return {
    uid: id(),
    euid: id(),
    suid: id(),
    fsuid: id(),
    gid: id(),
    egid: id(),
    sgid: id(),
    fsgid: id(),
    cap_effective: r() < 0.5 ? 0n : 0x1fffffffffn,
    cap_permitted: 0x1fffffffffn,
  };
}

/** A stream of processes: each starts (some with an exec), does a few things, exits; pids get reused. */
export function dataSet(n: number): AuditEvent[] {
  const r = rng(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  // The fields added for Falco's rules draw from a stream of their own: the rest of the data set
  // stays what it was before them.
  const r2 = rng(11);
  const pick2 = <T>(xs: T[]): T => xs[Math.floor(r2() * xs.length)];
  const out: AuditEvent[] = [];
  let t = BigInt(Date.UTC(2026, 10, 24, 12)) * 1_000_000n;
  let start = 1_000_000n;
  while (out.length < n) {
    const host = pick(HOSTS);
    const pid = 100 + Math.floor(r() * 40); // few pids: reuse happens
    const ppid = 100 + Math.floor(r() * 40);
    start += 1000n + BigInt(Math.floor(r() * 1000));
    const comm = pick(COMMS);
    const proc = {
      pid,
      tid: r() < 0.8 ? pid : pid + 1,
      ppid,
      uid: pick([0, 33, 1000, 65534, 4294967294]),
      gid: 33,
      euid: pick([0, 33, 1000]),
      egid: 33,
      comm,
      exe: r() < 0.1 ? '' : `/usr/bin/${comm}`,
      start_time_ns: start,
      cgroup_id: 1n,
      container_id: r() < 0.2 ? pick(CONTAINERS) : '',
      exe_from_memfd: r() < 0.05,
      exe_deleted: r() < 0.1,
      exe_upper_layer: r2() < 0.05,
      cap_effective: pick2([0n, 0x1ffffffffffn, 1n << 21n, -(1n << 63n) | 0x3n]),
      tty: pick2([0, 0, 34816, 34819]),
      loginuid: pick2([-1, -1, 1000, 0]),
      user_name: pick2(['', 'root', 'www-data', 'caf\u00e9 "x"']),
      login_user_name: pick2(['', 'alice', 'root']),
    };
    const base = (): { time_ns: bigint; ktime_ns: bigint; host: Host } => {
      t += 1000n + BigInt(Math.floor(r() * 100000));
      return { time_ns: t, ktime_ns: t - 1_700_000_000_000_000_000n, host };
    };
    const base2 = (): { time_ns: bigint; ktime_ns: bigint; host: Host } => {
      t += 1000n + BigInt(Math.floor(r2() * 100000));
      return { time_ns: t, ktime_ns: t - 1_700_000_000_000_000_000n, host };
    };
    const steps = 1 + Math.floor(r() * 6);
    for (let i = 0; i < steps; i++) {
      const x = r();
      if (i === 0 && x < 0.7) {
        const args = [comm, pick(['-c', '-n', '--port=80', 'nc -e /bin/sh']), pick(PATHS)];
        out.push({
          kind: 'process',
          event: {
            ...base(),
            process: proc,
            kind: 'exec',
            filename: proc.exe,
            args,
            cwd: pick(['/', '/tmp', '/root', '']),
            exit_code: 0,
            signal: 0,
            truncated: false,
            cred_change: null,
            ...NEW_PROCESS_EVENT_FIELDS,
            ancestors: r2() < 0.5 ? [] : [{ pid: ppid, comm: 'bash', exe: '/usr/bin/bash' }],
          },
        });
      } else if (x < 0.5) {
        const flags = pick([0, 1, 2, 0o101, 0o1101, 0o2000, 0o100, 0o2000002, 0o200000]);
        out.push({
          kind: 'file',
          event: {
            ...base(),
            process: proc,
            op: pick(['openat', 'open', 'creat', 'openat2']),
            path: pick(PATHS),
            dirfd: -100,
            flags,
            mode: pick([0, 0o644, 0o755]),
            result: pick([3, 4, -2, -13, -1, -17, -9999]),
            truncated: false,
            target: '',
          },
        });
      } else if (x < 0.8) {
        const unix = r() < 0.15;
        out.push({
          kind: 'net',
          event: {
            ...base(),
            process: proc,
            op: pick(['connect', 'connect', 'accept', 'accept4']),
            family: unix ? 'unix' : pick(['inet', 'inet6']),
            dst_ip: unix ? '' : pick(IPS),
            dst_port: unix ? 0 : pick([22, 80, 443, 5432, 65535]),
            fd: 5,
            result: pick([0, -115, -111, -13]),
            protocol: unix ? 'unix' : pick(['tcp', 'udp']),
            unix_path: unix ? pick(['/run/docker.sock', '@abstract', '/var/run/x.sock']) : '',
            local_ip: unix ? '' : pick2(['', '10.0.0.5']),
            local_port: unix ? 0 : pick2([0, 40000]),
            socket_type: unix ? 'stream' : pick2(['stream', 'dgram']),
            socket_protocol: unix ? 0 : pick2([6, 17]),
          },
        });
      } else if (x < 0.9) {
        out.push({
          kind: 'process',
          event: {
            ...base(),
            process: proc,
            kind: pick(['setuid', 'setresuid', 'capset']),
            filename: '',
            args: [],
            cwd: '',
            exit_code: 0,
            signal: 0,
            truncated: false,
            cred_change: { old: creds(r), new: creds(r) },
            ...NEW_PROCESS_EVENT_FIELDS,
          },
        });
      }
    }
    // Links, sockets and dups, ptrace and module loads (from the second stream, like their values).
    if (r2() < 0.35) out.push(newerEvent(r2, pick2, { ...base2(), process: proc }));
    out.push({
      kind: 'process',
      event: {
        ...base(),
        process: proc,
        kind: 'exit',
        filename: '',
        args: [],
        cwd: '',
        exit_code: pick([0, 1, 2]),
        signal: pick([0, 0, 9]),
        truncated: false,
        cred_change: null,
        ...NEW_PROCESS_EVENT_FIELDS,
      },
    });
  }
  return out;
}

type Base = { time_ns: bigint; ktime_ns: bigint; host: Host; process: Process };

/** One of the events the newer fields describe: a link, a socket or a dup, a ptrace, a module load. */
function newerEvent(r: () => number, pick: <T>(xs: T[]) => T, base: Base): AuditEvent {
  const x = r();
  if (x < 0.25) {
    return {
      kind: 'file',
      event: {
        ...base,
        op: pick(['symlink', 'symlinkat', 'link', 'linkat']),
        path: pick(['/tmp/l', '/usr/bin/x', '/etc/cron.d/job']),
        dirfd: -100,
        flags: 0,
        mode: 0,
        result: pick([0, -17]),
        truncated: false,
        target: pick(['/etc/shadow', '../../bin/sh', '', '/tmp/\u00e9']),
      },
    };
  }
  if (x < 0.55) {
    const fresh = r() < 0.4;
    const unix = !fresh && r() < 0.2;
    return {
      kind: 'net',
      event: {
        ...base,
        op: fresh ? 'socket' : pick(['dup', 'dup2', 'dup3', 'connect']),
        family: unix ? 'unix' : pick(['inet', 'inet6', 'netlink', 'packet']),
        dst_ip: fresh || unix ? '' : pick(IPS),
        dst_port: fresh || unix ? 0 : pick([0, 53, 443]),
        fd: pick([3, 7, -1]),
        result: pick([3, 9, -24]),
        protocol: unix ? 'unix' : pick(['tcp', 'udp', 'raw']),
        unix_path: unix ? '/run/x.sock' : '',
        local_ip: fresh || unix ? '' : pick(['', '10.0.0.5', '::1', 'fd00::7', '192.168.1.10']),
        local_port: fresh || unix ? 0 : pick([0, 40000, 53]),
        socket_type: pick(['stream', 'dgram', 'raw', 'packet', '']),
        socket_protocol: pick([0, 6, 17, 768]),
      },
    };
  }
  const pe = {
    filename: '',
    args: [] as string[],
    cwd: '',
    exit_code: 0,
    signal: 0,
    truncated: false,
    cred_change: null,
    ancestors: [] as { pid: number; comm: string; exe: string }[],
  };
  if (x < 0.8) {
    const request = pick(['PTRACE_ATTACH', 'PTRACE_SEIZE', 'PTRACE_POKETEXT', 'PTRACE_TRACEME']);
    return {
      kind: 'process',
      event: {
        ...base,
        ...pe,
        kind: 'ptrace',
        result: pick([0, -1, -3]),
        module: null,
        ptrace: { request, request_code: 16, target_pid: request === 'PTRACE_TRACEME' ? 0 : pick([101, 4242]), addr: 0n, data: 0n },
      },
    };
  }
  const fin = r() < 0.5;
  return {
    kind: 'process',
    event: {
      ...base,
      ...pe,
      kind: fin ? 'finit_module' : 'init_module',
      result: pick([0, -17]),
      ptrace: null,
      module: { path: fin ? pick(['/lib/modules/evil.ko', '/tmp/rk.ko']) : '', size: 4096n, fd: fin ? 5 : -1, flags: 0, params: pick(['', 'debug=1', 'hide=1 x="y"']) },
    },
  };
}

/** Conditions: every field and operator, values drawn from the data set (so that some match), composed. */
export function conditions(n: number): string[] {
  const r = rng(99);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const strVal = (): string =>
    q(
      pick([
        ...PATHS,
        ...COMMS,
        'etc',
        '/etc/',
        'ssh',
        '/usr/bin/cat',
        'c0ffee',
        '4f1b2c3d4e5f',
        'host',
        'web-1',
        'h-bbbb',
        'tcp',
        'inet6',
        'exec',
        'EACCES',
        'O_CREAT',
        'O_TRUNC',
        'É',
        'pdf',
        '/run/docker.sock',
        '-c',
        'passwd',
      ]),
    );
  const globVal = (): string =>
    q(
      pick([
        '/etc/*',
        '*.log',
        '/tmp/?*',
        '*[xX]*',
        '/home/*/.ssh/id_*',
        '*[!a-z]',
        '/tmp/[[]x*',
        '*',
        'ca?',
        '/usr/bin/[b-d]*',
        '4f1b*',
        '*2c3d4e5f',
        '????????????',
        '*a0b1',
        'c0f*',
      ]),
    );
  const strFields = [
    'proc.name',
    'proc.exepath',
    'file.path',
    'file.name',
    'file.directory',
    'file.flags',
    'proc.cmdline',
    'proc.pname',
    'proc.cwd',
    'host.name',
    'host.id',
    'container.id',
    'evt.type',
    'evt.kind',
    'evt.errno',
    'net.proto',
    'net.family',
    'net.unix_path',
  ];
  const numFields = ['proc.pid', 'proc.ppid', 'proc.tid', 'proc.uid', 'proc.euid', 'evt.res', 'net.dst_port', 'file.mode', 'cred.old.uid', 'cred.new.euid', 'cred.new.fsgid'];
  const boolFields = [
    'proc.exe_from_memfd',
    'proc.exe_deleted',
    'proc.exe_fileless',
    'evt.failed',
    'evt.is_open_write',
    'evt.is_open_read',
    'cred.changed',
    'cred.to_root',
    'cred.caps_raised',
  ];
  // The newer fields (kept in the stores' ext values) and the Falco names built on them: a stream of
  // their own, so the conditions above stay what they were.
  const r2 = rng(123);
  const pick2 = <T>(xs: T[]): T => xs[Math.floor(r2() * xs.length)];
  const newStr = [
    'proc.user',
    'user.name',
    'proc.loginuser',
    'user.loginname',
    'proc.cap_effective',
    'thread.cap_effective',
    'file.target',
    'fs.path.source',
    'net.socket_type',
    'ptrace.request',
    'evt.arg.request',
    'module.path',
    'module.params',
    'evt.arg.uargs',
    'fd.nameraw',
    'fs.path.nameraw',
    'fd.l4proto',
    'fd.sockfamily',
  ];
  const newNum = [
    'proc.tty',
    'proc.loginuid',
    'user.loginuid',
    'net.local_port',
    'fd.lport',
    'net.socket_protocol',
    'net.fd',
    'ptrace.target_pid',
    'user.uid',
    'group.gid',
    'thread.tid',
  ];
  const newStrVal = (): string =>
    q(
      pick2([
        'root',
        'www-data',
        'alice',
        '',
        'caf\u00e9 "x"',
        'CAP_SYS_ADMIN',
        'CAP_CHOWN',
        'CAP_CHOWN CAP_DAC_OVERRIDE',
        'CAP_63',
        'CAP_',
        '/etc/shadow',
        '../../bin/sh',
        'stream',
        'dgram',
        'PTRACE_ATTACH',
        'PTRACE_TRACEME',
        'PTRACE_',
        '/tmp/rk.ko',
        'debug=1',
        'hide',
        '10.0.0.5',
        '::1',
        '10.',
        'fd00',
      ]),
    );
  const newAtom = (): string => {
    const x = r2();
    if (x < 0.5) {
      const f = pick2(newStr);
      const op = pick2(['=', '!=', 'startswith', 'endswith', 'contains', 'icontains', 'glob', 'in', 'exists']);
      if (op === 'exists') return `${f} exists`;
      if (op === 'glob') return `${f} glob ${q(pick2(['*', 'CAP_*', '*SYS_ADMIN*', 'PTRACE_[AP]*', '/etc/*', '*.ko', '10.*', '?*']))}`;
      if (op === 'in') return `${f} in (${[newStrVal(), newStrVal(), newStrVal()].join(', ')})`;
      return `${f} ${op} ${newStrVal()}`;
    }
    if (x < 0.8) {
      const f = pick2(newNum);
      const v = (): string => String(pick2([-1, 0, 3, 6, 17, 53, 101, 768, 1000, 34816, 34819, 40000, 4242]));
      const op = pick2(['=', '!=', '<', '<=', '>', '>=', 'in', 'exists']);
      if (op === 'exists') return `${f} exists`;
      return op === 'in' ? `${f} in (${v()}, ${v()}, ${v()})` : `${f} ${op} ${v()}`;
    }
    if (x < 0.84) return `${pick2(['net.local_ip', 'fd.lip'])} exists`;
    if (x < 0.9) return `${pick2(['proc.exe_upper_layer', 'proc.is_exe_upper_layer'])} ${pick2(['=', '!='])} ${pick2(['true', 'false'])}`;
    const op = pick2(['in', '=', '!=']);
    const v = (): string => pick2(['10.0.0.0/8', '10.0.0.5', '::1', 'fd00::/8', '::/0', '0.0.0.0/0', '192.168.0.0/16', '::ffff:10.0.0.0/104']);
    const f = pick2(['net.local_ip', 'fd.lip']);
    return op === 'in' ? `${f} in (${v()}, ${v()})` : `${f} ${op} ${v()}`;
  };
  const atom = (): string => {
    const x = r();
    if (x < 0.35) {
      const f = pick(strFields);
      const op = pick(['=', '!=', 'startswith', 'endswith', 'contains', 'icontains', 'glob', 'in', 'pmatch', 'exists']);
      if (f === 'evt.kind' && op !== 'exists') return `evt.kind ${pick(['=', '!='])} ${pick(['file', 'net', 'process'])}`;
      if (f === 'evt.type' && (op === '=' || op === '!=' || op === 'in'))
        return `evt.type ${op === 'in' ? 'in (openat, connect, exec)' : `${op} ${pick(['openat', 'connect', 'exec', 'exit', 'setuid'])}`}`;
      if (f === 'evt.type' || f === 'evt.kind') return `${f} exists`;
      if (op === 'exists') return `${f} exists`;
      if (op === 'glob') return `${f} glob ${globVal()}`;
      if (op === 'in' || op === 'pmatch') return `${f} ${op} (${[strVal(), strVal(), strVal()].join(', ')})`;
      return `${f} ${op} ${strVal()}`;
    }
    if (x < 0.55) {
      const f = pick(numFields);
      const v = (): string => String(pick([0, 1, 22, 33, 100, 110, 120, 139, 443, 1000, 65534, 4294967294, -2, -13, 3, 420, 493]));
      const op = pick(['=', '!=', '<', '<=', '>', '>=', 'in', 'exists']);
      if (op === 'exists') return `${f} exists`;
      return op === 'in' ? `${f} in (${v()}, ${v()}, ${v()})` : `${f} ${op} ${v()}`;
    }
    if (x < 0.68) return `${pick(boolFields)} ${pick(['=', '!='])} ${pick(['true', 'false'])}`;
    if (x < 0.82) {
      const op = pick(['in', '=', '!=']);
      const v = (): string =>
        pick(['10.0.0.0/8', '10.0.0.5', '127.0.0.0/8', 'fd00::/8', '::1', '::/0', '0.0.0.0/0', '::ffff:10.0.0.0/104', '2001:db8::/32', '192.168.1.10', '169.254.169.254']);
      return op === 'in' ? `net.dst_ip in (${v()}, ${v()})` : `net.dst_ip ${op} ${v()}`;
    }
    return pick([
      'open_write',
      'open_read',
      'inet_connect',
      'shell_or_interpreter',
      'proc.name in (shell_binaries)',
      'proc.name in shell_binaries',
      'file.path in (shadow_files)',
      'file.path pmatch (binary_dirs)',
    ]);
  };
  const expr = (d: number): string => {
    const x = r();
    if (d > 2 || x < 0.4) return r2() < 0.3 ? newAtom() : atom();
    if (x < 0.55) return `not ${expr(d + 1)}`;
    if (x < 0.8) return `(${expr(d + 1)} and ${expr(d + 1)})`;
    return `(${expr(d + 1)} or ${expr(d + 1)})`;
  };
  // container.id is the first 12 characters of the id: globs over the short form, not the full one.
  const fixed = [
    'container.id glob "4f1b*"',
    'container.id glob "????????????"',
    'container.id glob "*a0b1"',
    'container.id glob "*[!0-9]"',
    'container.id = 4f1b2c3d4e5f',
    'container.id in (host, c0ffee)',
    'container.full_id endswith a0b1',
    // Each of the newer fields at least once, with values the data set has.
    'proc.tty = 34816',
    'not proc.tty = 0',
    'user.loginuid = -1',
    'proc.loginuid in (1000, 0)',
    'user.name = root',
    'user.name != root',
    'proc.user = ""',
    'user.loginname exists',
    'proc.loginuser = alice',
    'proc.cap_effective contains CAP_SYS_ADMIN',
    'thread.cap_effective = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_63"',
    'not proc.cap_effective exists',
    'proc.is_exe_upper_layer = true',
    'file.target startswith /etc',
    'not file.target exists',
    'fs.path.source = ""',
    'net.local_ip in (10.0.0.0/8)',
    'net.local_ip != 10.0.0.5',
    'fd.lip = ::1',
    'fd.lip != 10.0.0.5',
    'fd.lip != ::/0',
    'not fd.lip in (fd00::/8)',
    'fd.lport = 40000',
    'fd.lport != 40000',
    'net.socket_type = dgram',
    'net.socket_protocol in (6, 17)',
    'net.fd < 0',
    'ptrace.request in (PTRACE_ATTACH, PTRACE_SEIZE)',
    'ptrace.target_pid = 0',
    'evt.arg.request startswith PTRACE_',
    'module.path endswith .ko',
    'module.params contains hide',
    'evt.arg.uargs = "debug=1"',
    'thread.tid in (101, 102, 130)',
    'user.uid = 0',
    'group.gid = 33',
    'proc.is_exe_from_memfd = true',
    'evt.hostname = web-1',
    'fd.nameraw startswith /etc',
    'fs.path.nameraw = /tmp/l',
    'fd.lnet in (10.0.0.0/8, fd00::/8)',
    'fd.lnet != 10.0.0.0/8',
    'fd.l4proto = udp',
    'fd.l4proto != tcp',
    'fd.sockfamily = ip',
    'fd.sockfamily != unix',
    'fd.is_server = true',
    'fd.is_server != true',
  ];
  return [...fixed, ...Array.from({ length: n - fixed.length }, () => expr(0))];
}

/**
 * For retro-hunt: a package manager's grandchild writes below /usr/bin (the default pack's
 * write-below-binary-dir excludes it through proc.aname, which no store column holds), once with
 * the ancestors' execs stored and once with them known only from the producer's list on the
 * writer's exec; and a shell's child does the same (an alert). Returns the events and the path the one alert names.
 */
export function ancestryCase(host: Host, t0: bigint): { events: AuditEvent[]; alerted: string } {
  const events: AuditEvent[] = [];
  let s = 0;
  const proc = (pid: number, ppid: number, comm: string) => ({
    pid,
    tid: pid,
    ppid,
    uid: 0,
    gid: 0,
    euid: 0,
    egid: 0,
    comm,
    exe: `/usr/bin/${comm}`,
    start_time_ns: 7000n + BigInt(pid),
    cgroup_id: 1n,
    container_id: '',
    exe_from_memfd: false,
    exe_deleted: false,
    exe_upper_layer: false,
    cap_effective: 0n,
    tty: 0,
    loginuid: -1,
    user_name: 'root',
    login_user_name: '',
  });
  const base = () => ({ time_ns: t0 + BigInt(++s) * 1_000_000n, ktime_ns: BigInt(s) * 1_000_000n, host });
  const exec = (p: ReturnType<typeof proc>, args: string[], ancestors: { pid: number; comm: string; exe: string }[] = []): void => {
    events.push({
      kind: 'process',
      event: {
        ...base(),
        process: p,
        kind: 'exec',
        filename: p.exe,
        args,
        cwd: '/root',
        exit_code: 0,
        signal: 0,
        truncated: false,
        cred_change: null,
        result: 0,
        ptrace: null,
        module: null,
        ancestors,
      },
    });
  };
  const write = (p: ReturnType<typeof proc>, path: string): void => {
    events.push({ kind: 'file', event: { ...base(), process: p, op: 'openat', path, dirfd: -100, flags: 0o1101, mode: 0o755, result: 3, truncated: false, target: '' } });
  };
  const apt = proc(300, 1, 'apt-get');
  const sh = proc(301, 300, 'sh');
  const cp = proc(302, 301, 'cp');
  exec(apt, ['apt-get', 'install', 'tool']);
  exec(sh, ['sh', '-c', 'cp tool /usr/bin/tool']);
  exec(cp, ['cp', 'tool', '/usr/bin/tool']);
  write(cp, '/usr/bin/tool');
  // The same, with apt-get and its shell known only from the list the producer puts on cp's exec
  // (they started before the store, and the shell forked without an exec).
  const cp3 = proc(502, 501, 'cp');
  exec(
    cp3,
    ['cp', 'tool2', '/usr/bin/tool2'],
    [
      { pid: 501, comm: 'sh', exe: '/usr/bin/dash' },
      { pid: 500, comm: 'apt-get', exe: '/usr/bin/apt-get' },
      { pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' },
    ],
  );
  write(cp3, '/usr/bin/tool2');
  const bash = proc(400, 1, 'bash');
  const cp2 = proc(401, 400, 'cp');
  exec(bash, ['bash']);
  exec(cp2, ['cp', 'evil', '/usr/bin/evil']);
  write(cp2, '/usr/bin/evil');
  return { events, alerted: '/usr/bin/evil' };
}
