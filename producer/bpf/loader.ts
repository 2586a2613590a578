/**
 * Opens, loads and attaches bpf/build/ebpf-audit.bpf.o through libbpf, and owns the resulting
 * links and maps until close(). Everything here runs once at start or shutdown.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { BpfError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { HOOKS, type Hook, type SyscallHooks } from './hooks';
import { isNull, lib, loadObjectInThread, strerror, type Ptr } from './native';
import { ensureTracefs } from './tracefs';
import { probeCapabilities } from './capabilities';
import { kernelTgid } from './self-tgid';

export interface BpfProbeOptions {
  objectPath: string;
  /** Ring buffer size in bytes: a power of two, a multiple of the page size. */
  ringBytes: number;
  logger: Logger;
  /** Called after load and before attach: set filters so the first event already obeys them. */
  beforeAttach?: (mapFd: (name: string) => number) => void;
  /** auto: raw (tp_btf) syscall hooks, falling back to per-syscall tracepoints if refused. */
  syscallHooks: SyscallHooks | 'auto';
  hooks?: readonly Hook[];
}

export interface BpfProbe {
  readonly ringFd: number;
  readonly ringBytes: number;
  readonly countersFd: number;
  /** This process's tgid as the kernel numbers it (not process.pid in a PID namespace of its own): excluded from capture. */
  readonly selfTgid: number;
  /** Hooks attached. */
  readonly attached: readonly Hook[];
  /** Which syscall program set is in use. */
  readonly syscallHooks: SyscallHooks;
  /** fd of a map of the object, by name. */
  mapFd(name: string): number;
  /** Detach every program (no new records); maps stay readable until close(). Idempotent. */
  detach(): void;
  /** Detach and free the object; idempotent. */
  close(): void;
}

function mapFd(obj: Ptr, name: string): number {
  const fd = lib().bpf_object__find_map_fd_by_name([obj, name]);
  if (fd < 0) throw new BpfError(`map ${name} not found in the BPF object: ${strerror(fd)}`);
  return fd;
}

/**
 * Open, load and attach; with syscallHooks 'auto', probe the raw set first and fall back. The
 * verifier runs on a thread of its own (loadObjectInThread): the event loop is free meanwhile.
 */
export async function openBpfProbe(opts: BpfProbeOptions): Promise<BpfProbe> {
  const log = opts.logger.child({ component: 'bpf' });
  if (!fs.existsSync(opts.objectPath)) {
    throw new BpfError(`BPF object ${opts.objectPath} not found: run "npm run build" first`);
  }
  ensureTracefs(log);
  log.info({ capabilities: probeCapabilities() }, 'kernel BPF capabilities (fentry/fexit are "tracing", kprobes need kprobeEvents)');
  if (opts.syscallHooks !== 'auto') return openWithRetry(opts, opts.syscallHooks, log);
  try {
    return await openWithRetry(opts, 'raw', log);
  } catch (err) {
    log.warn({ err }, 'raw (tp_btf) syscall hooks refused; using per-syscall tracepoints');
    return openWithRetry(opts, 'tracepoint', log);
  }
}

/**
 * The verifier gives up with EAGAIN when a signal is pending (a profiler's SIGPROF, for one):
 * that is not a refusal, so try the same set again before anything else.
 */
async function openWithRetry(opts: BpfProbeOptions, set: SyscallHooks, log: Logger): Promise<BpfProbe> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openWith(opts, set, log);
    } catch (err) {
      if (attempt >= 5 || !/Resource temporarily unavailable/.test((err as Error).message)) throw err;
      log.warn({ attempt, set }, 'BPF load interrupted (EAGAIN); retrying');
    }
  }
}

