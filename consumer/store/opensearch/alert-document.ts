/**
 * Alerts as OpenSearch documents, and back. An alert's document is the document of the event that
 * raised it (the last triggering one), so the same fields and conditions find it, with
 * `event.kind: alert` and the alert in ECS names: `rule.id`, `rule.description`, `message`, `tags`,
 * `event.severity` (1 info .. 5 critical). Every triggering event's own document is kept under
 * `ebpf_audit.alert.events` (stored, not indexed), so the alert comes back exactly.
 */
import { isoNs } from '../../core/output/json';
import type { Alert } from '../../rules/engine';
import type { Severity } from '../../rules/loader';
import { documentId, eventIdentity, fromDocument, parseIsoNs, toDocument, type Doc } from './document';

export const SEVERITY_RANK: Record<string, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

/** Same rule, same triggering event: the same alert (detect re-publishes after a crash). */
export function alertId(a: Alert): string {
  const last = a.events[a.events.length - 1];
  return documentId(`alert\u0000${a.rule_id}\u0000${last ? eventIdentity(last) : `${a.host.id}\u0000${a.time_ns}`}`, a.time_ns);
}

export function alertToDocument(a: Alert): Doc {
  const events = a.events.map(toDocument);
  const last = events[events.length - 1] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const base: Record<string, any> = last ? structuredClone(last) : { ebpf_audit: {} }; // eslint-disable-line @typescript-eslint/no-explicit-any
  base['@timestamp'] = isoNs(a.time_ns);
  base.event = { ...(base.event ?? {}), kind: 'alert', module: 'ebpf-audit', dataset: 'ebpf-audit.alerts', severity: SEVERITY_RANK[a.severity] ?? 0 };
  base.host = { id: a.host.id, name: a.host.name, boot: { id: a.host.boot_id } };
  base.rule = { id: a.rule_id, name: a.rule_id, description: a.description };
  base.message = a.message;
  base.tags = a.tags;
  base.ebpf_audit.alert = { severity: a.severity, count: a.count, events };
  return base;
}

export function alertFromDocument(src: Doc): Alert {
  const d = src as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const al = d.ebpf_audit.alert;
  return {
    time_ns: parseIsoNs(d['@timestamp']),
    rule_id: d.rule.id,
    severity: al.severity as Severity,
    description: d.rule.description,
    message: d.message,
    tags: d.tags,
    host: { id: d.host.id, name: d.host.name, boot_id: d.host.boot.id },
    count: al.count,
    events: (al.events as Doc[]).map(fromDocument),
  };
}
