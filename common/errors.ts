/**
 * Error hierarchy shared by both CLIs. The top-level handler of each CLI maps these to exit codes:
 * ConfigError (bad flag, bad file) exits 2, everything else exits 1.
 */
export class AuditError extends Error {
  /** True when retrying the same operation later can succeed (broker away, ring full). */
  readonly retriable: boolean;
  constructor(message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
  }
}

/** A user-supplied option or file is invalid; the message names it. */
export class ConfigError extends AuditError {}

/** Loading, attaching or reading the BPF side failed. */
export class BpfError extends AuditError {}

/** A record or message could not be decoded. */
export class DecodeError extends AuditError {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
