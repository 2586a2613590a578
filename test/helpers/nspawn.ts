/**
 * A clean Debian 12 in a container, for the package and runtime tests: the cached debootstrap tree
 * (deploy/debian/rootfs.sh builds it once) under a throwaway overlay, so every run starts from the
 * same fresh system and leaves the cache untouched. What boots systemd here is in
 * shared/notes/kernel-and-ffi-facts.md: a tmpfs on /run/systemd/nspawn, the legacy cgroup
 * hierarchy, no registration with a host bus (there is none). No private network: the container
 * reaches the broker on the host's loopback. Commands run inside through nsenter.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT_DIR } from './env';

const ROOTFS_SH = path.join(ROOT_DIR, 'deploy/debian/rootfs.sh');
const RUNS = '/var/tmp';

export interface Container {
  /** The container's root as the host sees it (write files into it). */
  root: string;
  /** Run a shell script inside (as root, all of the container's namespaces). */
  sh(script: string, timeoutMs?: number): SpawnSyncReturns<string>;
  /** Like sh, throwing with the output when it fails; returns stdout. */
  ok(script: string, timeoutMs?: number): string;
  /** The host pid of a process given by its pid inside the container. */
  hostPid(pid: number): number;
  stop(): Promise<void>;
}

export function cachedRootfs(): string {
  return execFileSync(ROOTFS_SH, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600000 }).trim();
}

function mounted(dir: string): boolean {
  return spawnSync('mountpoint', ['-q', dir]).status === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `boot`: systemd as init (else the container only runs `sh` commands through nsenter of a sleeping init). */
export async function startContainer(name: string, opts: { boot: boolean; bindsRo?: string[]; binds?: string[] }): Promise<Container> {
  const lower = cachedRootfs();
  // Before the container's overlay is mounted: with the tmpfs mounted after it, on a host that had
  // none, the container's systemd never finished booting (reproduced three times, fixed by this order).
  let ownTmpfs = false;
  if (!mounted('/run/systemd/nspawn')) {
    fs.mkdirSync('/run/systemd/nspawn', { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', '/run/systemd/nspawn']);
    ownTmpfs = true;
  }
  const dir = fs.mkdtempSync(path.join(RUNS, `ea-${name}-`));
  const root = path.join(dir, 'root');
  for (const d of ['upper', 'work', 'root']) fs.mkdirSync(path.join(dir, d));
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work`, root]);
  // The site's own CAs (a TLS-intercepting gateway's, here), as on any machine of this network:
  // the container's ca-certificates picks them up when it is installed.
  const siteCas = '/usr/local/share/ca-certificates';
  if (fs.existsSync(siteCas)) fs.cpSync(siteCas, path.join(root, siteCas), { recursive: true });
  const args = [
    '-D',
    root,
    '--register=no',
    '--keep-unit',
    `--machine=ea-${name}-${process.pid}`,
    '--console=passive',
    '-q',
    // BPF inside: the capabilities and the two syscalls nspawn withholds by default; tracefs is
    // not mounted in a container's /sys, so the host's is bound in (libbpf reads tracepoint ids).
    '--capability=CAP_BPF,CAP_PERFMON',
    '--system-call-filter=bpf perf_event_open',
    '--bind-ro=/sys/kernel/tracing',
    ...(opts.bindsRo ?? []).map((b) => `--bind-ro=${b}`),
    ...(opts.binds ?? []).map((b) => `--bind=${b}`),
    ...(opts.boot ? ['-b'] : ['/bin/sleep', 'infinity']),
  ];
  const nspawn = spawn('systemd-nspawn', args, { env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  nspawn.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  nspawn.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => nspawn.once('exit', () => r()));

  const cleanup = async (): Promise<void> => {
    if (nspawn.exitCode === null && nspawn.signalCode === null) {
      nspawn.kill('SIGTERM'); // nspawn asks the container's init to shut down
      const killer = setTimeout(() => nspawn.kill('SIGKILL'), 30000);
      await exited;
      clearTimeout(killer);
    }
    for (let i = 0; i < 20 && spawnSync('umount', [root]).status !== 0 && mounted(root); i++) await sleep(250);
    fs.rmSync(dir, { recursive: true, force: true });
    if (ownTmpfs) spawnSync('umount', ['/run/systemd/nspawn']);
  };

  // The container's init is nspawn's child.
  let init = 0;
  for (let i = 0; i < 200 && !init; i++) {
    const children = fs.existsSync(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`) ? fs.readFileSync(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`, 'utf8').trim() : '';
    init = Number(children.split(' ')[0]) || 0;
    if (!init) {
      if (nspawn.exitCode !== null) break;
      await sleep(100);
    }
  }
  if (!init) {
    await cleanup();
    throw new Error(`systemd-nspawn did not start a container:\n${log}`);
  }
  const sh = (script: string, timeoutMs = 120000): SpawnSyncReturns<string> =>
    spawnSync('nsenter', ['-t', String(init), '-a', '/bin/sh', '-c', script], {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    });
  const ok = (script: string, timeoutMs?: number): string => {
    const r = sh(script, timeoutMs);
    if (r.status !== 0) throw new Error(`in the container, exit ${r.status ?? r.signal}: ${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  if (opts.boot) {
    // Until systemd has exec'd and opened its bus, systemctl fails ("offline", "Failed to connect
    // to bus"): ask again until the boot is over.
    const deadline = Date.now() + 120000;
    let state = sh('systemctl is-system-running --wait', 120000);
    while (!/running|degraded|stopping/.test(state.stdout) && nspawn.exitCode === null && Date.now() < deadline) {
      await sleep(250);
      state = sh('systemctl is-system-running --wait', 120000);
    }
    if (!/running|degraded/.test(state.stdout)) {
      await cleanup();
      throw new Error(`the container's systemd did not reach multi-user: ${state.stdout}${state.stderr}\n${log}`);
    }
  }
  const pidNs = fs.readlinkSync(`/proc/${init}/ns/pid`);
  return {
    root,
    sh,
    ok,
    hostPid(pid) {
      for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
          if (fs.readlinkSync(`/proc/${p}/ns/pid`) !== pidNs) continue;
          const nspid = /^NSpid:\s+(.*)$/m
            .exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]
            .trim()
            .split(/\s+/);
          if (nspid && Number(nspid[nspid.length - 1]) === pid) return Number(p);
        } catch {
          // gone meanwhile
        }
      }
      throw new Error(`no process ${pid} in the container`);
    },
    stop: cleanup,
  };
}
