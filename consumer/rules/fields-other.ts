/**
 * host.*, container.* and cred.*. The container id comes from the process's cgroup path, where the
 * runtimes put it (docker-<id>.scope, cri-containerd-<id>.scope ...); as in Falco, container.id is
 * its first 12 characters and reads "host" for host processes. Everything else Falco's container
 * plugin reads from the runtime's API (image, name, privileged ...) is not collected.
 */
import type { AuditEvent, Creds } from '../../schemas/types';
import { ALL_KINDS, type FieldDef } from './field-def';

const P: FieldDef['kinds'] = ['process'];
const credFields = ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'] as const;

function creds(ev: AuditEvent): { old: Creds; new: Creds } | undefined {
  return ev.kind === 'process' && ev.event.cred_change ? ev.event.cred_change : undefined;
}

function credDefs(): FieldDef[] {
  const defs: FieldDef[] = [];
  for (const when of ['old', 'new'] as const) {
    for (const f of credFields) {
      defs.push({
        name: `cred.${when}.${f}`,
        type: 'num',
        kinds: P,
        doc: `privilege changes: the ${f} ${when === 'old' ? 'before' : 'after'} the call`,
        get: (ev) => {
          const c = creds(ev);
          return c && c[when][f] >>> 0;
        },
      });
    }
  }
  return defs;
}

const cid = (ev: AuditEvent): string => ev.event.process.container_id;

export const OTHER_FIELDS: FieldDef[] = [
  { name: 'host.name', type: 'str', kinds: ALL_KINDS, doc: 'host name', get: (ev) => ev.event.host.name, same: 'evt.hostname' },
  { name: 'host.id', type: 'str', kinds: ALL_KINDS, doc: 'host id (machine id)', get: (ev) => ev.event.host.id },
  {
    name: 'container.id',
    type: 'str',
    kinds: ALL_KINDS,
    doc: 'container id, its first 12 characters; "host" for host processes',
    get: (ev) => (cid(ev) ? cid(ev).slice(0, 12) : 'host'),
  },
  { name: 'container.full_id', type: 'str', kinds: ALL_KINDS, doc: 'container id in full; "host" for host processes', get: (ev) => cid(ev) || 'host' },
  ...credDefs(),
  {
    name: 'ptrace.request',
    type: 'str',
    kinds: P,
    doc: 'ptrace: PTRACE_ATTACH, PTRACE_SEIZE, PTRACE_POKETEXT, PTRACE_TRACEME ...',
    get: (ev) => (ev.kind === 'process' ? ev.event.ptrace?.request : undefined),
    same: 'evt.arg.request',
  },
  {
    name: 'ptrace.target_pid',
    type: 'num',
    kinds: P,
    doc: 'ptrace: the traced pid (0 for PTRACE_TRACEME)',
    get: (ev) => (ev.kind === 'process' ? ev.event.ptrace?.target_pid : undefined),
    same: 'evt.arg.pid',
  },
  { name: 'module.path', type: 'str', kinds: P, doc: 'finit_module: the module file; init_module: ""', get: (ev) => (ev.kind === 'process' ? ev.event.module?.path : undefined) },
  {
    name: 'module.params',
    type: 'str',
    kinds: P,
    doc: 'init_module, finit_module: the module parameters',
    get: (ev) => (ev.kind === 'process' ? ev.event.module?.params : undefined),
    same: 'evt.arg.uargs',
  },
  {
    name: 'cred.changed',
    type: 'bool',
    kinds: P,
    doc: 'privilege changes: some id or capability set differs after the call',
    get: (ev) => {
      const c = creds(ev);
      return c && (credFields.some((f) => c.old[f] !== c.new[f]) || c.old.cap_effective !== c.new.cap_effective || c.old.cap_permitted !== c.new.cap_permitted);
    },
  },
  {
    // A root process that drops its effective uid and takes it back (apt, sshd) had root all along.
    name: 'cred.to_root',
    type: 'bool',
    kinds: P,
    doc: 'privilege changes: the real uid became 0 from another, or the effective uid did while neither the real nor the saved uid was 0',
    get: (ev) => {
      const c = creds(ev);
      return c && ((c.new.uid === 0 && c.old.uid !== 0) || (c.new.euid === 0 && c.old.euid !== 0 && c.old.uid !== 0 && c.old.suid !== 0));
    },
  },
  {
    name: 'cred.caps_raised',
    type: 'bool',
    kinds: P,
    doc: 'privilege changes: the effective capability set gained a capability',
    get: (ev) => {
      const c = creds(ev);
      return c && (c.new.cap_effective & ~c.old.cap_effective) !== 0n;
    },
  },
];
