import type { AuditEvent } from '../../schemas/types';
import type { ProcessLookup } from './fields';

/** Command lines and names from exec events, per host and pid; bounded, oldest dropped first. */
export function createProcessLookup(max: number): ProcessLookup & { observe(ev: AuditEvent): void } {
  const procs = new Map<string, { start: bigint; cmdline: string; comm: string }>();
  const key = (host: string, pid: number): string => `${host}\u0000${pid}`;
  return {
    observe(ev) {
      if (ev.kind !== 'process') return;
      const e = ev.event;
      const k = key(e.host.id, e.process.pid);
      if (e.kind === 'exec') {
        procs.delete(k);
        procs.set(k, { start: e.process.start_time_ns, cmdline: e.args.join(' '), comm: e.process.comm });
        if (procs.size > max) procs.delete(procs.keys().next().value as string);
      } else if (e.kind === 'exit') procs.delete(k);
    },
    cmdline(ev) {
      if (ev.kind === 'process' && ev.event.kind === 'exec') return ev.event.args.join(' ');
      const p = procs.get(key(ev.event.host.id, ev.event.process.pid));
      return p && p.start === ev.event.process.start_time_ns ? p.cmdline : '';
    },
    parentName(ev) {
      return procs.get(key(ev.event.host.id, ev.event.process.ppid))?.comm ?? '';
    },
  };
}
