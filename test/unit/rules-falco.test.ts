/**
 * Falco's rule format and field names: priorities, engine and plugin requirements, sources,
 * exceptions, override and append, enabled, skip-if-unknown-filter, outputs with %field forms,
 * transformers and operators, and Falco's meanings of fd.*, proc.*, evt.*, container.*; rules that
 * need what is not captured are skipped with the reason, exclusions on it load with a warning.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpression, loadRules, type LoadedRules } from '../../consumer/rules/loader';
import { createProcessTree, type NameLookup } from '../../consumer/rules/process-tree';
import { RuleError } from '../../consumer/rules/errors';
import type { AuditEvent, Process } from '../../schemas/types';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

const load = (text: string, more: string[] = []): LoadedRules => loadRules([{ path: 'f.yaml', text }, ...more.map((t, i) => ({ path: `more${i}.yaml`, text: t }))]);

function errorOf(text: string, more: string[] = []): string {
  try {
    load(text, more);
  } catch (err) {
    assert.ok(err instanceof RuleError, String(err));
    return err.message;
  }
  return 'no error';
}

const rule = (name: string, cond: string, extra = ''): string => `- rule: ${name}\n  desc: d\n  priority: WARNING\n  output: "o %proc.name"\n  condition: ${cond}\n${extra}`;

const file = (over: Partial<typeof fileEvent> = {}, p: Partial<Process> = {}): AuditEvent => ({ kind: 'file', event: { ...fileEvent, ...over, process: { ...proc, ...p } } });
const net = (over: Partial<typeof netEvent> = {}, p: Partial<Process> = {}): AuditEvent => ({
  kind: 'net',
  event: { ...netEvent, ...over, process: { ...netEvent.process, ...p } },
});
/** An exec without the producer's ancestor list: ancestry then comes from the execs seen before. */
const exec = (args: string[], p: Partial<Process> = {}, cwd = '/root'): AuditEvent => ({
  kind: 'process',
  event: { ...execEvent, args, cwd, ancestors: [], process: { ...proc, comm: args[0].split('/').pop()!, ...p } },
});

function evaluator(names?: NameLookup) {
  const { env } = load('[]');
  const tree = createProcessTree({ maxProcesses: 100, names });
  return {
    see: (ev: AuditEvent) => tree.observe(ev),
    is: (expr: string, ev: AuditEvent): boolean => {
      tree.observe(ev);
      return compileExpression(expr, env).pred(ev, tree);
    },
  };
}

test('priorities map onto severities; desc, tags, enabled, source', () => {
  const levels = ['EMERGENCY', 'Alert', 'critical', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'info', 'DEBUG'];
  const text = levels.map((l, i) => rule(`r${i}`, 'evt.type = connect').replace('WARNING', l)).join('');
  const { rules } = load(text);
  assert.deepEqual(
    rules.map((r) => r.severity),
    ['critical', 'critical', 'critical', 'high', 'medium', 'low', 'info', 'info', 'info'],
  );
  assert.equal(rules[4].priority, 'WARNING');
  assert.equal(rules[0].description, 'd');
  const {
    rules: [r],
    skipped,
  } = load(
    `${rule('Has Spaces', 'evt.type = connect', '  tags: [maturity_stable, T1059]\n  enabled: false\n  source: syscall\n')}${rule('audit', 'ka.verb = get', '  source: k8s_audit\n')}`,
  );
  assert.equal(r.id, 'Has Spaces');
  assert.deepEqual(r.tags, ['maturity_stable', 'T1059']);
  assert.equal(r.enabled, false);
  assert.deepEqual(
    skipped.map((s) => [s.id, s.reason]),
    [['audit', 'source "k8s_audit" is not available here (syscall events only)']],
  );
});

test('required_engine_version and required_plugin_versions', () => {
  assert.equal(errorOf('- required_engine_version: 0.57.0\n'), 'no error');
  assert.equal(errorOf('- required_engine_version: 26\n'), 'no error', 'the old integer form is 0.N.0');
  assert.equal(errorOf('- required_engine_version: 0.58.0\n'), 'f.yaml:1:28: the file requires Falco rule engine 0.58.0; this one implements the language of 0.57.0');
  assert.equal(errorOf('- required_engine_version: 1.0.0\n'), 'f.yaml:1:28: the file requires Falco rule engine 1.0.0; this one implements the language of 0.57.0');
  assert.equal(errorOf('- required_engine_version: latest\n'), 'f.yaml:1:28: required_engine_version "latest" is not a version such as 0.57.0');
  const { warnings } = load('- required_plugin_versions:\n    - name: k8saudit\n      version: 0.7.0\n');
  assert.deepEqual(
    warnings.map((w) => w.message),
    ['required plugin "k8saudit" is not available here: rules that need its fields or its source are skipped'],
  );
});

