/**
 * Event types: the name each captured event has in `evt.type` (Falco's syscall and event names),
 * the kind (topic) it travels in, and Falco's names for what is not captured, so a rule that
 * watches those is told so instead of failing to load.
 */
import * as os from 'node:os';
import type { AuditEvent, EventKind } from '../../schemas/types';
import { FALCO_EVENT_TYPES } from './falco-names';

export interface EventType {
  /** Falco's name: what `evt.type` reads. */
  name: string;
  kind: EventKind;
  /** The name the producer writes (op or kind), when it differs. */
  internal: string;
}

const t = (name: string, kind: EventKind, internal = name): EventType => ({ name, kind, internal });

/** What the producer captures. */
export const CAPTURED: readonly EventType[] = [
  t('open', 'file'),
  t('openat', 'file'),
  t('openat2', 'file'),
  t('creat', 'file'),
  t('symlink', 'file'),
  t('symlinkat', 'file'),
  t('link', 'file'),
  t('linkat', 'file'),
  t('connect', 'net'),
  t('accept', 'net'),
  t('accept4', 'net'),
  t('socket', 'net'),
  t('dup', 'net'),
  t('dup2', 'net'),
  t('dup3', 'net'),
  t('execve', 'process', 'exec'),
  t('procexit', 'process', 'exit'),
  ...['setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'capset'].map((n) => t(n, 'process')),
  t('ptrace', 'process'),
  t('init_module', 'process'),
  t('finit_module', 'process'),
];

/** The open family: the events with a file descriptor on a path (links have none). */
export const OPENS: ReadonlySet<string> = new Set(['open', 'openat', 'openat2', 'creat']);

export const BY_NAME: ReadonlyMap<string, EventType> = new Map(CAPTURED.map((e) => [e.name, e]));
const BY_INTERNAL: ReadonlyMap<string, EventType> = new Map(CAPTURED.map((e) => [e.internal, e]));

/** This project's first names, still accepted in conditions: exec = execve, exit = procexit. */
export const TYPE_ALIASES: Readonly<Record<string, string>> = { exec: 'execve', exit: 'procexit' };

/** The producer's name of an event's type: file and net events' op, process events' kind. */
export function internalType(ev: AuditEvent): string {
  return ev.kind === 'process' ? ev.event.kind : ev.event.op;
}

/** `evt.type`: Falco's name of the event. */
export function typeName(ev: AuditEvent): string {
  const i = internalType(ev);
  return BY_INTERNAL.get(i)?.name ?? i;
}

export type TypeCheck = { captured: EventType } | { uncaptured: string } | { unknown: true };

/** What a name in `evt.type = NAME` is: captured here, one of Falco's that is not, or neither. */
export function checkType(value: string): TypeCheck {
  const name = TYPE_ALIASES[value] ?? value;
  const e = BY_NAME.get(name);
  if (e) return { captured: e };
  if (FALCO_EVENT_TYPES.has(name)) return { uncaptured: name };
  return { unknown: true };
}

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

/** "ENOENT" for 2; "E<n>" when the platform has no name for it. */
export function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `E${n}`;
}
