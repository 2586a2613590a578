/** The condition language: parsing, compiling, every operator and field type, and errors with positions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpression, loadRules, type RuleFile } from '../../consumer/rules/loader';
import { globToRegExp, pmatch } from '../../consumer/rules/tests';
import { createProcessTree } from '../../consumer/rules/process-tree';
import { RuleError } from '../../consumer/rules/errors';
import type { AuditEvent } from '../../schemas/types';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

const lib: RuleFile = {
  path: 'lib.yaml',
  text: `
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh]
- macro: is_connect
  condition: evt.type = connect
`,
};
const { env } = loadRules([lib]);
const lookup = createProcessTree({ maxProcesses: 100 });

function matches(expr: string, ev: AuditEvent): boolean {
  return compileExpression(expr, env).pred(ev, lookup);
}
const file = (over: Partial<typeof fileEvent> = {}): AuditEvent => ({ kind: 'file', event: { ...fileEvent, ...over } });
const net = (over: Partial<typeof netEvent> = {}): AuditEvent => ({ kind: 'net', event: { ...netEvent, ...over } });
const exec = (args: string[], comm = 'bash'): AuditEvent => ({ kind: 'process', event: { ...execEvent, args, process: { ...proc, comm } } });

test('pmatch, grouped by leading characters, answers as comparing with every directory', () => {
  const lists = [['/usr', '/lib', '/lib64', '/proc', '/sys', '/snap'], ['/'], ['/etc/', '/etc//x', 'rel', 'r', ''], ['/\u{1F600}x', '/é']];
  const paths = [
    '/usr',
    '/usr/',
    '/usr/bin/x',
    '/usrx',
    '/lib64/a',
    '/lib6',
    '/l',
    '/',
    '',
    'r',
    'r/x',
    'rel',
    'rel/a',
    'relx',
    '/etc',
    '/etc/',
    '/etc//x/y',
    '/sys/a',
    '/snapd',
    '/\u{1F600}x/1',
    '/\u{1F600}',
    '/é/x',
    '/e/x',
    'u',
  ];
  for (const dirs of lists) {
    const fast = pmatch(dirs);
    const every = (s: string): boolean => dirs.some((d) => s === d.replace(/\/+$/, '') || s.startsWith(d.endsWith('/') ? d : `${d}/`));
    for (const s of paths) assert.equal(fast(s), every(s), `${JSON.stringify(s)} pmatch ${JSON.stringify(dirs)}`);
  }
});

test('string operators: = != in startswith endswith contains icontains glob pmatch exists', () => {
  const ev = file({ path: '/etc/ssh/sshd_config' });
  assert.ok(matches('file.path = /etc/ssh/sshd_config', ev));
  assert.ok(matches('file.path == "/etc/ssh/sshd_config"', ev));
  assert.ok(!matches('file.path != /etc/ssh/sshd_config', ev));
  assert.ok(matches('file.path in (/etc/passwd, /etc/ssh/sshd_config)', ev));
  assert.ok(matches('file.path startswith /etc/ssh/', ev));
  assert.ok(matches('file.path endswith _config', ev));
  assert.ok(matches('file.path contains ssh', ev));
  assert.ok(matches('file.path icontains SSHD', ev) && !matches('file.path contains SSHD', ev));
  assert.ok(matches('file.path glob "/etc/*/sshd_*"', ev));
  assert.ok(matches('file.path glob /etc/ssh/sshd_confi?', ev) && !matches('file.path glob /etc/ssh/sshd_conf?', ev));
  assert.ok(matches('file.path glob "/etc/ssh/[rs]shd_config"', ev) && !matches('file.path glob "/etc/ssh/[!s]shd_config"', ev));
  assert.ok(matches('file.path pmatch (/usr, /etc/ssh)', ev));
  assert.ok(!matches('file.path pmatch (/etc/ss)', ev), 'pmatch matches whole directories only');
  assert.ok(matches('file.path pmatch (/etc/ssh/sshd_config)', ev));
  assert.ok(matches('file.path exists', ev) && !matches('net.dst_ip exists', ev));
  assert.ok(matches('file.name = sshd_config and file.directory = /etc/ssh', ev));
});

