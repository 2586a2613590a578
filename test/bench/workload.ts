/** A deterministic event stream shaped like a busy fleet, for the consumer benchmarks. */
import type { AuditEvent, Host, Process } from '../../schemas/types';
import { rng } from '../helpers/rng';

/** Services do the bulk of opens and connects; shells only start programs (a shell connecting out is an alert). */
const COMMS = ['nginx', 'java', 'node', 'cat', 'sshd', 'postgres', 'systemd', 'cron', 'redis-server', 'envoy'];
const SHELLS = ['bash', 'sh', 'python3'];
const READ_DIRS = ['/usr/lib/x86_64-linux-gnu', '/etc', '/var/log/nginx', '/srv/app/static', '/proc/self', '/home/deploy/.cache', '/tmp'];
const WRITE_DIRS = ['/var/log/nginx', '/srv/app/uploads', '/tmp', '/var/lib/postgresql'];

function makeEvent(i: number, r: () => number, hosts: Host[], startNs: bigint): AuditEvent {
  const host = hosts[Math.floor(r() * hosts.length)];
  const comm = COMMS[Math.floor(r() * COMMS.length)];
  const pid = 1000 + Math.floor(r() * 500);
  const proc: Process = {
    pid,
    tid: pid,
    ppid: 1,
    uid: r() < 0.7 ? 33 : 0,
    gid: 33,
    euid: 33,
    egid: 33,
    comm,
    exe: `/usr/bin/${comm}`,
    start_time_ns: BigInt(pid) * 1_000_000n,
    cgroup_id: 1n,
    container_id: r() < 0.3 ? 'c'.repeat(64) : '',
    exe_from_memfd: false,
    exe_deleted: false,
    exe_upper_layer: false,
    cap_effective: 0n,
    tty: 0,
    loginuid: -1,
    user_name: 'www-data',
    login_user_name: '',
  };
  const base = { time_ns: startNs + BigInt(i) * 50_000n, ktime_ns: BigInt(i), host, process: proc };
  const x = r();
  if (x < 0.7) {
    const write = r() < 0.2;
    const dirs = write ? WRITE_DIRS : READ_DIRS;
    const dir = dirs[Math.floor(r() * dirs.length)];
    // 1 in 5000 opens is /etc/shadow: a cred-file-read alert now and then.
    const path = r() < 0.0002 ? '/etc/shadow' : `${dir}/file-${Math.floor(r() * 5000)}.dat`;
    const failed = r() < 0.05;
    return { kind: 'file', event: { ...base, op: 'openat', path, dirfd: -100, flags: write ? 0o1101 : 0, mode: 0, result: failed ? -2 : 3, truncated: false, target: '' } };
  }
  if (x < 0.95) {
    const ip = `10.${Math.floor(r() * 4)}.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}`;
    return {
      kind: 'net',
      event: {
        ...base,
        op: 'connect',
        family: 'inet',
        dst_ip: ip,
        dst_port: [443, 80, 5432, 6379][Math.floor(r() * 4)],
        fd: 5,
        result: r() < 0.1 ? -111 : 0,
        protocol: 'tcp',
        unix_path: '',
        local_ip: '10.9.0.1',
        local_port: 40000 + Math.floor(r() * 20000),
        socket_type: 'stream',
        socket_protocol: 6,
      },
    };
  }
  const shell = SHELLS[Math.floor(r() * SHELLS.length)];
  const p = r() < 0.5 ? proc : { ...proc, comm: shell, exe: `/usr/bin/${shell}` };
  return {
    kind: 'process',
    event: {
      ...base,
      process: p,
      kind: r() < 0.5 ? 'exec' : 'exit',
      filename: p.exe,
      args: [p.comm, '-c', `/srv/app/bin/job --port=${8000 + Math.floor(r() * 10)}`],
      cwd: '/srv/app',
      exit_code: 0,
      signal: 0,
      truncated: false,
      cred_change: null,
      result: 0,
      ptrace: null,
      module: null,
      ancestors: [],
    },
  };
}

/**
 * n events from 16 hosts, 50 us apart, the same every run but for their times: they end now by
 * default. (Fixed times in the past fell outside the broker's 7-day retention, which deleted the
 * preloaded segments in the middle of a run.)
 */
export function makeEvents(n: number, startNs: bigint = BigInt(Date.now()) * 1_000_000n - BigInt(n) * 50_000n): AuditEvent[] {
  const r = rng(42);
  const hosts: Host[] = Array.from({ length: 16 }, (_, i) => ({ id: `host-${i.toString(16).padStart(4, '0')}`, name: `web-${i}`, boot_id: `boot-${i}` }));
  return Array.from({ length: n }, (_, i) => makeEvent(i, r, hosts, startNs));
}
