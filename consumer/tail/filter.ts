/** tail's event filters: every given list must match (lists are alternatives). */
import type { AuditEvent } from '../../schemas/types';

export interface TailFilterSpec {
  hosts: string[];
  pids: number[];
  comms: string[];
  exes: string[];
  pathPrefixes: string[];
}

/** undefined when nothing is filtered (the hot path then skips the call). */
export function createTailFilter(s: TailFilterSpec): ((ev: AuditEvent) => boolean) | undefined {
  const hosts = new Set(s.hosts);
  const pids = new Set(s.pids);
  const comms = new Set(s.comms);
  const exes = new Set(s.exes);
  const prefixes = s.pathPrefixes;
  if (!hosts.size && !pids.size && !comms.size && !exes.size && !prefixes.length) return undefined;
  return (ev) => {
    const e = ev.event;
    if (hosts.size && !hosts.has(e.host.id) && !hosts.has(e.host.name)) return false;
    if (pids.size && !pids.has(e.process.pid)) return false;
    if (comms.size && !comms.has(e.process.comm)) return false;
    if (exes.size && !exes.has(e.process.exe)) return false;
    if (prefixes.length) {
      // Path prefixes select file events (and exec filenames); other kinds do not match them.
      const p = ev.kind === 'file' ? ev.event.path : ev.kind === 'process' && ev.event.kind === 'exec' ? ev.event.filename : undefined;
      if (p === undefined || !prefixes.some((x) => p.startsWith(x))) return false;
    }
    return true;
  };
}
