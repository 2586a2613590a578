/**
 * proc.*, thread.*, user.*, group.*: the process, its ancestors and its credentials, with Falco's
 * meanings. proc.name is the command name (comm), proc.exe the first argument (argv[0]),
 * proc.exepath the executable's path, proc.cmdline the name and the arguments. Arguments, the
 * working directory and ancestors come from the process tree (process-tree.ts).
 */
import type { AuditEvent } from '../../schemas/types';
import { ALL_KINDS, missingField, type FieldDef, type FieldType, type FieldValue } from './field-def';
import { capabilityNames } from './capabilities';
import type { EvalContext, ProcRecord } from './process-tree';

const PRODUCER = 'the producer does not capture it yet';

/** Falco's user.name is the effective uid's; the producer names the real uid, the same but in setuid programs. */
export function userName(ev: AuditEvent): string | undefined {
  const q = ev.event.process;
  if (q.uid === q.euid) return q.user_name || undefined;
  return q.euid === 0 ? 'root' : undefined;
}

function isExec(ev: AuditEvent): boolean {
  return ev.kind === 'process' && ev.event.kind === 'exec';
}

/** argv of ev's process: the event's own for an exec, else the last exec seen. */
function argvOf(ev: AuditEvent, ctx: EvalContext): string[] | undefined {
  return ev.kind === 'process' && ev.event.kind === 'exec' ? ev.event.args : ctx.self(ev)?.argv;
}

const args = (argv: string[] | undefined): string | undefined => argv && argv.slice(1).join(' ');
const cmdline = (comm: string, argv: string[] | undefined): string | undefined => argv && (argv.length > 1 ? `${comm} ${argv.slice(1).join(' ')}` : comm);
const recCmdline = (r: ProcRecord | undefined): string | undefined => r && cmdline(r.comm, r.argv);

const num = (name: string, doc: string, get: FieldDef['get'], same?: string): FieldDef => ({ name, type: 'num', doc, kinds: ALL_KINDS, get, same });
const str = (name: string, doc: string, get: FieldDef['get'], same?: string): FieldDef => ({ name, type: 'str', doc, kinds: ALL_KINDS, get, same });
const p = (ev: AuditEvent) => ev.event.process;