test('exceptions: one field with in, tuples with comps, list values; appended values', () => {
  const base = `- list: allowed\n  items: [vim, nano]\n${rule(
    'w',
    'evt.type in (open, openat) and fd.name startswith /etc/',
    `  exceptions:
    - name: editors
      fields: proc.name
      values: [allowed, sed]
    - name: pairs
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [cat, /etc/ssl/]
    - name: lists
      fields: [proc.name, fd.name]
      comps: [=, in]
      values:
        - [cp, [/etc/a, /etc/b]]
`,
  )}`;
  const {
    rules: [r],
  } = load(base);
  const ctx = createProcessTree({ maxProcesses: 10 });
  const fires = (comm: string, path: string): boolean => r.pred(file({ path }, { comm }), ctx);
  assert.ok(fires('bash', '/etc/hosts'));
  assert.ok(!fires('vim', '/etc/hosts') && !fires('nano', '/etc/hosts') && !fires('sed', '/etc/hosts'), 'the list name expands');
  assert.ok(!fires('cat', '/etc/ssl/cert.pem') && fires('cat', '/etc/hosts'), 'a tuple matches only together');
  assert.ok(!fires('cp', '/etc/b') && fires('cp', '/etc/c'), 'a list in a tuple, with in');
  const more = `- rule: w\n  exceptions:\n    - name: editors\n      values: [emacs]\n  override:\n    exceptions: append\n`;
  const {
    rules: [r2],
  } = load(base, [more]);
  assert.ok(!r2.pred(file({ path: '/etc/hosts' }, { comm: 'emacs' }), ctx), 'values appended to an existing exception');
  assert.equal(
    errorOf(base, [`- rule: w\n  exceptions:\n    - name: editors\n      fields: proc.exe\n      values: [x]\n  override:\n    exceptions: append\n`]),
    'more0.yaml:3:7: exception "editors" exists: only values can be appended to it, not fields or comps',
  );
  assert.equal(
    errorOf(rule('x', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values: [[a]]\n')),
    'f.yaml:7:7: exception "e": each value is a list of 2 (one per field)',
  );
  assert.equal(
    errorOf(rule('x', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: proc.name\n      comps: =\n      values: [a]\n')),
    'f.yaml:7:7: exception "e": with one field, comps must be in, pmatch or intersects',
  );
});

test('override append and replace, legacy append, enabled-only entries', () => {
  const base = `- macro: m\n  condition: proc.name = a\n- list: l\n  items: [x]\n${rule('r', 'm', '  tags: [t1]\n')}`;
  const upd = `- macro: m\n  condition: or proc.name = b\n  override:\n    condition: append
- list: l\n  items: [y]\n  override:\n    items: append
- rule: r\n  condition: and proc.pid = 1\n  output: "(%proc.pid)"\n  tags: [t2]\n  override:\n    condition: append\n    output: append\n    tags: append
- rule: r\n  priority: CRITICAL\n  enabled: false\n  override:\n    priority: replace\n    enabled: replace
`;
  const {
    rules: [r],
    env,
  } = load(base, [upd]);
  const ctx = createProcessTree({ maxProcesses: 10 });
  // The macro's text is appended (a or b), the rule's too: "m and proc.pid = 1", m a subtree.
  assert.ok(r.pred(file({}, { comm: 'a', pid: 1 }), ctx) && r.pred(file({}, { comm: 'b', pid: 1 }), ctx));
  assert.ok(!r.pred(file({}, { comm: 'b', pid: 2 }), ctx) && !r.pred(file({}, { comm: 'c', pid: 1 }), ctx));
  assert.equal(r.output(file({}, { comm: 'a', pid: 5 }), ctx), 'o a (5)');
  assert.deepEqual(r.tags, ['t1', 't2']);
  assert.equal(r.severity, 'critical');
  assert.equal(r.enabled, false);
  assert.deepEqual(env.lists.get('l'), ['x', 'y']);
  const legacy = load(base, ['- rule: r\n  condition: and proc.pid = 7\n  append: true\n- rule: r\n  enabled: false\n']).rules[0];
  assert.ok(legacy.pred(file({}, { comm: 'a', pid: 7 }), ctx) && !legacy.pred(file({}, { comm: 'a', pid: 8 }), ctx));
  assert.equal(legacy.enabled, false);
  assert.equal(
    errorOf(base, ['- rule: r\n  condition: x\n  tags: [a]\n  override:\n    condition: append\n']),
    'more0.yaml:3:3: "tags" has no entry under override (add tags: append or tags: replace)',
  );
  assert.equal(
    errorOf(base, ['- rule: r\n  priority: INFO\n  override:\n    priority: append\n']),
    'more0.yaml:4:5: "priority" cannot be appended to (append: condition, output, desc, description, tags, exceptions)',
  );
  assert.equal(errorOf(base, ['- rule: q\n  condition: x\n  override:\n    condition: append\n']), 'more0.yaml:1:3: rule "q" updates no earlier rule of that name');
});

test('skip-if-unknown-filter; unknown fields are errors otherwise; data not captured skips or warns', () => {
  const { rules, skipped, warnings } = load(
    rule('a', 'proc.nosuch = x', '  skip-if-unknown-filter: true\n') +
      rule('b', 'evt.type = execve and container.privileged = true') +
      rule('c', 'evt.type = execve and not container.image.repository in (x, y)') +
      rule('d', 'evt.type in (sendto, sendmsg)') +
      rule('e', 'evt.type = connect or evt.type = sendto'),
  );
  assert.deepEqual(
    rules.map((r) => r.id),
    ['c', 'e'],
  );
  assert.deepEqual(
    skipped.map((s) => `${s.id}: ${s.reason}`),
    [
      'a: unknown field "proc.nosuch"; did you mean proc.uid, proc.euid, proc.user? (fields of "proc": see README) (skip-if-unknown-filter)',
      'b: it needs what is not captured here: container.privileged (container runtime metadata is not collected: no runtime API is queried, the container id comes from the cgroup)',
      'd: it needs what is not captured here: evt.type sendto (this event type is not captured); evt.type sendmsg (this event type is not captured)',
    ],
  );
  assert.deepEqual(
    warnings.map((w) => w.message),
    [
      'rule "c": parts of its condition are false here: container.image.repository (container runtime metadata is not collected: no runtime API is queried, the container id comes from the cgroup)',
      'rule "e": parts of its condition are false here: evt.type sendto (this event type is not captured)',
    ],
  );
  const ctx = createProcessTree({ maxProcesses: 10 });
  assert.ok(rules[0].pred(exec(['bash']), ctx), 'an exclusion on what is not captured does not apply');
  assert.deepEqual([...rules[1].kinds], ['net']);
  assert.match(errorOf(rule('x', 'proc.nosuch = x')), /^f\.yaml:5:14: unknown field "proc\.nosuch"/);
});

test('outputs: %field[arg], %evt.arg.x, transformers, widths, <NA> for no value', () => {
  const {
    rules: [r],
  } = load(rule('o', 'evt.type = openat').replace('"o %proc.name"', '"*%proc.aname[1] %evt.arg.flags %tolower(proc.name) [%5proc.pid] %fd.sip %user.loginname"'));
  const tree = createProcessTree({ maxProcesses: 10 });
  tree.observe(exec(['sshd'], { pid: 1, ppid: 0 }));
  const ev = file({ flags: 0o1101 }, { comm: 'CAT', pid: 42, ppid: 1 });
  tree.observe(ev);
  assert.equal(r.output(ev, tree), 'sshd O_WRONLY|O_CREAT|O_TRUNC cat [42   ] <NA> <NA>');
});

test('fd.* on files: normalized fd.name, raw fd.nameraw, directory, filename, type, num', () => {
  const e = evaluator();
  const ev = file({ path: '/tmp/x/../../etc//passwd', result: 3 });
  assert.ok(e.is('fd.name = /etc/passwd and fd.nameraw = /tmp/x/../../etc//passwd', ev));
  assert.ok(e.is('fd.directory = /etc and fd.filename = passwd and fd.typechar = f and fd.type = file and fd.num = 3', ev));
  assert.ok(e.is("fd.nameraw contains '../' and fd.nameraw glob '*../*../*'", ev));
  assert.ok(e.is('fd.num = -1 and evt.res startswith E and evt.res = ENOENT and evt.rawres = -2', file({ result: -2 })));
  assert.ok(e.is('fd.typechar = d', file({ flags: 0o200000 })));
  assert.ok(e.is('evt.arg.flags contains O_TRUNC and evt.arg.name = /etc/passwd', file({ flags: 0o1101 })));
  assert.ok(!e.is('fd.name exists', exec(['true'])), 'no fd on an exec');
  assert.ok(e.is('evt.is_open_read = true and evt.is_open_write = false', file({ flags: 0 })));
  assert.ok(e.is('evt.is_open_write = true and evt.is_open_read = true', file({ flags: 2 })));
  assert.ok(e.is('evt.is_open_read = false', file({ op: 'creat', flags: 0o1101 })), "creat is not an open in Falco's sense");
  assert.ok(e.is('evt.is_open_exec = true', file({ flags: 0o101, mode: 0o755 })));
});

test('fd.* on sockets: server and client ends, tuple, l4proto, networks, domain names', () => {
  const names: NameLookup = {
    matches: (n, ip) => n === 'kubernetes.default.svc.cluster.local' && ip === '10.96.0.1',
    namesOf: (ip) => (ip === '10.96.0.1' ? ['kubernetes.default.svc.cluster.local'] : []),
  };
  const e = evaluator(names);
  const c = net({ dst_ip: '10.96.0.1', dst_port: 443, fd: 7, local_ip: '10.0.0.5', local_port: 40000 });
  assert.ok(e.is('fd.sip = 10.96.0.1 and fd.rip = 10.96.0.1 and fd.sport = 443 and fd.rport = 443 and fd.num = 7', c));
  assert.ok(e.is('fd.cip = 10.0.0.5 and fd.lip = 10.0.0.5 and fd.cport = 40000 and fd.lport = 40000', c));
  assert.ok(e.is('fd.typechar = 4 and fd.type = ipv4 and fd.l4proto = tcp and fd.sockfamily = ip and fd.is_server = false', c));
  assert.ok(e.is('fd.name = "10.0.0.5:40000->10.96.0.1:443" and fd.ip = 10.0.0.5 and fd.ip = 10.96.0.1 and fd.port = 40000', c));
  assert.ok(
    e.is('fd.name = "0.0.0.0:0->10.96.0.1:443" and not fd.cip exists and not fd.lport exists', net({ dst_ip: '10.96.0.1', dst_port: 443, local_ip: '', local_port: 0 })),
    'a local end not captured',
  );
  assert.ok(e.is('fd.snet in ("10.0.0.0/8") and fd.net != "127.0.0.0/8" and fd.ip != "0.0.0.0"', c));
  assert.ok(e.is('fd.sip.name = "kubernetes.default.svc.cluster.local" and fd.sip.name in (a.example, kubernetes.default.svc.cluster.local)', c));
  assert.ok(!e.is('fd.sip.name = "kubernetes.default.svc.cluster.local"', net({ dst_ip: '10.96.0.2' })));
  const a = net({ op: 'accept', dst_ip: '192.0.2.7', dst_port: 5555, result: 9, local_ip: '10.0.0.5', local_port: 22 });
  assert.ok(e.is('fd.cip = 192.0.2.7 and fd.cport = 5555 and fd.sip = 10.0.0.5 and fd.sport = 22 and fd.is_server = true and fd.num = 9', a));
  assert.ok(e.is('fd.name = "192.0.2.7:5555->10.0.0.5:22"', a));
  assert.ok(e.is('fd.typechar = 6 and fd.type = ipv6', net({ dst_ip: '::1', family: 'inet6' })));
  assert.ok(
    e.is('fd.typechar = u and fd.name = /run/x.sock and not fd.l4proto exists', net({ family: 'unix', dst_ip: '', dst_port: 0, unix_path: '/run/x.sock', protocol: 'unix' })),
  );
  assert.ok(e.is('evt.failed = true and evt.res = EINPROGRESS and (evt.rawres >= 0 or evt.res = EINPROGRESS)', net({ result: -115 })));
});

test('proc.*: name, exe (argv[0]), exepath, args, cmdline, ancestors, cwd, duration; user.uid; container.id', () => {
  const e = evaluator();
  e.see(exec(['/usr/sbin/sshd', '-D'], { pid: 10, ppid: 1, exe: '/usr/sbin/sshd' }));
  e.see(exec(['bash', '-l'], { pid: 20, ppid: 10, exe: '/usr/bin/bash' }));
  const ev = exec(['./tool', '-c', '/dev/shm/x'], { pid: 30, ppid: 20, exe: '/dev/shm/tool', uid: 1000, euid: 0 }, '/dev/shm/');
  assert.ok(e.is('proc.name = tool and proc.exe = ./tool and proc.exepath = /dev/shm/tool and proc.args = "-c /dev/shm/x"', ev));
  assert.ok(e.is('proc.cmdline = "tool -c /dev/shm/x" and proc.exeline = "./tool -c /dev/shm/x" and proc.cmdnargs = 2', ev));
  assert.ok(e.is('proc.cwd startswith "/dev/shm/" and proc.exe startswith "./"', ev));
  assert.ok(e.is('proc.pname = bash and proc.pcmdline = "bash -l" and proc.pexepath = /usr/bin/bash and proc.pexe = bash', ev));
  assert.ok(e.is('proc.aname[0] = tool and proc.aname[1] = bash and proc.aname[2] = sshd and not proc.aname[3] exists', ev));
  assert.ok(e.is('proc.aname = sshd and proc.aname in (nginx, sshd) and not proc.aname = tool', ev), 'any ancestor, not the process itself');
  assert.ok(e.is('proc.apid[2] = 10 and proc.aexepath[2] = /usr/sbin/sshd and proc.acmdline[1] = "bash -l"', ev));
  assert.ok(e.is('user.uid = 0 and proc.uid = 1000', ev), 'user.uid is the effective uid, as in Falco');
  assert.ok(e.is('container.id = host and container.full_id = host', ev));
  const id = 'ab'.repeat(32);
  assert.ok(e.is(`container.id = abababababab and container.full_id = ${id} and container.id != host`, exec(['sh'], { container_id: id })));
  const later = file({ ktime_ns: 7_000_000_000n + 123_456_789_000n }, { pid: 30, ppid: 20, comm: 'tool', exe: '/dev/shm/tool' });
  assert.ok(e.is('proc.duration = 7000000000 and proc.duration > 5000000000', later));
  assert.ok(e.is('proc.cmdline = "tool -c /dev/shm/x"', later), 'known from the exec seen before');
  assert.ok(!e.is('proc.cwd exists', later), "the working directory is the exec's alone (a chdir since is not captured)");
  assert.ok(!e.is('proc.cmdline exists or proc.exe exists', file({}, { pid: 99 })), 'no exec seen: no command line');
  assert.ok(e.is('evt.type = execve and evt.type = exec and evt.type in (execve, execveat) and evt.dir = "<" and evt.num > 0', ev));
  assert.ok(e.is('evt.type = procexit and evt.type = exit', { kind: 'process', event: { ...execEvent, kind: 'exit' } }));
});

test('operators and transformers: glob, iglob, regex, bcontains, intersects, modifiers, val(), tolower, len, basename, b64', () => {
  const e = evaluator();
  const ev = file({ path: '/home/u/.ssh/ID_rsa' }, { comm: 'Cat' });
  assert.ok(e.is("fd.name glob '/home/*/.ssh/*' and fd.name iglob '*/id_RSA' and not fd.name glob '*/id_RSA'", ev));
  assert.ok(e.is('fd.name glob "/home/u/.ssh/\\\\*"', file({ path: '/home/u/.ssh/*' })), 'a backslash quotes in a glob');
  assert.ok(e.is('fd.name regex "/home/[a-z]+/\\\\.ssh/.*" and not fd.name regex "ssh"', ev), 'regex matches the whole value');
  assert.ok(e.is('fd.name bcontains 2f2e737368 and fd.name bstartswith 2f686f6d65', ev));
  assert.ok(e.is('proc.name intersects (Cat, dog) and fd.name pmatch (/home/u) and fd.name startswith oneof (/etc, /home)', ev));
  assert.ok(e.is('fd.name endswith anyof (rsa, dsa) and not fd.name contains allof (ssh, nope)', ev));
  assert.ok(e.is('tolower(proc.name) = cat and toupper(proc.name) = CAT and len(proc.name) = 3 and basename(fd.name) = ID_rsa', ev));
  assert.ok(e.is('b64(fd.filename) exists and concat(proc.name, "/", fd.filename) = "Cat/ID_rsa"', ev));
  assert.ok(e.is('fd.directory = val(fd.directory) and fd.name startswith val(fd.directory) and not proc.name = val(fd.filename)', ev));
  assert.ok(e.is('proc.name in ("Cat", "x y") and proc.name in (Cat)', ev));
  assert.match(errorOf(rule('x', 'proc.name = val(proc.pid) and fd.name glob val(proc.name)')), /operator "glob" with a field on the right is not supported/);
});

test('lists: quoted items, nested lists, rfc1918 in a macro, as Falco writes them', () => {
  const {
    rules: [r],
  } = load(`- list: rfc_1918_addresses\n  items: ['"10.0.0.0/8"', '"172.16.0.0/12"', '"192.168.0.0/16"']
- list: cmds\n  items: ['"sh -c uname -p 2> /dev/null"', '"75-system-updat"']
- list: nested\n  items: [cmds, plain]
- macro: outbound\n  condition: (evt.type = connect and not fd.snet in (rfc_1918_addresses))
${rule('r', 'outbound or (evt.type = execve and proc.cmdline in (nested))')}`);
  const ctx = createProcessTree({ maxProcesses: 10 });
  assert.ok(r.pred(net({ dst_ip: '8.8.8.8' }), ctx) && !r.pred(net({ dst_ip: '192.168.1.1' }), ctx));
  assert.ok(r.pred(exec(['/bin/sh', '-c', 'uname -p 2> /dev/null']), ctx));
  assert.ok(!r.pred(exec(['/bin/sh', '-c', 'uname -p']), ctx));
});

test('cred.to_root: a real uid becoming 0, or an effective one without root in reserve; not a root daemon taking back its euid', () => {
  const e = evaluator();
  const ids = (uid: number, euid: number, suid: number) => ({ uid, euid, suid, fsuid: euid, gid: 0, egid: 0, sgid: 0, fsgid: 0, cap_effective: 0n, cap_permitted: 0n });
  const change = (o: [number, number, number], n: [number, number, number]): AuditEvent => ({
    kind: 'process',
    event: { ...execEvent, kind: 'setresuid', cred_change: { old: ids(...o), new: ids(...n) } },
  });
  assert.ok(e.is('cred.to_root = true', change([65534, 0, 0], [0, 0, 0])), 'a setuid-root payload making its real uid 0');
  assert.ok(e.is('cred.to_root = true', change([1000, 1000, 1000], [1000, 0, 1000])), 'an effective uid from nowhere');
  assert.ok(e.is('cred.to_root = false', change([0, 100, 0], [0, 0, 0])), 'apt taking back the euid it dropped');
  assert.ok(e.is('cred.to_root = false and cred.changed = true', change([0, 0, 0], [100, 100, 100])));
});

test("ancestors from the producer: exact on the exec, then for the process's later events; a parent's exec seen since comes first", () => {
  const e = evaluator();
  const ancestors = [
    { pid: 20, comm: 'bash', exe: '/usr/bin/bash' },
    { pid: 10, comm: 'sshd', exe: '/usr/sbin/sshd' },
  ];
  const ev: AuditEvent = { kind: 'process', event: { ...execEvent, args: ['id'], ancestors, process: { ...proc, pid: 30, ppid: 20, comm: 'id' } } };
  assert.ok(e.is('proc.pname = bash and proc.aname[2] = sshd and proc.aname = sshd and proc.pexepath = /usr/bin/bash and proc.apid[2] = 10', ev));
  const later = file({}, { pid: 30, ppid: 20, comm: 'id' });
  assert.ok(e.is('proc.aname[2] = sshd and proc.pname = bash', later), 'the exec seen gives the process its ancestors');
  // A list is the process's own: a fork of bash's that never exec'd has none (the stores cannot
  // tell either), and after a reparenting the list no longer names the parent.
  assert.ok(!e.is('proc.pname exists or proc.aname[2] exists', file({}, { pid: 99, ppid: 20, comm: 'bash' })));
  assert.ok(!e.is('proc.pname exists', file({}, { pid: 30, ppid: 1, comm: 'id' })));
  // A parent's own exec, once seen, is the parent's record (its later name, as Falco's thread table has it).
  e.see({ kind: 'process', event: { ...execEvent, args: ['sh'], ancestors: [ancestors[1]], process: { ...proc, pid: 20, ppid: 10, comm: 'sh' } } });
  assert.ok(e.is('proc.pname = sh and proc.aname[2] = sshd', later));
  // An exit hides it from the events after it (the list speaks again), not from those before it:
  // detect reads the process topic ahead of the file topic, so it often reads the exit first.
  const exitNs = later.event.time_ns + 1000n;
  e.see({ kind: 'process', event: { ...execEvent, time_ns: exitNs, kind: 'exit', args: [], process: { ...proc, pid: 20, ppid: 10, comm: 'sh' } } });
  assert.ok(e.is('proc.pname = sh', later), 'an event before the exit');
  assert.ok(e.is('proc.pname = bash', { ...later, event: { ...later.event, time_ns: exitNs + 1n } } as AuditEvent), 'an event after it');
});
