import { ConfigError } from '../../common/errors';

/** A place in a rule file, 1-based, as editors count. */
export interface Position {
  file: string;
  line: number;
  col: number;
}

/** Maps an offset in a condition (or template) string to its place in the file. */
export type Locator = (offset: number) => Position;

/** A bad rule file: "file:line:col: reason". The CLI exits 2 on it. */
export class RuleError extends ConfigError {
  /** `unknown-field`: a field no one defines (a rule with skip-if-unknown-filter is skipped instead). */
  constructor(
    readonly reason: string,
    readonly pos: Position,
    readonly code?: 'unknown-field',
  ) {
    super(`${pos.file}:${pos.line}:${pos.col}: ${reason}`);
  }
}
