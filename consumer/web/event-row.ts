/**
 * Events and alerts as the page's rows (api-types.ts): the console line's fields, JSON-safe
 * (nanosecond times as strings). Values are left as captured: escaping for display is the page's
 * job, which renders them as text.
 */
import type { Alert } from '../rules/engine';
import type { AuditEvent, Creds } from '../../schemas/types';
import { errnoName } from '../core/output/errno';
import type { AlertRow, EventRow } from './api-types';

const EINPROGRESS = -115;
const CRED_FIELDS = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'] as const;

/** "uid:1000->0 euid:1000->0", as the console line prints a privilege change. */
function credDiff(c: { old: Creds; new: Creds }): string {
  const parts: string[] = [];
  for (const f of CRED_FIELDS) if (c.old[f] !== c.new[f]) parts.push(`${f}:${c.old[f] >>> 0}->${c.new[f] >>> 0}`);
  for (const f of ['cap_effective', 'cap_permitted'] as const) {
    if (c.old[f] !== c.new[f]) parts.push(`${f}:0x${BigInt.asUintN(64, c.old[f]).toString(16)}->0x${BigInt.asUintN(64, c.new[f]).toString(16)}`);
  }
  return parts.join(' ') || '(unchanged)';
}

const failure = (r: number): string => (r < 0 && r !== EINPROGRESS ? errnoName(-r) : '');

export function eventRow(ev: AuditEvent): EventRow {
  const e = ev.event;
  const p = e.process;
  const row: EventRow = {
    kind: ev.kind,
    type: '',
    time: e.time_ns.toString(),
    host: e.host.name,
    hostId: e.host.id,
    pid: p.pid,
    tid: p.tid,
    ppid: p.ppid,
    uid: p.uid >>> 0,
    start: p.start_time_ns.toString(),
    comm: p.comm,
    exe: p.exe,
    detail: '',
    error: '',
    container: p.container_id,
  };
  switch (ev.kind) {
    case 'file':
      row.type = ev.event.op;
      // A link: the name created -> what it points to.
      row.detail = ev.event.op.includes('link') ? `${ev.event.path} -> ${ev.event.target}` : ev.event.path;
      row.error = failure(ev.event.result);
      break;
    case 'net': {
      const n = ev.event;
      const end = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
      row.type = n.op;
      if (n.op === 'socket') row.detail = `${n.family} ${n.socket_type} ${n.protocol || n.socket_protocol}`;
      else if (n.op.startsWith('dup')) row.detail = `fd ${n.fd}->${n.result} ${n.local_ip ? end(n.local_ip, n.local_port) : ''}${n.dst_ip ? `->${end(n.dst_ip, n.dst_port)}` : ''}`;
      else row.detail = n.family === 'unix' ? n.unix_path : n.family === 'inet6' ? `[${n.dst_ip}]:${n.dst_port}` : `${n.dst_ip}:${n.dst_port}`;
      row.error = failure(n.result);
      break;
    }
    case 'process': {
      const x = ev.event;
      row.type = x.kind;
      if (x.kind === 'exec') {
        row.detail = x.filename;
        row.args = x.args;
      } else if (x.cred_change) row.detail = credDiff(x.cred_change);
      else if (x.kind === 'exit') row.detail = x.signal ? `signal ${x.signal}` : `exit ${x.exit_code}`;
      else if (x.ptrace) row.detail = `${x.ptrace.request} ${x.ptrace.target_pid}`;
      else if (x.module) row.detail = `${x.module.path || `${x.module.size} bytes`} ${x.module.params}`;
      if (x.ptrace || x.module) row.error = failure(x.result);
      break;
    }
  }
  return row;
}

export function alertRow(a: Alert): AlertRow {
  const last = a.events[a.events.length - 1];
  return {
    time: a.time_ns.toString(),
    rule: a.rule_id,
    severity: a.severity,
    description: a.description,
    message: a.message,
    tags: a.tags,
    host: a.host.name,
    hostId: a.host.id,
    count: a.count,
    event: last ? eventRow(last) : undefined,
  };
}