test('numbers, booleans, flags and errno', () => {
  const ev = file({ flags: 0o1101, result: -13 }); // O_WRONLY|O_CREAT|O_TRUNC, EACCES
  assert.ok(matches('evt.res = -13 and evt.res < 0 and evt.res <= -13 and evt.res > -14 and evt.res >= -13', ev));
  assert.ok(matches('evt.res in (-2, -13)', ev));
  assert.ok(matches('evt.failed = true and evt.errno = EACCES', ev));
  assert.ok(matches('evt.is_open_write = true and evt.is_open_read = false', ev));
  assert.ok(matches('file.flags contains O_TRUNC and file.flags startswith O_WRONLY', ev));
  assert.ok(matches('proc.uid = 1000 and proc.euid = 0 and proc.pid = 0x4d2', ev));
  assert.ok(matches('evt.failed = true and evt.res = EINPROGRESS and evt.rawres = -115', net({ result: -115 })), 'EINPROGRESS is a failure, as in Falco');
});

test('addresses: equality, IPv4 and IPv6 CIDRs, v4-mapped', () => {
  assert.ok(matches('net.dst_ip in (10.0.0.0/8, fd00::/8)', net({ dst_ip: '10.1.2.3' })));
  assert.ok(matches('net.dst_ip in (10.0.0.0/8, fd00::/8)', net({ dst_ip: 'fd12::1' })));
  assert.ok(!matches('net.dst_ip in (10.0.0.0/8, fd00::/8)', net({ dst_ip: '11.0.0.1' })));
  assert.ok(matches('net.dst_ip in (10.0.0.0/8)', net({ dst_ip: '::ffff:10.0.0.1' })));
  assert.ok(matches('net.dst_ip = ::1', net({ dst_ip: '0:0:0:0:0:0:0:1', family: 'inet6' })));
  assert.ok(matches('net.dst_ip != 127.0.0.1 and net.dst_port = 443', net()));
  assert.ok(!matches('net.dst_ip in (10.0.0.0/8)', net({ dst_ip: '', family: 'unix' })));
});

test('and binds tighter than or; not; parentheses; macros; lists, nested lists', () => {
  const ev = net();
  assert.ok(matches('proc.name = nope and proc.name = nope or proc.name = curl', ev));
  assert.ok(!matches('proc.name = nope and (proc.name = nope or proc.name = curl)', ev));
  assert.ok(matches('not proc.name = bash and not (evt.kind = file)', ev));
  assert.ok(matches('is_connect and not is_connect or is_connect', ev));
  assert.ok(matches('proc.name in (more_shells)', exec(['zsh'], 'zsh')));
  assert.ok(matches('proc.name in shells', exec(['bash'])));
  assert.ok(matches('proc.name in (curl, shells)', ev));
});

test('a field of another kind is false under any operator, and not makes it true', () => {
  const ev = net();
  assert.ok(!matches('file.path = x', ev));
  assert.ok(!matches('file.path != x', ev));
  assert.ok(matches('not file.path = x', ev));
});

test('proc.cmdline and proc.pname come from exec events seen before', () => {
  const procs = createProcessTree({ maxProcesses: 10 });
  // Without the producer's ancestor list (an older producer): the parent's exec tells its name.
  const parent: AuditEvent = { kind: 'process', event: { ...execEvent, ancestors: [], args: ['sshd', '-D'], process: { ...proc, pid: 1, comm: 'sshd' } } };
  const child: AuditEvent = { kind: 'process', event: { ...execEvent, ancestors: [], args: ['bash', '-i'], process: { ...proc, pid: 50, ppid: 1, comm: 'bash' } } };
  procs.observe(parent);
  procs.observe(child);
  const later: AuditEvent = { kind: 'net', event: { ...netEvent, process: { ...proc, pid: 50, ppid: 1, comm: 'bash' } } };
  const c = compileExpression('proc.cmdline = "bash -i" and proc.pname = sshd', env);
  assert.ok(c.pred(later, procs));
  const reused: AuditEvent = { kind: 'net', event: { ...netEvent, process: { ...proc, pid: 50, start_time_ns: 1n } } };
  assert.ok(!compileExpression('proc.cmdline exists', env).pred(reused, procs), 'a reused pid does not inherit the command line');
});

test('kinds a condition can match', () => {
  const kinds = (e: string): string[] => [...compileExpression(e, env).kinds].sort();
  assert.deepEqual(kinds('evt.type = connect'), ['net']);
  assert.deepEqual(kinds('evt.type in (openat, exec)'), ['file', 'process']);
  assert.deepEqual(kinds('file.path = /x or net.dst_port = 1'), ['file', 'net']);
  assert.deepEqual(kinds('proc.name = x'), ['file', 'net', 'process']);
  assert.deepEqual(kinds('not evt.type = connect'), ['file', 'net', 'process']);
});

