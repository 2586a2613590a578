/**
 * A generated data set and generated conditions for the differential search tests: the SQLite and
 * the OpenSearch search must select exactly the events the rule engine selects. The data set has
 * every kind, hostile strings, IPv4/IPv6/v4-mapped/unix addresses, failures, execs and exits,
 * privilege changes and pid reuse; the conditions every field and operator, negations, macros and
 * lists of the default pack, with values drawn from the data set so that some match.
 */
import type { AuditEvent, Creds, Host } from '../../schemas/types';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const HOSTS: Host[] = [
  { id: 'h-aaaa', name: 'web-1', boot_id: 'b1' },
  { id: 'h-bbbb', name: 'db-2', boot_id: 'b2' },
];
const COMMS = ['cat', 'bash', 'sh', 'nginx', 'python3', 'Curl', 'sshd', 'caf\u00e9', 'a*b?[c]', ''];
const PATHS = [
  '/etc/passwd', '/etc/shadow', '/etc', '/etcetera/x', '/tmp/a b.txt', '/tmp/[x]*.log', '/home/u/.ssh/id_ed25519', '/home/u/.ssh/id_ed25519.pub',
  '/usr/bin/ls', '/var/log/nginx/access.log', '/tmp/\u00c9T\u00c9/r\u00e9sum\u00e9.PDF', '/tmp/evil\u001b[31m\n"q"', 'relative/name', '/', '/srv/app/File-10.dat', '/dev/shm/x',
];
const IPS = ['10.0.0.5', '10.200.3.4', '192.168.1.10', '127.0.0.1', '169.254.169.254', '::1', 'fd00::7', '2001:db8::1', '::ffff:10.0.0.9', '8.8.8.8', ''];

function creds(r: () => number): Creds {
  const id = (): number => [0, 1000, 65534, 4294967294][Math.floor(r() * 4)];
  return { uid: id(), euid: id(), suid: id(), fsuid: id(), gid: id(), egid: id(), sgid: id(), fsgid: id(), cap_effective: r() < 0.5 ? 0n : 0x1fffffffffn, cap_permitted: 0x1fffffffffn };
}

