/**
 * Rule files, loaded as Falco loads them: read (reader.ts: YAML to items with their places),
 * collect (collector.ts: every file's items applied in order into one namespace), compile
 * (compiler.ts: lists, macros, rules with their exceptions, outputs and aggregates). Conditions are
 * compiled after every file is read, so they can use macros and lists from any of them. Every
 * error names file:line:column.
 *
 *   - list: shells
 *     items: [bash, sh, zsh]
 *   - macro: outbound
 *     condition: evt.type = connect and fd.typechar in (4, 6)
 *   - rule: Shell connected out
 *     desc: A shell opened a network connection
 *     priority: WARNING                    # Falco's eight, or this project's severity: high
 *     condition: outbound and proc.name in (shells)
 *     output: "Shell connected out (proc=%proc.name dst=%fd.name)"
 *     tags: [T1059]
 *     aggregate: count > 3 within 10s by proc.pid      # optional: see aggregate.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collect, type Warning } from './collector';
import { compile, type CompileEnv, type Compiled } from './compile';
import { compileCollected, parse, type Rule, type Skipped } from './compiler';
import { RuleError, type Locator } from './errors';
import { readItems } from './reader';

export { SEVERITIES, type Severity } from './severity';
export type { Rule, Skipped } from './compiler';
export type { Warning } from './collector';

export interface RuleFile {
  path: string;
  text: string;
}

/** The default rule pack, beside this module in the source tree, three levels up from dist/. */
export const DEFAULT_RULES =
  [__dirname, path.resolve(__dirname, '../../../consumer/rules')].map((d) => path.join(d, 'default-rules.yaml')).find((f) => fs.existsSync(f)) ??
  path.resolve(__dirname, '../../../consumer/rules/default-rules.yaml');

export function readRuleFile(file: string): RuleFile {
  try {
    return { path: file, text: fs.readFileSync(file, 'utf8') };
  } catch (err) {
    throw new RuleError(`cannot read rule file: ${(err as Error).message}`, { file, line: 1, col: 1 });
  }
}

export interface LoadOptions {
  /** Replaces the learning period of every first_seen aggregate. */
  learningMs?: number;
}

export interface LoadedRules {
  rules: Rule[];
  /** Rules that need what is not available here, with why. */
  skipped: Skipped[];
  warnings: Warning[];
  macros: number;
  lists: number;
  /** The macros and lists, for expressions outside rule files (tail --where). */
  env: CompileEnv;
}

export function loadRules(files: RuleFile[], opts: LoadOptions = {}): LoadedRules {
  let collected;
  for (const f of files) collected = collect(readItems(f.path, f.text), collected);
  collected ??= collect([]);
  const out = compileCollected(collected, opts);
  return { ...out, macros: collected.macros.size, lists: collected.lists.size };
}

/** Compile a condition given on the command line (`--where`), with the macros and lists of `env`. */
export function compileExpression(expr: string, env: CompileEnv, what = '--where'): Compiled {
  const loc: Locator = (offset) => ({ file: what, line: 1, col: offset + 1 });
  return compile(parse(expr, loc), env, loc);
}
