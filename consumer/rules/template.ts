/**
 * Output templates, Falco's format: "Shadow read (proc=%proc.name file=%fd.name gp=%proc.aname[2])".
 * A token is % then a field, a field with an [argument], or a transformer (%tolower(proc.name)); a
 * number right after % pads the value to that width; a leading "*" is accepted and ignored. Parsed
 * once into literal parts and readers; a field with no value renders as <NA>. Values are left raw
 * here (the alert carries them as they are); printers escape when they write to a terminal.
 */
import type { AuditEvent } from '../../schemas/types';
import { RuleError, type Locator } from './errors';
import { operandOf } from './operands';
import type { EvalContext } from './process-tree';
import { parseOutputToken, SyntaxError_ } from './syntax';

export type Template = (ev: AuditEvent, ctx: EvalContext) => string;

export interface CompiledTemplate {
  render: Template;
  /** Fields it names whose data is not captured here (they print <NA>), with why. */
  missing: Map<string, string>;
}

export function compileTemplate(src: string, loc: Locator): CompiledTemplate {
  const parts: (string | Template)[] = [];
  const missing = new Map<string, string>();
  let i = src.startsWith('*') ? 1 : 0;
  let last = i;
  while ((i = src.indexOf('%', i)) >= 0) {
    if (i > last) parts.push(src.slice(last, i));
    const width = /^\d*/.exec(src.slice(i + 1))![0];
    let tok;
    try {
      tok = parseOutputToken(src, i + 1 + width.length);
    } catch (err) {
      if (err instanceof SyntaxError_) throw new RuleError(`output: ${err.message}`, loc(err.offset));
      throw err;
    }
    if (!tok) throw new RuleError('output: "%" must be followed by a field, such as %proc.name', loc(i));
    const op = operandOf(tok.operand, (o) => loc(o));
    if (op.missing) missing.set(op.name, op.missing);
    const get = op.get;
    const w = Number(width || 0);
    parts.push((ev, ctx) => {
      const v = get(ev, ctx);
      const s = v === undefined ? '<NA>' : String(v);
      return w ? s.padEnd(w) : s;
    });
    i = last = tok.end;
  }
  if (last < src.length) parts.push(src.slice(last));
  return {
    missing,
    render: (ev, ctx) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : p(ev, ctx);
      return out;
    },
  };
}
