/**
 * A process story for people (text, in the style of the console lines, every value escaped) and
 * for machines (one JSON object).
 */
import { isoNs, stringify } from '../core/output/json';
import { formatLine } from '../core/output/line-format';
import { escapeField, formatTimestamp } from '../core/output/text';
import type { ProcInfo, Story } from './process-story';

function proc(p: ProcInfo): string {
  const args = p.cmdline === undefined ? '' : ` Cmdline: "${escapeField(p.cmdline)}"`;
  const exit = p.exitNs === undefined ? '' : ` Exit:${p.signal ? `signal ${p.signal}` : p.exitCode}`;
  return `PID:${p.pid} Exe:"${escapeField(p.exe)}" Comm:"${escapeField(p.comm)}" UID:${p.uid} Start:${p.startNs}${args}${exit}`;
}

export function formatStoryText(s: Story): string[] {
  const out = [`Process Host:"${escapeField(s.process.host.name)}" ${proc(s.process)}`];
  for (const o of s.others) out.push(`  (pid ${o.pid} was also a process started at ${o.startNs}: add @${o.startNs} to choose it)`);
  out.push('Lineage (parent first):');
  for (const p of s.lineage) out.push(`  ${proc(p)}`);
  if (s.end.at === 'unknown')
    out.push(`  ancestry unknown above PID ${s.end.pid}: the store holds no event of that process (it started before the store, or its events were not captured)`);
  else out.push(s.lineage.length && s.lineage[s.lineage.length - 1].pid === 1 ? '  (init)' : '  (init: PID 1)');
  out.push('Timeline:');
  for (const e of s.timeline) {
    if (e.what === 'event') out.push(`  ${formatLine(e.ev)}`);
    else if (e.what === 'child') out.push(`  [${formatTimestamp(e.t)}] CHILD ${proc(e.child)}`);
    else {
      const a = e.alert;
      out.push(`  [${formatTimestamp(e.t)}] ALERT ${escapeField(a.severity)} ${escapeField(a.rule_id)}${a.count > 1 ? ` Count:${a.count}` : ''} Msg: "${escapeField(a.message)}"`);
    }
  }
  if (s.more) out.push('  (more: raise --limit)');
  return out;
}

const procJson = (p: ProcInfo): Record<string, unknown> => ({ ...p, first: isoNs(p.firstNs) });

export function formatStoryJson(s: Story): string {
  return stringify({
    process: procJson(s.process),
    others: s.others.map(procJson),
    lineage: s.lineage.map(procJson),
    end: s.end,
    timeline: s.timeline.map((e) =>
      e.what === 'event'
        ? { time: isoNs(e.t), event: { kind: e.ev.kind, ...e.ev.event } }
        : e.what === 'child'
          ? { time: isoNs(e.t), child: procJson(e.child) }
          : { time: isoNs(e.t), alert: e.alert },
    ),
    more: s.more,
  });
}
