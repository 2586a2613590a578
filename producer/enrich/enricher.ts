/**
 * Raw kernel records -> Avro-ready events: host identity, wall-clock time, executable path, user
 * names. Exec and exit records also keep the process table current, in ring-buffer order.
 */
import type { AuditEvent, FileEvent, Host, NetEvent, Process, ProcessEvent } from '../../schemas/types';
import type { RawRecord, RawTask } from '../decode/decoder';
import type { BootClock } from './clock';
import type { ContainerResolver } from './containers';
import type { ProcInfo, ProcessTable } from './process-table';
import type { UserNames } from './users';

const DELETED = ' (deleted)';
const UNSET_UID = 0xffffffff;

/** Slots of the per-task Process cache (a task's slot: its tid modulo this). */
const PROCESS_SLOTS = 64;

interface CachedProcess {
  task: RawTask;
  /** The table's entry and what it said when the Process was made (an entry's fields may change in place). */
  info: ProcInfo;
  exe: string;
  memfd: boolean;
  upper: boolean;
  process: Process;
}

export interface Enricher {
  enrich(rec: RawRecord): AuditEvent;
  /**
   * The Process of an event of this task, as enrich puts it in the event (for a record that needs
   * no other enrichment, written without an event object: producer/transcode/file-record.ts).
   */
  processOf(task: RawTask): Process;
  /** The host and the clock every event is enriched with. */
  readonly host: Host;
  readonly clock: BootClock;
}

export interface EnricherOptions {
  host: Host;
  clock: BootClock;
  processes: ProcessTable;
  containers: ContainerResolver;
  users: UserNames;
}

