/**
 * Output templates, Falco style: "Shadow read (proc=%proc.name file=%file.path)". Parsed once into
 * literal parts and field readers; a field that does not apply renders as <NA>. Values are left
 * raw here (the alert carries them as they are); printers escape when they write to a terminal.
 */
import type { AuditEvent } from '../../schemas/types';
import { FIELDS, type ProcessLookup } from './fields';
import { RuleError, type Locator } from './errors';

export type Template = (ev: AuditEvent, ctx: ProcessLookup) => string;

export function compileTemplate(src: string, loc: Locator): Template {
  const parts: (string | ((ev: AuditEvent, ctx: ProcessLookup) => string))[] = [];
  const re = /%([a-z_]+(?:\.[a-z_0-9]+)+)/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const f = FIELDS.get(m[1]);
    if (!f) throw new RuleError(`unknown field "%${m[1]}" in output`, loc(m.index));
    if (m.index > last) parts.push(src.slice(last, m.index));
    const get = f.get;
    parts.push((ev, ctx) => {
      const v = get(ev, ctx);
      return v === undefined ? '<NA>' : String(v);
    });
    last = m.index + m[0].length;
  }
  if (last < src.length) parts.push(src.slice(last));
  return (ev, ctx) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(ev, ctx);
    return out;
  };
}