export const PROC_FIELDS: FieldDef[] = [
  num('proc.pid', 'process id', (ev) => p(ev).pid),
  num('proc.tid', 'thread id', (ev) => p(ev).tid, 'thread.tid'),
  num('thread.tid', 'thread id', (ev) => p(ev).tid, 'proc.tid'),
  { name: 'thread.ismain', type: 'bool', doc: "the thread is the process's main thread", kinds: ALL_KINDS, get: (ev) => p(ev).pid === p(ev).tid },
  num('proc.ppid', 'parent process id', (ev) => p(ev).ppid),
  num('proc.uid', 'real user id (user.uid is the effective one)', (ev) => p(ev).uid >>> 0),
  num('proc.euid', 'effective user id', (ev) => p(ev).euid >>> 0, 'user.uid'),
  num('proc.gid', 'real group id', (ev) => p(ev).gid >>> 0),
  num('proc.egid', 'effective group id', (ev) => p(ev).egid >>> 0, 'group.gid'),
  num('user.uid', "effective user id (as Falco's)", (ev) => p(ev).euid >>> 0, 'proc.euid'),
  num('group.gid', "effective group id (as Falco's)", (ev) => p(ev).egid >>> 0, 'proc.egid'),
  str(
    'user.name',
    "name of the effective uid on the host (the producer resolves the real uid's; in a setuid program an effective uid 0 reads root, another has no value)",
    userName,
  ),
  str('proc.user', 'name of the real uid on the host ("" if none)', (ev) => p(ev).user_name),
  num('user.loginuid', 'audit login uid; -1 when unset', (ev) => p(ev).loginuid, 'proc.loginuid'),
  num('proc.loginuid', 'audit login uid; -1 when unset', (ev) => p(ev).loginuid, 'user.loginuid'),
  str('user.loginname', 'name of the login uid on the host (no value when unset or unknown)', (ev) => p(ev).login_user_name || undefined, 'proc.loginuser'),
  str('proc.loginuser', 'name of the login uid on the host ("" when unset)', (ev) => p(ev).login_user_name, 'user.loginname'),
  missingField('group.name', `group name of group.gid, resolved on the host: ${PRODUCER}`),
  missingField('user.homedir', 'home directories are not resolved'),
  missingField('user.shell', 'login shells are not resolved'),
  // A double: exact to a few ns even after a year of uptime, and much cheaper in keys than a BigInt.
  num('proc.start', 'start time, ns since boot: with proc.pid, a process identity that survives pid reuse', (ev) => Number(p(ev).start_time_ns)),
  num('proc.duration', 'ns since the process started', (ev) => Number(ev.event.ktime_ns - p(ev).start_time_ns)),
  num('proc.pid.ts', 'start time, ns since the epoch (a double)', (ev) => Number(ev.event.time_ns - ev.event.ktime_ns + p(ev).start_time_ns)),
  str('proc.name', 'command name (comm, at most 15 bytes)', (ev) => p(ev).comm),
  str('proc.exepath', 'executable path (symlinks resolved), as /proc/PID/exe shows it ("/memfd:NAME (deleted)", "/path (deleted)")', (ev) => p(ev).exe),
  str('proc.exe', 'first argument, argv[0] (usually the program as invoked)', (ev, ctx) => argvOf(ev, ctx)?.[0]),
  str('proc.args', 'arguments after argv[0], joined by spaces', (ev, ctx) => args(argvOf(ev, ctx))),
  // On later events, the name at the exec (the stores keep that one).
  str('proc.cmdline', 'proc.name and the arguments, joined by spaces, as at the exec', (ev, ctx) => (isExec(ev) ? cmdline(p(ev).comm, argvOf(ev, ctx)) : recCmdline(ctx.self(ev)))),
  str('proc.exeline', 'proc.exe and the arguments (argv joined by spaces)', (ev, ctx) => argvOf(ev, ctx)?.join(' ')),
  num('proc.cmdnargs', 'number of arguments after argv[0]', (ev, ctx) => {
    const a = argvOf(ev, ctx);
    return a && Math.max(a.length - 1, 0);
  }),
  num('proc.cmdlenargs', 'characters in the arguments after argv[0]', (ev, ctx) =>
    argvOf(ev, ctx)
      ?.slice(1)
      .reduce((n, s) => n + s.length, 0),
  ),
  {
    name: 'proc.cwd',
    type: 'str',
    doc: 'exec: the working directory',
    kinds: ['process'],
    get: (ev) => (ev.kind === 'process' && ev.event.kind === 'exec' ? ev.event.cwd : undefined),
  },
  str('proc.pname', "parent's command name", (ev, ctx) => ctx.ancestor(ev, 1)?.comm),
  str('proc.pexe', "parent's argv[0]", (ev, ctx) => ctx.ancestor(ev, 1)?.argv?.[0]),
  str('proc.pexepath', "parent's executable path", (ev, ctx) => ctx.ancestor(ev, 1)?.exepath),
  str('proc.pcmdline', "parent's proc.cmdline", (ev, ctx) => recCmdline(ctx.ancestor(ev, 1))),
  num('proc.ppid.duration', 'ns since the parent started', (ev, ctx) => {
    const a = ctx.ancestor(ev, 1);
    return a && Number(ev.event.ktime_ns - a.start);
  }),
  num('proc.tty', "controlling terminal (Falco's device number encoding, pts/3 is 34819); 0: none", (ev) => p(ev).tty),
  {
    name: 'proc.exe_from_memfd',
    type: 'bool',
    kinds: ALL_KINDS,
    doc: 'the executable is a memfd (memfd_create + fexecve): fileless',
    get: (ev) => p(ev).exe_from_memfd,
    same: 'proc.is_exe_from_memfd',
  },
  {
    name: 'proc.is_exe_from_memfd',
    type: 'bool',
    kinds: ALL_KINDS,
    doc: "the executable is a memfd (Falco's name)",
    get: (ev) => p(ev).exe_from_memfd,
    same: 'proc.exe_from_memfd',
  },
  {
    name: 'proc.exe_deleted',
    type: 'bool',
    kinds: ALL_KINDS,
    doc: 'the executable has no name on disk at this event: deleted or replaced since start, O_TMPFILE, memfd',
    get: (ev) => p(ev).exe_deleted,
  },
  {
    name: 'proc.exe_fileless',
    type: 'bool',
    kinds: ALL_KINDS,
    doc: 'fileless: the executable is a memfd, or not on disk (deleted after start, replaced, O_TMPFILE)',
    get: (ev) => p(ev).exe_from_memfd || p(ev).exe_deleted,
  },
  {
    name: 'proc.is_exe_upper_layer',
    type: 'bool',
    kinds: ALL_KINDS,
    doc: 'the executable is on an overlayfs upper layer: written in the container, not from its image',
    get: (ev) => p(ev).exe_upper_layer,
    same: 'proc.exe_upper_layer',
  },
  {
    name: 'proc.exe_upper_layer',
    type: 'bool',
    kinds: ALL_KINDS,
    doc: 'the executable is on an overlayfs upper layer',
    get: (ev) => p(ev).exe_upper_layer,
    same: 'proc.is_exe_upper_layer',
  },
  missingField('proc.is_exe_lower_layer', `exec of a file on an overlay's lower layer: ${PRODUCER}`, 'bool'),
  missingField('proc.is_exe_writable', `exec of a file writable by the user: ${PRODUCER}`, 'bool'),
  str('thread.cap_effective', 'effective capabilities by name: CAP_CHOWN CAP_SYS_ADMIN ...', (ev) => capabilityNames(p(ev).cap_effective), 'proc.cap_effective'),
  str('proc.cap_effective', 'effective capabilities by name (use contains)', (ev) => capabilityNames(p(ev).cap_effective), 'thread.cap_effective'),
  missingField('thread.cap_permitted', `permitted capabilities: ${PRODUCER}`),
  missingField('thread.cap_inheritable', `inheritable capabilities: ${PRODUCER}`),
];