export function createEnricher(opts: EnricherOptions): Enricher {
  const { host, clock, processes, containers, users } = opts;

  /** exe as /proc/PID/exe shows it at this event: " (deleted)" once the file has no name on disk. */
  const proc = (t: RawTask, info: ProcInfo, container: string, userName: string, loginName: string): Process => ({
    pid: t.pid,
    tid: t.tid,
    ppid: t.ppid,
    uid: t.uid | 0,
    gid: t.gid | 0,
    euid: t.euid | 0,
    egid: t.egid | 0,
    comm: t.comm,
    exe: t.exeUnlinked && info.exe ? info.exe + DELETED : info.exe,
    start_time_ns: t.startNs,
    cgroup_id: t.cgroupId,
    container_id: container,
    exe_from_memfd: info.memfd,
    exe_deleted: t.exeUnlinked,
    exe_upper_layer: info.upper,
    cap_effective: t.capEffective,
    tty: t.tty,
    loginuid: t.loginuid | 0,
    user_name: userName,
    login_user_name: loginName,
  });
  /**
   * The Process of a task's last event, per slot (tid modulo PROCESS_SLOTS), handed out again while
   * the task (the decoder's frozen RawTask: the same object while its kernel bytes are the same)
   * and everything the table and resolvers said about it are the same. Frozen and shared by those
   * events, so the Avro writer copies its bytes (fast-writers.ts sameObjectRecord) instead of
   * encoding 20 fields per event. An exec replaces the table's entry, a rename or new credentials
   * change the task's bytes, a container or user name learnt later changes its string: any of
   * these makes a new Process.
   */
  const cache: (CachedProcess | undefined)[] = new Array<CachedProcess | undefined>(PROCESS_SLOTS).fill(undefined);
  const known = (t: RawTask): Process => {
    const info = processes.exeOf(t.pid, t.startNs, t.comm, t.ppid);
    const container = containers.containerOf(t.cgroupId, t.pid);
    const userName = users.nameOf(t.uid);
    const loginName = t.loginuid === UNSET_UID ? '' : users.nameOf(t.loginuid);
    const slot = t.tid & (PROCESS_SLOTS - 1);
    const c = cache[slot];
    if (
      c !== undefined &&
      c.task === t &&
      c.info === info &&
      c.exe === info.exe &&
      c.memfd === info.memfd &&
      c.upper === info.upper &&
      c.process.container_id === container &&
      c.process.user_name === userName &&
      c.process.login_user_name === loginName
    )
      return c.process;
    const process = Object.freeze(proc(t, info, container, userName, loginName));
    // Known by identity only if it cannot change: the decoder's tasks are frozen (a hand-made task
    // that is changed between two events would otherwise get its old Process back).
    if (Object.isFrozen(t)) cache[slot] = { task: t, info, exe: info.exe, memfd: info.memfd, upper: info.upper, process };
    return process;
  };

  /** The fields of a process event that only some kinds fill, at their defaults. */
  const processBase = {
    filename: '',
    args: [] as string[],
    cwd: '',
    exit_code: 0,
    signal: 0,
    truncated: false,
    cred_change: null,
    result: 0,
    ptrace: null,
    module: null,
    ancestors: [],
  };

  return {
    processOf: known,
    host,
    clock,
    enrich(rec) {
      const t = rec.task;
      // Explicit fields, no object spread on the hot kinds: spread + stores put V8 on a slow path (~3 us/event).
      const time_ns = clock.toWallNs(rec.ktimeNs);
      const ktime_ns = rec.ktimeNs;
      switch (rec.type) {
        case 'file': {
          const event: FileEvent = {
            time_ns,
            ktime_ns,
            host,
            process: known(t),
            op: rec.op,
            path: rec.path,
            dirfd: rec.dirfd,
            flags: rec.flags,
            mode: rec.mode,
            result: rec.result,
            truncated: rec.truncated,
            target: '',
          };
          return { kind: 'file', event };
        }
        case 'link': {
          const event: FileEvent = {
            time_ns,
            ktime_ns,
            host,
            process: known(t),
            op: rec.op,
            path: rec.path,
            dirfd: rec.newdirfd,
            flags: rec.flags,
            mode: 0,
            result: rec.result,
            truncated: rec.truncated,
            target: rec.target,
          };
          return { kind: 'file', event };
        }
        case 'net': {
          const event: NetEvent = {
            time_ns,
            ktime_ns,
            host,
            process: known(t),
            op: rec.op,
            family: rec.family,
            dst_ip: rec.ip,
            dst_port: rec.port,
            fd: rec.fd,
            result: rec.result,
            protocol: rec.protocol,
            unix_path: rec.unixPath,
            local_ip: rec.localIp,
            local_port: rec.localPort,
            socket_type: rec.socketType,
            socket_protocol: rec.socketProtocol,
          };
          return { kind: 'net', event };
        }
        case 'exec': {
          const info: ProcInfo = { exe: rec.exe, memfd: rec.exeMemfd, upper: rec.exeUpperLayer, comm: t.comm, ppid: t.ppid };
          processes.exec(t.pid, t.startNs, info);
          const event: ProcessEvent = {
            ...processBase,
            time_ns,
            ktime_ns,
            host,
            process: proc(t, info, containers.containerOf(t.cgroupId, t.pid), users.nameOf(t.uid), t.loginuid === UNSET_UID ? '' : users.nameOf(t.loginuid)),
            kind: 'exec',
            filename: rec.filename,
            args: rec.args,
            cwd: rec.cwd,
            truncated: rec.truncated,
            ancestors: processes.ancestors(t.ppid),
          };
          return { kind: 'process', event };
        }
        case 'cred':
          return { kind: 'process', event: { ...processBase, time_ns, ktime_ns, host, process: known(t), kind: rec.op, cred_change: { old: rec.old, new: rec.new } } };
        case 'ptrace': {
          const ptrace = { request: rec.request, request_code: rec.requestCode, target_pid: rec.target, addr: BigInt.asIntN(64, rec.addr), data: BigInt.asIntN(64, rec.data) };
          return { kind: 'process', event: { ...processBase, time_ns, ktime_ns, host, process: known(t), kind: 'ptrace', result: rec.result, ptrace } };
        }
        case 'module': {
          const module = { path: rec.path, size: BigInt(rec.size), fd: rec.fd, flags: rec.flags, params: rec.params };
          return { kind: 'process', event: { ...processBase, time_ns, ktime_ns, host, process: known(t), kind: rec.op, result: rec.result, truncated: rec.truncated, module } };
        }
        case 'exit': {
          const process = known(t); // before exit() drops the entry
          processes.exit(t.pid, t.startNs);
          return { kind: 'process', event: { ...processBase, time_ns, ktime_ns, host, process, kind: 'exit', exit_code: rec.exitCode, signal: rec.signal } };
        }
      }
    },
  };
}