test('glob to regex escapes regex syntax', () => {
  assert.ok(globToRegExp('/a.b/*').test('/a.b/c/d'));
  assert.ok(!globToRegExp('/a.b/*').test('/axb/c'));
  assert.ok(globToRegExp('a+(b)').test('a+(b)'));
});

function errorOf(text: string, files: RuleFile[] = [lib]): string {
  try {
    loadRules([...files, { path: 'r.yaml', text }]);
  } catch (err) {
    assert.ok(err instanceof RuleError, String(err));
    return err.message;
  }
  return 'no error';
}

const rule = (cond: string, extra = ''): string => `- rule: r1\n  severity: high\n  output: "x %proc.name"\n  condition: ${cond}\n${extra}`;

test('errors name file:line:column and the reason', () => {
  assert.equal(errorOf(rule('proc.nam = bash')), 'r.yaml:4:14: unknown field "proc.nam"; did you mean proc.name, proc.pname, proc.pid? (fields of "proc": see README)');
  assert.equal(errorOf(rule('proc.pid = bash')), 'r.yaml:4:25: proc.pid is a number; "bash" is not');
  assert.equal(errorOf(rule('proc.pid contains 3')), 'r.yaml:4:23: operator "contains" does not apply to numeric field proc.pid (use =, !=, <, <=, >, >=, in, intersects, exists)');
  assert.equal(errorOf(rule('(proc.name = a')), 'r.yaml:4:28: expected ")" to close the "(" at column 1, found the end of the condition');
  assert.equal(errorOf(rule('proc.name = a b')), 'r.yaml:4:28: unexpected "b": expected "and", "or" or the end');
  assert.equal(errorOf(rule('"proc.name = \\"a"')), 'r.yaml:4:27: unterminated string');
  assert.equal(errorOf(rule('no_such_macro')), 'r.yaml:4:14: unknown macro "no_such_macro"');
  assert.equal(errorOf(rule('proc.name in nolist')), 'r.yaml:4:27: unknown list "nolist"');
  assert.equal(
    errorOf(rule('evt.type = execv')),
    'r.yaml:4:25: evt.type is never "execv"; captured here: open, openat, openat2, creat, symlink, symlinkat, link, linkat, connect, accept, accept4, socket, dup, dup2, dup3, execve, procexit, setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid, setfsgid, capset, ptrace, init_module, finit_module (and Falco\'s other event types)',
  );
  assert.equal(errorOf(rule('net.dst_ip in (10.0.0.0/33)')), 'r.yaml:4:29: "10.0.0.0/33" is not an IP address or CIDR range');
  assert.equal(errorOf(rule('evt.type = connect and file.path = /x')), 'r.yaml:4:14: rule "r1" can never match: its condition requires two different event kinds at once');
  assert.equal(errorOf(rule('proc.name = a !x')), 'r.yaml:4:28: unexpected "!x": expected "and", "or" or the end');
  assert.equal(errorOf(rule('proc.name = a and')), 'r.yaml:4:31: expected a field, a macro, "not" or "(", found the end of the condition');
  assert.equal(errorOf(rule('proc.name startswith')), 'r.yaml:4:34: expected a value after "startswith", found the end of the condition');
  assert.equal(
    errorOf(rule('proc.name is bash')),
    'r.yaml:4:24: expected an operator after proc.name (exists, <=, <, >=, >, =, !=, glob, iglob, contains, icontains, bcontains, startswith, bstartswith, endswith, regex, intersects, in, pmatch), found "is"',
  );
});

test('errors inside folded and literal block conditions point at the token', () => {
  assert.equal(
    errorOf(rule('>-\n    proc.name = a\n    and file.pth = b')),
    'r.yaml:6:9: unknown field "file.pth"; did you mean file.path, file.name, file.mode? (fields of "file": see README)',
  );
  assert.equal(errorOf(rule('|\n    proc.name = a and\n      (proc.pid = x)')), 'r.yaml:6:19: proc.pid is a number; "x" is not');
  assert.equal(errorOf(`- macro: m1\n  condition: m2\n- macro: m2\n  condition: proc.name = a and m1\n`), 'r.yaml:4:32: macro "m1" refers to itself (m1 -> m2 -> m1)');
});