async function openWith(opts: BpfProbeOptions, set: SyscallHooks, log: Logger): Promise<BpfProbe> {
  const hooks = (opts.hooks ?? HOOKS).filter((h) => h.sets === undefined || h.sets.includes(set));
  const L = lib();
  const opened = L.bpf_object__open_file([opts.objectPath, 0]);
  if (isNull(opened.value)) throw new BpfError(`cannot open ${opts.objectPath}: ${opened.errnoMessage}`);
  const obj = opened.value;
  const links: { hook: Hook; link: Ptr }[] = [];
  let closed = false;

  const detach = (): void => {
    if (links.length === 0) return;
    for (const { link } of links.splice(0)) L.bpf_link__destroy([link]);
    log.info('detached all programs');
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    detach(); // links first: no program stays attached once the producer is gone
    L.bpf_object__close([obj]);
  };

  try {
    const ring = L.bpf_object__find_map_by_name([obj, 'events']);
    if (isNull(ring)) throw new BpfError('map "events" missing from the BPF object');
    const rc = L.bpf_map__set_max_entries([ring, opts.ringBytes]);
    if (rc !== 0) throw new BpfError(`cannot size the ring buffer to ${opts.ringBytes} bytes: ${strerror(rc)}`);

    const programs = new Map<string, Ptr>();
    for (const h of opts.hooks ?? HOOKS) {
      const p = L.bpf_object__find_program_by_name([obj, h.program]);
      if (isNull(p)) throw new BpfError(`program ${h.program} missing from ${opts.objectPath}`);
      // Only the chosen set is loaded: the verifier never sees the other one.
      L.bpf_program__set_autoload([p, hooks.includes(h)]);
      programs.set(h.program, p);
    }
    // Signals held back on that thread: a pending one makes the verifier give up (withSignalsBlocked).
    const err = await loadObjectInThread(obj);
    if (err !== 0) {
      // Privileges only when the kernel refused them; otherwise libbpf printed the verifier's log
      // above this line, which says what failed.
      const refused = err === -constants.errno.EPERM || err === -constants.errno.EACCES;
      const why = refused ? 'needs root or CAP_BPF+CAP_PERFMON, and a kernel with BTF' : "libbpf's log above says where";
      throw new BpfError(`loading ${opts.objectPath} failed: ${strerror(err)} (${why})`);
    }

    // The producer's own syscalls are never recorded (they would feed back forever), from the
    // first event on: keyed by the tgid the kernel reports, whatever PID namespace we are in.
    const self = L.bpf_object__find_program_by_name([obj, 'ea_self_tgid']);
    if (isNull(self)) throw new BpfError(`program ea_self_tgid missing from ${opts.objectPath}`);
    const selfTgid = kernelTgid(L.bpf_program__fd([self]));
    const tgid = Buffer.alloc(4);
    tgid.writeUInt32LE(selfTgid);
    const xrc = L.bpf_map_update_elem([mapFd(obj, 'excluded_tgid'), Buffer.alloc(4), tgid, 0]);
    if (xrc !== 0) throw new BpfError(`cannot exclude the producer's tgid ${selfTgid}: ${strerror(xrc)}`);
    log.info(
      { tgid: selfTgid, pid: process.pid },
      selfTgid === process.pid ? 'excluding the producer itself' : "excluding the producer itself by the kernel's tgid (its PID namespace numbers it pid)",
    );

    opts.beforeAttach?.((name) => mapFd(obj, name));

    const attach = (h: Hook): void => {
      const r = L.bpf_program__attach([programs.get(h.program)!]);
      if (isNull(r.value)) {
        const msg = `attach ${h.program} to ${h.attachPoint} failed: ${r.errnoMessage}`;
        if (!h.optional) throw new BpfError(msg);
        log.warn({ program: h.program, attachPoint: h.attachPoint }, `optional hook unavailable: ${msg}`);
        return;
      }
      links.push({ hook: h, link: r.value });
    };
    const unlink = (program: string): void => {
      const i = links.findIndex((l) => l.hook.program === program);
      if (i < 0) return;
      L.bpf_link__destroy([links[i].link]);
      links.splice(i, 1);
    };
    for (const h of hooks) if (!h.fallbackFor) attach(h);
    // A fallback replaces its programs as a whole when one of them could not be attached.
    for (const h of hooks) {
      const replaced = h.fallbackFor ?? [];
      if (replaced.every((p) => links.some((l) => l.hook.program === p))) continue;
      log.warn({ program: h.program, replaces: replaced }, `attaching ${h.program} in place of the hooks it falls back for`);
      replaced.forEach(unlink);
      attach(h);
    }
    // An enter program whose exit program is in this set but not attached would only fill the
    // stash map: drop such halves. (The raw set's exits are all in tp_btf/sys_exit.)
    for (const { hook } of [...links]) {
      const twin = hook.program.replace(/^ea_enter_/, 'ea_exit_');
      if (twin !== hook.program && hooks.some((h) => h.program === twin) && !links.some((l) => l.hook.program === twin)) unlink(hook.program);
    }
    log.info({ syscallHooks: set, hooks: links.map((l) => l.hook.attachPoint), ringBytes: opts.ringBytes }, `attached ${links.length} programs`);

    return {
      ringFd: mapFd(obj, 'events'),
      ringBytes: opts.ringBytes,
      countersFd: mapFd(obj, 'counters'),
      selfTgid,
      attached: links.map((l) => l.hook),
      syscallHooks: set,
      mapFd: (name) => mapFd(obj, name),
      detach,
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
