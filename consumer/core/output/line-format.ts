/**
 * The documented console lines. The first two shapes are a contract with users' scripts and are
 * byte-exact (note the space after "Path:" and none after "DST_IP:"):
 *   [timestamp] PID:<pid> Exe:"<exe>" Comm:"<comm>" Path: "<path>"
 *   [timestamp] PID:<pid> Exe:"<exe>" Comm:"<comm>" DST_IP:<ip>
 * The timestamp is the event's wall-clock time in seconds since the Unix epoch (UTC) with nine
 * decimals (nanoseconds), e.g. [1764012345.123456789].
 * Failed attempts and newer kinds get lines in the same style with a suffix or their own field.
 */
import type { AuditEvent, Creds, FileEvent, NetEvent, ProcessEvent } from '../../../schemas/types';
import { errnoName } from './errno';
import { escapeField, formatTimestamp } from './text';

function prefix(e: FileEvent | NetEvent | ProcessEvent): string {
  return `[${formatTimestamp(e.time_ns)}] PID:${e.process.pid} Exe:"${escapeField(e.process.exe)}" Comm:"${escapeField(e.process.comm)}"`;
}

const EINPROGRESS = -115;

function result(r: number): string {
  return r < 0 ? ` Error:${errnoName(-r)}` : '';
}

const CRED_FIELDS = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'] as const;

/** " uid:1000->0 euid:1000->0" for what changed (ids as unsigned), capabilities in hex. */
function credDiff(c: { old: Creds; new: Creds }): string {
  let out = '';
  for (const f of CRED_FIELDS) if (c.old[f] !== c.new[f]) out += ` ${f}:${c.old[f] >>> 0}->${c.new[f] >>> 0}`;
  for (const f of ['cap_effective', 'cap_permitted'] as const) {
    if (c.old[f] !== c.new[f]) out += ` ${f}:0x${BigInt.asUintN(64, c.old[f]).toString(16)}->0x${BigInt.asUintN(64, c.new[f]).toString(16)}`;
  }
  return out || ' (unchanged)';
}

export function formatLine(ev: AuditEvent): string {
  switch (ev.kind) {
    case 'file':
      return `${prefix(ev.event)} Path: "${escapeField(ev.event.path)}"${result(ev.event.result)}`;
    case 'net': {
      const e = ev.event;
      if (e.op === 'accept' || e.op === 'accept4') return `${prefix(e)} PEER_IP:${escapeField(e.dst_ip)}`;
      // EINPROGRESS is how a non-blocking connect starts, not a failure.
      const r = e.result === EINPROGRESS ? '' : result(e.result);
      if (e.family === 'unix') return `${prefix(e)} DST_UNIX: "${escapeField(e.unix_path)}"${r}`;
      return `${prefix(e)} DST_IP:${escapeField(e.dst_ip)}${r}`;
    }
    case 'process':
      if (ev.event.kind === 'exec') {
        const args = ev.event.args.map((a) => `"${escapeField(a)}"`).join(' ');
        return `${prefix(ev.event)} Exec: "${escapeField(ev.event.filename)}" Args: ${args}`;
      }
      if (ev.event.cred_change) return `${prefix(ev.event)} Privilege: ${escapeField(ev.event.kind)}${credDiff(ev.event.cred_change)}`;
      return `${prefix(ev.event)} Exit:${ev.event.signal ? `signal ${ev.event.signal}` : ev.event.exit_code}`;
  }
}