test('file structure errors', () => {
  assert.equal(errorOf('{a: 1}'), 'r.yaml:1:1: a rule file is a YAML list of "- rule:", "- macro:" and "- list:" entries');
  assert.match(
    errorOf('- rule: r1\n  severity: high\n  output: x\n  condition: proc.pid = 1\n  sevrity: x\n'),
    /^r\.yaml:5:3: unknown key "sevrity" in a rule \(allowed: rule, condition, output, desc, description, priority, severity, /,
  );
  assert.equal(errorOf('- rule: r1\n  output: x\n  condition: proc.pid = 1\n'), 'r.yaml:1:3: rule "r1" has no priority (or severity)');
  assert.equal(
    errorOf('- rule: r1\n  output: x\n  priority: WARNING\n  severity: high\n  condition: proc.pid = 1\n'),
    'r.yaml:4:13: rule "r1" has both priority and severity: keep one',
  );
  assert.equal(
    errorOf('- rule: r1\n  output: x\n  priority: LOUD\n  condition: proc.pid = 1\n'),
    'r.yaml:3:13: priority "LOUD" is not one of emergency, alert, critical, error, warning, notice, informational, debug',
  );
  assert.equal(errorOf(rule('proc.pid = 1').replace('high', 'urgent')), 'r.yaml:2:13: severity must be one of info, low, medium, high, critical, not "urgent"');
  assert.equal(
    errorOf(rule('proc.pid = 1').replace('x %proc.name', 'x %proc.nme')),
    'r.yaml:3:15: unknown field "proc.nme"; did you mean proc.name, proc.exe, proc.pname? (fields of "proc": see README)',
  );
  assert.equal(errorOf(rule('proc.pid = 1').replace('x %proc.name', '100% x')), 'r.yaml:3:15: output: "%" must be followed by a field, such as %proc.name');
  assert.equal(errorOf(rule('proc.pid = 1', '  enabled: yes please\n')), 'r.yaml:5:12: enabled must be true or false');

  assert.equal(errorOf('- rule: r1\n  macro: m\n'), 'r.yaml:1:3: an entry has one of rule:, macro: or list:, not rule and macro');
  assert.equal(errorOf('- rule: nope\n  enabled: false\n'), 'r.yaml:1:3: no rule "nope" to switch on or off');
  assert.equal(errorOf('- list: l\n  items: [a]\n  append: true\n'), 'r.yaml:1:3: list "l" appends to no earlier list of that name');
  assert.match(errorOf('- rule: [a\n'), /^r\.yaml:\d+:\d+: YAML: /);
  assert.equal(errorOf(rule('evt.kind = file', '  aggregate: count > 3 within 10 by proc.pid\n')), 'r.yaml:5:31: expected a duration such as 500ms, 10s, 5m, 1h or 1d');
  assert.equal(
    errorOf(rule('evt.kind = file', '  aggregate: distinct(file.pth) > 3 within 10s\n')),
    'r.yaml:5:23: unknown field "file.pth"; did you mean file.path, file.name, file.mode? (fields of "file": see README)',
  );
  assert.equal(errorOf(rule('evt.kind = file', '  aggregate: sum > 3\n')), 'r.yaml:5:14: an aggregate starts with count, distinct(...) or first_seen(...), not "sum"');
});

test('later files override: replace a rule, switch one off, append to a list, replace a macro', () => {
  const base: RuleFile = { path: 'base.yaml', text: `${lib.text}${rule('proc.name in (shells)')}- rule: r2\n  severity: low\n  output: o\n  condition: is_connect\n` };
  const user: RuleFile = {
    path: 'user.yaml',
    text: '- list: shells\n  items: [fish]\n  append: true\n- rule: r2\n  enabled: false\n- macro: is_connect\n  condition: evt.type = accept\n- rule: r3\n  severity: info\n  output: o\n  condition: is_connect\n',
  };
  const { rules } = loadRules([base, user]);
  const byId = new Map(rules.map((r) => [r.id, r]));
  assert.equal(byId.get('r2')!.enabled, false);
  assert.ok(byId.get('r1')!.pred(exec(['fish'], 'fish'), lookup), 'the appended item is in the list');
  assert.deepEqual([...byId.get('r3')!.kinds], ['net']);
  assert.ok(byId.get('r3')!.pred(net({ op: 'accept' }), lookup), 'the later macro wins');
  assert.equal(byId.get('r1')!.source.file, 'base.yaml');
});
