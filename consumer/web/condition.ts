/**
 * The console's filter box: a condition in the rules' language, compiled with the default pack's
 * macros and lists as `tail --where` does. A condition that does not compile becomes a
 * ConditionError with the 1-based column the compiler named, so the page can point at it.
 */
import type { EventKind } from '../../schemas/types';
import type { CompileEnv, Compiled } from '../rules/compile';
import { RuleError } from '../rules/errors';
import { compileExpression, DEFAULT_RULES, loadRules, readRuleFile } from '../rules/loader';
import type { ConditionError } from './api-types';

/** The longest condition accepted: a filter box, not a rule file. */
export const MAX_CONDITION = 4096;

let defaultEnv: CompileEnv | undefined;

/** The default pack's macros and lists, loaded once. */
export function rulesEnv(): CompileEnv {
  defaultEnv ??= loadRules([readRuleFile(DEFAULT_RULES)]).env;
  return defaultEnv;
}

export class ConditionRejected extends Error {
  constructor(readonly detail: ConditionError) {
    super(detail.error);
  }
}

/** Where the filter names its source in messages ("filter:1:12: ..."). */
export const FILTER_NAME = 'filter';

export function conditionError(err: unknown): ConditionError {
  if (err instanceof RuleError) return { error: err.reason, col: err.pos.file === FILTER_NAME ? err.pos.col : undefined };
  return { error: err instanceof Error ? err.message : String(err) };
}

/** Compile a filter, or throw ConditionRejected. An empty condition matches everything. */
export function compileCondition(text: string | undefined): Compiled | undefined {
  const t = text?.trim() ?? '';
  if (t === '') return undefined;
  if (t.length > MAX_CONDITION) throw new ConditionRejected({ error: `the condition is longer than ${MAX_CONDITION} characters` });
  try {
    // Columns refer to the text as typed: compile the untrimmed text.
    return compileExpression(text!, rulesEnv(), FILTER_NAME);
  } catch (err) {
    throw new ConditionRejected(conditionError(err));
  }
}

/** Kinds asked for (comma list of file, net, process), or every kind. */
export function parseKinds(value: string | undefined): EventKind[] {
  const all: EventKind[] = ['file', 'net', 'process'];
  if (!value) return all;
  const kinds = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  for (const k of kinds) if (!(all as string[]).includes(k)) throw new ConditionRejected({ error: `unknown kind "${k}": file, net or process` });
  return kinds as EventKind[];
}
