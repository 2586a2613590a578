/**
 * What `detect --check` prints: the totals, then every rule skipped (and why) and every warning,
 * each with its file:line:column. Names come from rule files, so they are escaped for the terminal.
 */
import { escapeField } from '../core/output/text';
import type { LoadedRules } from '../rules/loader';

/** Control and bidi characters escaped; quotes kept (the text is not inside a quoted field). */
const safe = (s: string): string => s.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => escapeField(c));

export function checkReport(loaded: Pick<LoadedRules, 'rules' | 'skipped' | 'warnings' | 'macros' | 'lists'>): string[] {
  const on = loaded.rules.filter((r) => r.enabled).length;
  const at = (p: { file: string; line: number; col: number }): string => `${safe(p.file)}:${p.line}:${p.col}`;
  return [
    `ok: ${loaded.rules.length} rules (${on} enabled), ${loaded.skipped.length} skipped, ${loaded.macros} macros, ${loaded.lists} lists`,
    ...loaded.skipped.map((s) => `skipped: ${at(s.pos)}: rule "${escapeField(s.id)}": ${safe(s.reason)}`),
    ...loaded.warnings.map((w) => `warning: ${at(w.pos)}: ${safe(w.message)}`),
  ];
}
