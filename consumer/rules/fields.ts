/**
 * The fields a condition or an output can name, and how each is read from an event: this
 * project's own (file.path, net.dst_ip, cred.to_root ...) and Falco's (fd.name, proc.aname[2],
 * user.name ...), each with Falco's type and meaning. A field that does not apply to an event reads
 * as undefined, and every comparison on it is false, as in Falco: `fd.name startswith /etc` never
 * matches an exec. A Falco field whose data is not captured here is known, and says why
 * (`missing`): conditions on it are false, outputs print <NA>.
 */
import { ARG_FIELDS } from './fields-args';
import { EVT_FIELDS } from './fields-evt';
import { FD_FIELDS } from './fields-fd';
import { OTHER_FIELDS } from './fields-other';
import { ANCESTOR_FIELDS, PROC_FIELDS } from './fields-proc';
import { FALCO_FIELDS } from './falco-names';
import type { EventKind } from '../../schemas/types';
import { BY_NAME, CAPTURED, TYPE_ALIASES } from './event-types';
import { missingField, type FieldDef } from './field-def';

export * from './field-def';
export { flagNames } from './fields-fd';
export { globToRegExp } from './tests';

const FIXED: ReadonlyMap<string, FieldDef> = new Map([...EVT_FIELDS, ...PROC_FIELDS, ...FD_FIELDS, ...OTHER_FIELDS].map((d) => [d.name, d]));

/** Every field with a fixed name, for error hints and the README table. */
export const FIELDS: ReadonlyMap<string, FieldDef> = FIXED;

/** The kind of each event type, by Falco's name, the producer's name and the accepted aliases. */
export const TYPE_KINDS: Readonly<Record<string, EventKind>> = Object.fromEntries([
  ...CAPTURED.flatMap((t) => [
    [t.name, t.kind],
    [t.internal, t.kind],
  ]),
  ...Object.entries(TYPE_ALIASES).map(([alias, name]) => [alias, BY_NAME.get(name)!.kind]),
]);

/** Why whole families of Falco's fields have no data here. */
const FAMILIES: [RegExp, string][] = [
  [/^k8s\./, "Kubernetes metadata is not collected: Falco reads it from the container runtime's labels"],
  [/^(container\.|proc\.is_container_)/, 'container runtime metadata is not collected: no runtime API is queried, the container id comes from the cgroup'],
  [
    /^(evt\.(latency|deltatime|cpu|buf|count|around|abspath|is_io|is_wait|is_syslog|io_dir|infra|plugin|async|wait)|syscall\.|thread\.(pfm|vm|cpu|exectime|totexectime|cgroup))/,
    'this kind of measurement is not captured',
  ],
  [/^(fdlist\.|fd\.types)/, 'fd tables of whole processes are not kept'],
];

export type Resolved = { def: FieldDef } | { error: string };

/** A field by name and optional [argument]: fixed names, ancestors (proc.aname[N]), event arguments (evt.arg.x). */
export function resolveField(name: string, arg?: string): Resolved {
  const anc = ANCESTOR_FIELDS[name];
  if (anc) {
    if (arg === undefined) return { def: anc.any };
    if (!/^\d+$/.test(arg)) return { error: `${name}[${arg}]: the argument is an ancestor level, 0 (the process) or more` };
    return { def: anc.at(Number(arg)) };
  }
  const args = ARG_FIELDS(name, arg);
  if (args) return 'error' in args ? args : { def: args };
  const def = FIXED.get(name);
  if (def) {
    if (arg !== undefined && !def.missing) return { error: `${name} takes no argument in brackets` };
    return { def };
  }
  if (FALCO_FIELDS.has(name)) {
    const reason = FAMILIES.find(([re]) => re.test(name))?.[1] ?? 'its data is not captured by this producer';
    return { def: missingField(name, reason) };
  }
  return { error: `unknown field "${name}"${suggest(name)}` };
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The fields a name could have meant: the closest of its namespace, or the namespaces. */
function suggest(name: string): string {
  const ns = name.split('.')[0];
  const same = [...FIXED.values()].filter((f) => f.name.startsWith(`${ns}.`) && !f.missing).map((f) => f.name);
  if (!same.length) return `; namespaces: ${[...new Set([...FIXED.keys()].map((f) => f.split('.')[0]))].join(', ')}`;
  const near = same
    .map((f) => [f, distance(name, f)] as const)
    .sort((a, b) => a[1] - b[1])
    .slice(0, 3)
    .map(([f]) => f);
  return `; did you mean ${near.join(', ')}? (fields of "${ns}": see README)`;
}
