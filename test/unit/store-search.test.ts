/**
 * The store's files and search's API on a store written by the day writer (no broker): round trip
 * of every field, summaries, a process story with unknown ancestry, children and an alert,
 * retro-hunt, retention plans, and the CLI's exit codes for bad input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatJson } from '../../consumer/core/output/json';
import type { Alert } from '../../consumer/rules/engine';
import { DEFAULT_RULES, loadRules, readRuleFile } from '../../consumer/rules/loader';
import { createProcessTree } from '../../consumer/rules/process-tree';
import { dayOf } from '../../consumer/store/day-db';
import { openDayWriter } from '../../consumer/store/day-writer';
import { parseRetention, parseSize, planRetention } from '../../consumer/store/retention';
import { formatCsv } from '../../consumer/search/format';
import { processStory } from '../../consumer/search/process-story';
import { huntRules, retroHunt } from '../../consumer/search/retro-hunt';
import { openSearch } from '../../consumer/search/search';
import { formatStoryText } from '../../consumer/search/story-format';
import { makeFilter } from '../../consumer/search/where';
import { NEW_NET_FIELDS, NEW_PROCESS_EVENT_FIELDS, NEW_PROCESS_FIELDS } from '../helpers/event-defaults';
import type { AuditEvent, Host, Process } from '../../schemas/types';
import { CONSUMER_CLI } from '../helpers/env';
import { ancestryCase } from '../helpers/search-cases';

const HOST: Host = { id: 'machine-1', name: 'web-1', boot_id: 'boot-1' };
const T0 = BigInt(Date.UTC(2026, 10, 24, 10)) * 1_000_000n;
const proc = (pid: number, ppid: number, start: bigint, comm: string): Process => ({
  pid,
  tid: pid,
  ppid,
  uid: -2, // Avro ints are signed: nobody's 4294967294 arrives as -2
  gid: 0,
  euid: 0,
  egid: 0,
  comm,
  exe: `/usr/bin/${comm}`,
  start_time_ns: start,
  cgroup_id: 99n,
  container_id: '',
  exe_from_memfd: false,
  exe_deleted: false,
  ...NEW_PROCESS_FIELDS,
});
const at = (s: number): bigint => T0 + BigInt(s) * 1_000_000_000n;
const base = (s: number, p: Process) => ({ time_ns: at(s), ktime_ns: 5n + BigInt(s), host: HOST, process: p });
const exec = (s: number, p: Process, args: string[]): AuditEvent => ({
  kind: 'process',
  event: { ...base(s, p), kind: 'exec', filename: p.exe, args, cwd: '/root', exit_code: 0, signal: 0, truncated: false, cred_change: null, ...NEW_PROCESS_EVENT_FIELDS },
});
const open = (s: number, p: Process, file: string, result = 3): AuditEvent => ({
  kind: 'file',
  event: { ...base(s, p), op: 'openat', path: file, dirfd: -100, flags: 0, mode: 0, result, truncated: false, target: '' },
});

// bash (parent not in the store) -> sh -> cat reading /etc/shadow, which raised an alert; a connect.
const bash = proc(200, 150, 1000n, 'bash');
const sh = proc(201, 200, 2000n, 'sh');
const cat = proc(202, 201, 3000n, 'cat');
const EVENTS: AuditEvent[] = [
  exec(1, bash, ['bash']),
  exec(2, sh, ['sh', '-c', 'cat /etc/shadow; true']),
  exec(3, cat, ['cat', '/etc/shadow']),
  open(4, cat, '/etc/shadow'),
  open(5, cat, '/etc/gshadow', -13),
  {
    kind: 'net',
    event: { ...base(6, sh), op: 'connect', family: 'inet6', dst_ip: '::ffff:127.0.0.1', dst_port: 8080, fd: 3, result: -115, protocol: 'tcp', unix_path: '', ...NEW_NET_FIELDS },
  },
  {
    kind: 'process',
    event: { ...base(7, cat), kind: 'exit', filename: '', args: [], cwd: '', exit_code: 1, signal: 0, truncated: false, cred_change: null, ...NEW_PROCESS_EVENT_FIELDS },
  },
  {
    kind: 'process',
    event: {
      ...base(8, sh),
      kind: 'setresuid',
      filename: '',
      args: [],
      cwd: '',
      exit_code: 0,
      signal: 0,
      truncated: false,
      cred_change: {
        old: { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0, cap_effective: -1n, cap_permitted: 0x1ffn },
        new: { uid: 65534, euid: 65534, suid: 65534, fsuid: 65534, gid: 0, egid: 0, sgid: 0, fsgid: 0, cap_effective: 0n, cap_permitted: 0n },
      },
      ...NEW_PROCESS_EVENT_FIELDS,
    },
  },
];
const ALERT: Alert = {
  time_ns: at(4),
  rule_id: 'cred-file-read',
  severity: 'high',
  description: 'd',
  message: 'Credential file read (file=/etc/shadow)',
  tags: ['T1003.008'],
  host: HOST,
  count: 1,
  events: [EVENTS[3]],
};

function store(events = EVENTS, alerts = [ALERT]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-store-unit-'));
  const w = openDayWriter(dir, dayOf(T0));
  for (const ev of events) w.add(ev);
  for (const a of alerts) w.addAlert(a);
  w.seal('t', 0, 10n);
  w.commit();
  w.close();
  return dir;
}

const { env, rules } = loadRules([readRuleFile(DEFAULT_RULES)]);

test('every event comes back from the store exactly as it went in', () => {
  const dir = store();
  const s = openSearch({ dir });
  const got = s.events(makeFilter({}, env), 100).events.map((e) => formatJson(e.ev));
  assert.deepEqual(got, EVENTS.map(formatJson));
  s.close();
  fs.rmSync(dir, { recursive: true });
});

test('count, top (with distinct), histogram and time windows', () => {
  const dir = store();
  const s = openSearch({ dir });
  assert.equal(s.count(makeFilter({ where: 'proc.name = cat' }, env)), 4);
  assert.equal(s.count(makeFilter({ where: 'evt.failed = true' }, env)), 2, 'the refused open and the connect in progress, as Falco counts them');
  assert.equal(s.count(makeFilter({ where: 'evt.res = EACCES' }, env)), 1);
  assert.equal(s.count(makeFilter({ sinceNs: at(4), untilNs: at(6) }, env)), 3);
  assert.equal(s.count(makeFilter({ where: 'net.dst_ip in (127.0.0.0/8)' }, env)), 1);
  assert.equal(s.count(makeFilter({ hosts: ['web-1'], kinds: ['file'] }, env)), 2);
  assert.equal(s.count(makeFilter({ hosts: ['other'] }, env)), 0);
  assert.deepEqual(s.top(makeFilter({}, env), ['proc.name'], 2), [
    { value: 'cat', events: 4, distinct: undefined },
    { value: 'sh', events: 3, distinct: undefined },
  ]);
  assert.deepEqual(s.top(makeFilter({ kinds: ['file'] }, env), ['proc.exepath', 'file.path'], 1), [{ value: '/usr/bin/cat', events: 2, distinct: 2 }]);
  const h = s.histogram(makeFilter({}, env), 5_000_000_000n);
  assert.deepEqual(
    h.map((b) => b.events),
    [4, 4],
  );
  assert.throws(() => makeFilter({ where: 'file.path = /x and net.dst_port = 1' }, env), /can never match/);
  // A field no store holds: exit 2 (a RuleError), naming the field, where it is and why.
  assert.throws(
    () => makeFilter({ where: 'proc.pid = 1 or fd.sip = 10.0.0.1' }, env),
    /^.*--where:1:17: field "fd\.sip" cannot be searched in the store: no column holds it \(the engine derives it from the socket's two ends/,
  );
  assert.throws(() => makeFilter({ where: 'proc.args contains x' }, env), /field "proc\.args" cannot be searched in the store: .*argv is kept on exec events only/);
  const alerts = s.alerts(makeFilter({ hosts: ['web-1'] }, env), 10);
  assert.deepEqual(
    alerts.alerts.map((a) => [a.rule_id, a.time_ns, a.host.name, JSON.parse(a.event).path]),
    [['cred-file-read', at(4), 'web-1', '/etc/shadow']],
  );
  assert.equal(s.alerts(makeFilter({ sinceNs: at(5) }, env), 10).alerts.length, 0);
  s.close();
  fs.rmSync(dir, { recursive: true });
});

test('--process: lineage up to an unknown ancestor, then files, children, connections and alerts in time order', () => {
  const dir = store();
  const s = openSearch({ dir });
  const story = processStory(s, { host: 'web-1', pid: 201 }, { limit: 100 })!;
  assert.equal(story.process.comm, 'sh');
  assert.deepEqual(
    story.lineage.map((p) => p.pid),
    [200],
  );
  assert.deepEqual(story.end, { at: 'unknown', pid: 150 });
  assert.deepEqual(
    story.timeline.map((e) => e.what),
    ['event', 'child', 'event', 'event'],
  );
  const text = formatStoryText(story).join('\n');
  assert.match(text, /ancestry unknown above PID 150/);
  assert.match(text, /CHILD PID:202 Exe:"\/usr\/bin\/cat" Comm:"cat" UID:4294967294 Start:3000 Cmdline: "cat \/etc\/shadow" Exit:1/);
  assert.match(text, /DST_IP:::ffff:127\.0\.0\.1$/m);
  const catStory = processStory(s, { host: 'machine-1', pid: 202, startNs: 3000n }, { limit: 100 })!;
  assert.deepEqual(
    catStory.lineage.map((p) => p.comm),
    ['sh', 'bash'],
  );
  assert.ok(catStory.timeline.some((e) => e.what === 'alert' && e.alert.rule_id === 'cred-file-read'));
  assert.equal(processStory(s, { host: 'web-1', pid: 202, startNs: 1n }, { limit: 100 }), undefined);
  s.close();
  fs.rmSync(dir, { recursive: true });
});

test('retro-hunt: the stateless rules of the pack on stored history; aggregates refused with their place', () => {
  const dir = store();
  const s = openSearch({ dir });
  const hunt = retroHunt(s, huntRules(rules, []), env, makeFilter({}, env), 100);
  assert.deepEqual([...new Set(hunt.alerts.map((a) => a.rule_id))].sort(), ['cred-file-read', 'privilege-change', 'shell-network-connection']);
  assert.match(hunt.alerts.find((a) => a.rule_id === 'cred-file-read')!.message, /file=\/etc\/shadow proc=cat/);
  assert.throws(() => huntRules(rules, ['port-scan']), /default-rules\.yaml:\d+:\d+: rule "port-scan" has an aggregate/);
  assert.throws(() => huntRules(rules, ['nope']), /--rule: no rule "nope"/);
  s.close();
  fs.rmSync(dir, { recursive: true });
});

test('retro-hunt: a test of ancestors (proc.aname) the SQL cannot decide is decided over the stored execs, as the engine does', () => {
  const { events, alerted } = ancestryCase(HOST, T0);
  const dir = store(events, []);
  const s = openSearch({ dir });
  const [rule] = huntRules(rules, ['write-below-binary-dir']);
  const hunt = retroHunt(s, [rule], env, makeFilter({}, env), 100);
  assert.deepEqual(
    hunt.alerts.map((a) => JSON.parse(formatJson(a.events[0])).path),
    [alerted],
  );
  assert.match(hunt.alerts[0].message, /proc=cp .*parent=bash/);
  const tree = createProcessTree({ maxProcesses: 100 });
  const live = events.filter((ev) => (tree.observe(ev), rule.pred(ev, tree)));
  assert.deepEqual(
    live,
    hunt.alerts.map((a) => a.events[0]),
    'the engine over the stream raises the same',
  );
  s.close();
  fs.rmSync(dir, { recursive: true });
});

test('CSV cells: quoted, control characters escaped, formulas defused', () => {
  const ev: AuditEvent = { ...open(1, { ...cat, comm: '=cmd|x' }, '/tmp/a,"b"\u001b[2J\n') };
  const line = formatCsv(ev);
  assert.doesNotMatch(line, /[\u001b\n]/);
  assert.match(line, /,'=cmd\|x,/);
  assert.match(line, /,"\/tmp\/a,""b""\\x1b\[2J\\x0a",/);
});

test('retention: whole days by age, then the oldest while over the cap; never the newest', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const days = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'].map((day) => ({ day, bytes: 100 }));
  assert.deepEqual(
    planRetention(days, { retentionMs: 3 * 86400_000 }, now).drops.map((d) => d.day),
    ['2026-11-20'],
  );
  const capped = planRetention(days, { retentionMs: 3 * 86400_000, maxBytes: 250 }, now);
  assert.deepEqual(
    capped.drops.map((d) => `${d.day} ${d.reason}`),
    ['2026-11-20 retention', '2026-11-21 max-size', '2026-11-22 max-size'],
  );
  assert.equal(capped.keptBytes, 200);
  const over = planRetention([{ day: '2026-11-24', bytes: 500 }], { maxBytes: 100 }, now);
  assert.deepEqual(over, { drops: [], keptBytes: 500, overCap: true });
  assert.equal(parseRetention('7d'), 7 * 86400_000);
  assert.equal(parseSize('20GB'), 20 * 1024 ** 3);
  assert.equal(parseSize('1.5 MiB'), 1.5 * 1024 ** 2);
  assert.equal(parseSize('lots'), undefined);
});

test('search CLI: bad input names the problem and exits 2; a --where error has line:col', () => {
  const dir = store();
  const run = (...args: string[]) => spawnSync(process.execPath, [CONSUMER_CLI, 'search', '--db', dir, ...args], { encoding: 'utf8' });
  const bad = run('--where', 'proc.name = cat and (file.path startswith /etc');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^ebpf-audit-consumer: --where:1:\d+: expected "\)"/);
  const field = run('--where', 'file.pth = /x');
  assert.equal(field.status, 2);
  assert.match(field.stderr, /--where:1:1: unknown field "file.pth"/);
  for (const args of [
    ['--top', 'nope.field'],
    ['--histogram', 'often'],
    ['--process', 'web-1'],
    ['--output', 'xml'],
    ['--since', 'yesterday'],
    ['--count', '--top', 'proc.name'],
    ['--limit', '0'],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^ebpf-audit-consumer: --/);
  }
  const ok = run('--where', 'open_read and proc.name in (cat)', '--output', 'json');
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(
    ok.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).path),
    ['/etc/shadow'],
  ); // the failed open is not a read
  const missing = run('--process', 'web-1:999');
  assert.equal(missing.status, 1);
  fs.rmSync(dir, { recursive: true });
});
