/**
 * Machine-readable tail output, one JSON object per line: `json` (our fields as they are in Avro)
 * and `ecs` (Elastic Common Schema names for SIEM ingestion). Nanosecond integers are written as
 * exact JSON numbers. JSON.stringify escapes C0 controls; C1 controls, DEL and bidi/line
 * separators are escaped here too, so no field can drive a terminal or split a line.
 */
import * as avro from 'avsc';
import type { AuditEvent } from '../../../schemas/types';
import { errnoName } from './errno';
import { jsonString, recordWriter, writeJson } from './json-writer';

/** JSON for one line: bigints as exact numbers, terminal-unsafe characters escaped. */
export function stringify(value: unknown): string {
  return writeJson(value) ?? 'null';
}

/** The last second formatted by isoNs: events come in bursts of the same second. */
let isoSecond = '';
let isoPrefix = '';

/** ISO 8601 UTC with nanoseconds: 2026-11-24T19:47:19.123456789Z. */
export function isoNs(ns: bigint): string {
  if (ns < 1_000_000_000n) return `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
  // Seconds and nanoseconds from the decimal digits: no BigInt division per event.
  const digits = ns.toString();
  const second = digits.slice(0, -9);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(Number(second) * 1000).toISOString().slice(0, 19);
  }
  return `${isoPrefix}.${digits.slice(-9)}Z`;
}

/**
 * One event as {"kind":..., "time":..., ...its fields}: a field of the event named kind or time
 * (a process event's kind: exec, exit ...) takes that key's place, as an object spread would.
 */
function lineWriter(type: avro.types.RecordType): (ev: AuditEvent) => string {
  const names = type.fields.map((f) => f.name);
  const ownKind = names.includes('kind');
  const ownTime = names.includes('time');
  const rest = recordWriter(type, ['kind', 'time']);
  return (ev) => {
    const e = ev.event as unknown as Record<string, unknown>;
    const kind = ownKind ? writeJson(e.kind) : jsonString(ev.kind);
    const time = ownTime ? writeJson(e.time) : jsonString(isoNs(ev.event.time_ns));
    return rest(e, `{"kind":${kind},"time":${time}`);
  };
}

const lineWriters = new WeakMap<avro.Type, (ev: AuditEvent) => string>();

export function formatJson(ev: AuditEvent): string {
  // Decoded events are avsc records: their constructor knows the schema, and the compiled writer.
  const type = (ev.event.constructor as { type?: unknown }).type;
  if (type instanceof avro.types.RecordType) {
    let w = lineWriters.get(type);
    if (!w) lineWriters.set(type, (w = lineWriter(type)));
    return w(ev);
  }
  return stringify({ kind: ev.kind, time: isoNs(ev.event.time_ns), ...ev.event });
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The event in Elastic Common Schema field names. */
export function toEcs(ev: AuditEvent): Record<string, unknown> {
  const e = ev.event;
  const p = e.process;
  const doc: Record<string, unknown> = {
    '@timestamp': isoNs(e.time_ns),
    event: { kind: 'event', module: 'ebpf-audit', dataset: `ebpf-audit.${ev.kind}` } as Record<string, unknown>,
    host: { id: e.host.id, name: e.host.name, boot: { id: e.host.boot_id } },
    process: {
      pid: p.pid,
      thread: { id: p.tid },
      parent: { pid: p.ppid },
      name: p.comm,
      executable: p.exe || undefined,
    } as Record<string, unknown>,
    user: { id: String(p.uid >>> 0), name: p.user_name || undefined, effective: { id: String(p.euid >>> 0) } },
    group: { id: String(p.gid >>> 0), effective: { id: String(p.egid >>> 0) } },
  };
  if (p.container_id) doc.container = { id: p.container_id };
  const event = doc.event as Record<string, unknown>;
  const outcome = (result: number) => {
    event.outcome = result < 0 && result !== -115 ? 'failure' : 'success';
    if (result < 0 && result !== -115) doc.error = { code: errnoName(-result) };
  };
  switch (ev.kind) {
    case 'file': {
      // A link is a file created; ECS names a symlink's target file.target_path.
      const link = ev.event.target !== '';
      Object.assign(event, { category: ['file'], type: [link ? 'creation' : 'access'], action: ev.event.op });
      doc.file = link ? { path: ev.event.path, name: basename(ev.event.path), target_path: ev.event.target } : { path: ev.event.path, name: basename(ev.event.path) };
      outcome(ev.event.result);
      break;
    }
    case 'net': {
      const n = ev.event;
      const accept = n.op === 'accept' || n.op === 'accept4';
      const dup = n.op.startsWith('dup');
      // socket and dup start no connection: they tell what a socket is (dup: the one on stdio).
      Object.assign(event, { category: ['network'], type: n.op === 'socket' || dup ? ['info'] : ['connection', 'start'], action: n.op });
      const remote = n.family === 'unix' ? { address: n.unix_path } : { ip: n.dst_ip, port: n.dst_port, address: n.dst_ip };
      // Always there, empty for a socket and an unconnected dup: one shape per kind (the store queries it).
      doc[accept ? 'source' : 'destination'] = remote;
      if (dup && n.local_ip) doc.source = { ip: n.local_ip, port: n.local_port, address: n.local_ip };
      doc.network = {
        direction: accept ? 'ingress' : 'egress',
        type: n.family === 'inet' ? 'ipv4' : n.family === 'inet6' ? 'ipv6' : undefined,
        transport: n.protocol || undefined,
      };
      outcome(n.result);
      break;
    }
    case 'process': {
      const x = ev.event;
      const proc = doc.process as Record<string, unknown>;
      if (x.kind === 'exec') {
        Object.assign(event, { category: ['process'], type: ['start'], action: 'exec', outcome: 'success' });
        Object.assign(proc, { args: x.args, args_count: x.args.length, working_directory: x.cwd || undefined });
      } else if (x.kind === 'exit') {
        Object.assign(event, { category: ['process'], type: ['end'], action: 'exit', outcome: x.exit_code === 0 ? 'success' : 'failure' });
        proc.exit_code = x.signal ? 128 + x.signal : x.exit_code;
      } else if (x.ptrace) {
        Object.assign(event, { category: ['process'], type: ['access'], action: 'ptrace' });
        doc.ptrace = { request: x.ptrace.request, target: { pid: x.ptrace.target_pid } };
        outcome(x.result);
      } else if (x.module) {
        Object.assign(event, { category: ['driver'], type: ['start'], action: x.kind });
        if (x.module.path) doc.file = { path: x.module.path, name: basename(x.module.path) };
        outcome(x.result);
      } else {
        Object.assign(event, { category: ['process', 'iam'], type: ['change'], action: x.kind, outcome: 'success' });
        if (x.cred_change) {
          const c = x.cred_change.new;
          doc.user = { id: String(c.uid >>> 0), effective: { id: String(c.euid >>> 0) }, changes: { id: String(x.cred_change.old.uid >>> 0) } };
        }
      }
      break;
    }
  }
  return doc;
}

export function formatEcs(ev: AuditEvent): string {
  return stringify(toEcs(ev));
}
