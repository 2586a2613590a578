/**
 * Alerts for people and machines. Text, in the style of tail's lines:
 *   [1764012345.123456789] ALERT high cred-file-read Host:"web-1" PID:4242 Comm:"cat" Msg: "Credential file read (...)"
 * JSON: one object per line, the events with their kind. Every field is escaped for terminals.
 * Avro: the alert record of schemas/alert.avsc, each event wrapped in its record's union branch.
 */
import type { AuditEvent, EventKind } from '../../schemas/types';
import type { Alert } from '../rules/engine';
import { escapeField, formatTimestamp } from '../core/output/text';
import { isoNs, stringify } from '../core/output/json';
import { eventRecordNames } from '../../schemas/registry';

export function formatAlertLine(a: Alert): string {
  const last = a.events[a.events.length - 1];
  const p = last.event.process;
  const count = a.count > 1 ? ` Count:${a.count}` : '';
  // Falco's rule names have spaces: such an id is quoted, so the line still splits on spaces.
  const id = /^[A-Za-z0-9._-]+$/.test(a.rule_id) ? a.rule_id : `"${escapeField(a.rule_id)}"`;
  return `[${formatTimestamp(a.time_ns)}] ALERT ${a.severity} ${id} Host:"${escapeField(a.host.name)}" PID:${p.pid} Comm:"${escapeField(p.comm)}"${count} Msg: "${escapeField(a.message)}"`;
}

export function formatAlertJson(a: Alert): string {
  return stringify({ ...a, time: isoNs(a.time_ns), events: a.events.map((e) => ({ kind: e.kind, ...e.event })) });
}

const RECORDS = eventRecordNames();
const KINDS = new Map(Object.entries(RECORDS).map(([k, r]) => [r, k as EventKind]));

/** The Avro value of an alert (avsc wraps a union of records: { "io.ebpfaudit.FileEvent": {...} }). */
export function alertToAvro(a: Alert): Record<string, unknown> {
  const { events, ...rest } = a;
  return { ...rest, events: events.map((e) => ({ [RECORDS[e.kind]]: e.event })) };
}

export function alertFromAvro(v: Record<string, unknown>): Alert {
  const events = (v.events as Record<string, unknown>[]).map((w) => {
    const [name, event] = Object.entries(w)[0];
    return { kind: KINDS.get(name)!, event } as AuditEvent;
  });
  return { ...(v as unknown as Alert), events };
}