/** A stream of processes: each starts (some with an exec), does a few things, exits; pids get reused. */
export function dataSet(n: number): AuditEvent[] {
  const r = rng(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const out: AuditEvent[] = [];
  let t = BigInt(Date.UTC(2026, 10, 24, 12)) * 1_000_000n;
  let start = 1_000_000n;
  while (out.length < n) {
    const host = pick(HOSTS);
    const pid = 100 + Math.floor(r() * 40); // few pids: reuse happens
    const ppid = 100 + Math.floor(r() * 40);
    start += 1000n + BigInt(Math.floor(r() * 1000));
    const comm = pick(COMMS);
    const proc = { pid, tid: r() < 0.8 ? pid : pid + 1, ppid, uid: pick([0, 33, 1000, 65534, 4294967294]), gid: 33, euid: pick([0, 33, 1000]), egid: 33, comm, exe: r() < 0.1 ? '' : `/usr/bin/${comm}`, start_time_ns: start, cgroup_id: 1n, container_id: r() < 0.2 ? 'c0ffee' : '', exe_from_memfd: r() < 0.05, exe_deleted: r() < 0.1 };
    const base = (): { time_ns: bigint; ktime_ns: bigint; host: Host } => {
      t += 1000n + BigInt(Math.floor(r() * 100000));
      return { time_ns: t, ktime_ns: t - 1_700_000_000_000_000_000n, host };
    };
    const steps = 1 + Math.floor(r() * 6);
    for (let i = 0; i < steps; i++) {
      const x = r();
      if (i === 0 && x < 0.7) {
        const args = [comm, pick(['-c', '-n', '--port=80', 'nc -e /bin/sh']), pick(PATHS)];
        out.push({ kind: 'process', event: { ...base(), process: proc, kind: 'exec', filename: proc.exe, args, cwd: pick(['/', '/tmp', '/root', '']), exit_code: 0, signal: 0, truncated: false, cred_change: null } });
      } else if (x < 0.5) {
        const flags = pick([0, 1, 2, 0o101, 0o1101, 0o2000, 0o100, 0o2000002, 0o200000]);
        out.push({ kind: 'file', event: { ...base(), process: proc, op: pick(['openat', 'open', 'creat', 'openat2']), path: pick(PATHS), dirfd: -100, flags, mode: pick([0, 0o644, 0o755]), result: pick([3, 4, -2, -13, -1, -17, -9999]), truncated: false } });
      } else if (x < 0.8) {
        const unix = r() < 0.15;
        out.push({
          kind: 'net',
          event: {
            ...base(), process: proc, op: pick(['connect', 'connect', 'accept', 'accept4']), family: unix ? 'unix' : pick(['inet', 'inet6']), dst_ip: unix ? '' : pick(IPS), dst_port: unix ? 0 : pick([22, 80, 443, 5432, 65535]),
            fd: 5, result: pick([0, -115, -111, -13]), protocol: unix ? 'unix' : pick(['tcp', 'udp']), unix_path: unix ? pick(['/run/docker.sock', '@abstract', '/var/run/x.sock']) : '',
          },
        });
      } else if (x < 0.9) {
        out.push({ kind: 'process', event: { ...base(), process: proc, kind: pick(['setuid', 'setresuid', 'capset']), filename: '', args: [], cwd: '', exit_code: 0, signal: 0, truncated: false, cred_change: { old: creds(r), new: creds(r) } } });
      }
    }
    out.push({ kind: 'process', event: { ...base(), process: proc, kind: 'exit', filename: '', args: [], cwd: '', exit_code: pick([0, 1, 2]), signal: pick([0, 0, 9]), truncated: false, cred_change: null } });
  }
  return out;
}

/** Conditions: every field and operator, values drawn from the data set (so that some match), composed. */
export function conditions(n: number): string[] {
  const r = rng(99);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const strVal = (): string => q(pick([...PATHS, ...COMMS, 'etc', '/etc/', 'ssh', '/usr/bin/cat', 'c0ffee', 'web-1', 'h-bbbb', 'tcp', 'inet6', 'exec', 'EACCES', 'O_CREAT', 'O_TRUNC', 'É', 'pdf', '/run/docker.sock', '-c', 'passwd']));
  const globVal = (): string => q(pick(['/etc/*', '*.log', '/tmp/?*', '*[xX]*', '/home/*/.ssh/id_*', '*[!a-z]', '/tmp/[[]x*', '*', 'ca?', '/usr/bin/[b-d]*']));
  const strFields = ['proc.name', 'proc.exe', 'file.path', 'file.name', 'file.directory', 'file.flags', 'proc.cmdline', 'proc.pname', 'proc.cwd', 'host.name', 'host.id', 'container.id', 'evt.type', 'evt.kind', 'evt.errno', 'net.proto', 'net.family', 'net.unix_path'];
  const numFields = ['proc.pid', 'proc.ppid', 'proc.tid', 'proc.uid', 'proc.euid', 'evt.res', 'net.dst_port', 'file.mode', 'cred.old.uid', 'cred.new.euid', 'cred.new.fsgid'];
  const boolFields = ['proc.exe_from_memfd', 'proc.exe_deleted', 'proc.exe_fileless', 'evt.failed', 'evt.is_open_write', 'evt.is_open_read', 'cred.changed', 'cred.to_root', 'cred.caps_raised'];
  const atom = (): string => {
    const x = r();
    if (x < 0.35) {
      const f = pick(strFields);
      const op = pick(['=', '!=', 'startswith', 'endswith', 'contains', 'icontains', 'glob', 'in', 'pmatch', 'exists']);
      if (f === 'evt.kind' && op !== 'exists') return `evt.kind ${pick(['=', '!='])} ${pick(['file', 'net', 'process'])}`;
      if (f === 'evt.type' && (op === '=' || op === '!=' || op === 'in')) return `evt.type ${op === 'in' ? 'in (openat, connect, exec)' : `${op} ${pick(['openat', 'connect', 'exec', 'exit', 'setuid'])}`}`;
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
      const v = (): string => pick(['10.0.0.0/8', '10.0.0.5', '127.0.0.0/8', 'fd00::/8', '::1', '::/0', '0.0.0.0/0', '::ffff:10.0.0.0/104', '2001:db8::/32', '192.168.1.10', '169.254.169.254']);
      return op === 'in' ? `net.dst_ip in (${v()}, ${v()})` : `net.dst_ip ${op} ${v()}`;
    }
    return pick(['open_write', 'open_read', 'inet_connect', 'shell_or_interpreter', 'proc.name in (shell_binaries)', 'proc.name in shell_binaries', 'file.path in (shadow_files)', 'file.path pmatch (binary_dirs)']);
  };
  const expr = (d: number): string => {
    const x = r();
    if (d > 2 || x < 0.4) return atom();
    if (x < 0.55) return `not ${expr(d + 1)}`;
    if (x < 0.8) return `(${expr(d + 1)} and ${expr(d + 1)})`;
    return `(${expr(d + 1)} or ${expr(d + 1)})`;
  };
  return Array.from({ length: n }, () => expr(0));
}
