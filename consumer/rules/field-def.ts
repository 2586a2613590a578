/** What a field is: its type, the kinds it applies to, and how it is read from an event. */
import type { AuditEvent, EventKind } from '../../schemas/types';
import type { EvalContext } from './process-tree';

export type FieldType = 'str' | 'num' | 'ip' | 'bool' | 'res';
export type FieldValue = string | number | boolean | undefined;

export interface FieldDef {
  name: string;
  type: FieldType;
  doc: string;
  /** The kinds the field applies to. */
  kinds: readonly EventKind[];
  get(ev: AuditEvent, ctx: EvalContext): FieldValue;
  /** A field that matches any of several values (proc.aname without an index): all of them. */
  all?(ev: AuditEvent, ctx: EvalContext): FieldValue[];
  /** The same without building the list: whether one of them passes `test`. */
  some?(ev: AuditEvent, ctx: EvalContext, test: (v: FieldValue) => boolean): boolean;
  /** The data this field needs is not captured here: why. */
  missing?: string;
  /** The other name of the same data (ours for a Falco field, Falco's for ours), for the README. */
  same?: string;
}

export const ALL_KINDS: readonly EventKind[] = ['file', 'net', 'process'];

/** A field whose data is not captured here: no value, and the reason. */
export function missingField(name: string, missing: string, type: FieldType = 'str'): FieldDef {
  return { name, type, doc: missing, kinds: ALL_KINDS, missing, get: () => undefined };
}
