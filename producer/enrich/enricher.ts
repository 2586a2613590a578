/**
 * Raw kernel records -> Avro-ready events: host identity, wall-clock time, executable path.
 * Exec and exit records also keep the process table current, in ring-buffer order.
 */
import type { AuditEvent, Host, Process } from '../../schemas/types';
import type { RawRecord, RawTask } from '../decode/decoder';
import type { BootClock } from './clock';
import type { ContainerResolver } from './containers';
import type { ExeInfo, ProcessTable } from './process-table';

const DELETED = ' (deleted)';

export interface Enricher {
  enrich(rec: RawRecord): AuditEvent;
}

export function createEnricher(opts: { host: Host; clock: BootClock; processes: ProcessTable; containers: ContainerResolver }): Enricher {
  const { host, clock, processes, containers } = opts;

  /** exe as /proc/PID/exe shows it at this event: " (deleted)" once the file has no name on disk. */
  const proc = (t: RawTask, info: ExeInfo): Process => ({
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
    container_id: containers.containerOf(t.cgroupId, t.pid),
    exe_from_memfd: info.memfd,
    exe_deleted: t.exeUnlinked,
  });

  return {
    enrich(rec) {
      const t = rec.task;
      // Explicit fields, no object spread: spread + stores put V8 on a slow path (~3 us/event).
      const time_ns = clock.toWallNs(rec.ktimeNs);
      const ktime_ns = rec.ktimeNs;
      switch (rec.type) {
        case 'file':
          return {
            kind: 'file',
            event: {
              time_ns,
              ktime_ns,
              host,
              process: proc(t, processes.exeOf(t.pid, t.startNs)),
              op: rec.op,
              path: rec.path,
              dirfd: rec.dirfd,
              flags: rec.flags,
              mode: rec.mode,
              result: rec.result,
              truncated: rec.truncated,
            },
          };
        case 'net':
          return {
            kind: 'net',
            event: {
              time_ns,
              ktime_ns,
              host,
              process: proc(t, processes.exeOf(t.pid, t.startNs)),
              op: rec.op,
              family: rec.family,
              dst_ip: rec.ip,
              dst_port: rec.port,
              fd: rec.fd,
              result: rec.result,
              protocol: rec.protocol,
              unix_path: rec.unixPath,
            },
          };
        case 'exec':
          processes.exec(t.pid, t.startNs, rec.exe, rec.exeMemfd);
          return {
            kind: 'process',
            event: { time_ns, ktime_ns, host, process: proc(t, { exe: rec.exe, memfd: rec.exeMemfd }), kind: 'exec', filename: rec.filename, args: rec.args, cwd: rec.cwd, exit_code: 0, signal: 0, truncated: rec.truncated, cred_change: null },
          };
        case 'cred':
          return {
            kind: 'process',
            event: {
              time_ns, ktime_ns, host, process: proc(t, processes.exeOf(t.pid, t.startNs)), kind: rec.op, filename: '', args: [], cwd: '',
              exit_code: 0, signal: 0, truncated: false, cred_change: { old: rec.old, new: rec.new },
            },
          };
        case 'exit': {
          const info = processes.exeOf(t.pid, t.startNs);
          const process = proc(t, info); // before exit() drops the entry
          processes.exit(t.pid, t.startNs);
          return {
            kind: 'process',
            event: { time_ns, ktime_ns, host, process, kind: 'exit', filename: '', args: [], cwd: '', exit_code: rec.exitCode, signal: rec.signal, truncated: false, cred_change: null },
          };
        }
      }
    },
  };
}