/** ev's process (level 0) or its nth ancestor, as a record. */
function level(ev: AuditEvent, ctx: EvalContext, n: number): ProcRecord | undefined {
  if (n > 0) return ctx.ancestor(ev, n);
  const self = ctx.self(ev);
  if (self && (!isExec(ev) || self.argv)) return self;
  const q = p(ev);
  return { pid: q.pid, ppid: q.ppid, start: q.start_time_ns, comm: q.comm, exepath: q.exe, argv: argvOf(ev, ctx) };
}

interface Family {
  what: string;
  type: FieldType;
  of(r: ProcRecord): FieldValue;
}

const FAMILY: Record<string, Family> = {
  'proc.aname': { what: 'command name', type: 'str', of: (r) => r.comm },
  'proc.aexe': { what: 'argv[0]', type: 'str', of: (r) => r.argv?.[0] },
  'proc.aexepath': { what: 'executable path', type: 'str', of: (r) => r.exepath },
  'proc.acmdline': { what: 'proc.cmdline', type: 'str', of: recCmdline },
  'proc.aargs': { what: 'arguments', type: 'str', of: (r) => args(r.argv) },
  'proc.apid': { what: 'pid', type: 'num', of: (r) => r.pid },
};

/** Ancestor fields: proc.aname[N] one level (0 the process itself), proc.aname any ancestor. */
export const ANCESTOR_FIELDS: Record<string, { any: FieldDef; at(n: number): FieldDef }> = Object.fromEntries(
  Object.entries(FAMILY).map(([name, f]) => {
    const walk = (ev: AuditEvent, ctx: EvalContext): FieldValue[] => {
      const out: FieldValue[] = [];
      for (let n = 1; n <= 64; n++) {
        const r = ctx.ancestor(ev, n);
        if (!r) break;
        out.push(f.of(r));
      }
      return out;
    };
    const some = (ev: AuditEvent, ctx: EvalContext, test: (v: FieldValue) => boolean): boolean => {
      for (let n = 1; n <= 64; n++) {
        const r = ctx.ancestor(ev, n);
        if (!r) return false;
        if (test(f.of(r))) return true;
      }
      return false;
    };
    const any: FieldDef = {
      name,
      type: f.type,
      kinds: ALL_KINDS,
      doc: `${f.what} of an ancestor: without an index, a comparison is true when one of the ancestors matches`,
      all: walk,
      some,
      get: (ev, ctx) => {
        const all = walk(ev, ctx).filter((v) => v !== undefined);
        return all.length ? all.join(' ') : undefined;
      },
    };
    const at = (n: number): FieldDef => ({
      name: `${name}[${n}]`,
      type: f.type,
      kinds: ALL_KINDS,
      doc: `${f.what} of the ancestor ${n} levels up (0: the process)`,
      get: (ev, ctx) => {
        const r = level(ev, ctx, n);
        return r && f.of(r);
      },
    });
    return [name, { any, at }];
  }),
);
