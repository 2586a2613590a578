/**
 * The detect CLI: --check without Kafka (exit 0 / 2 with file:line:column), and against the real
 * broker a batch run (--until-end) over a topic holding a triggering event, harmless ones and
 * malformed messages (random bytes, truncated Avro, an unknown schema), with stdout closed early.
 * Also tail --where, the same language on the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../../common/topic-admin';
import { alertsTopic, topicFor } from '../../common/topics';
import { alertFromAvro } from '../../consumer/detect/alert-format';
import { createKafkaPublisher } from '../../producer/publish/kafka-publisher';
import { createSchemaRegistry } from '../../schemas/registry';
import { BROKERS, CONSUMER_CLI, falcoRules, needsBroker, uniquePrefix } from '../helpers/env';
import { messagesInTopic, quietLogger, readTopic, testKafka } from '../helpers/kafka';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

const cli = (args: string[], input?: string) => spawnSync(process.execPath, [CONSUMER_CLI, ...args], { encoding: 'utf8', input, timeout: 120000 });

function ruleFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-rules-'));
  const f = path.join(dir, 'rules.yaml');
  fs.writeFileSync(f, text);
  return f;
}

test('detect --check: 0 and a summary for valid files, 2 and file:line:column for a bad one, no Kafka needed', () => {
  const none = ['--brokers', '127.0.0.1:1'];
  const ok = cli(['detect', '--check', ...none]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: 17 rules \(17 enabled\), 0 skipped, \d+ macros, \d+ lists\n$/);
  const user = ruleFile(
    '- rule: port-scan\n  enabled: false\n- rule: my-rule\n  severity: low\n  output: "x %proc.name"\n  condition: open_read and proc.name in (shell_binaries)\n',
  );
  const withUser = cli(['detect', '--check', user, ...none]);
  assert.equal(withUser.status, 0, withUser.stderr);
  assert.match(withUser.stdout, /^ok: 18 rules \(17 enabled\)/);
  const bad = ruleFile('- rule: r\n  severity: high\n  output: o\n  condition: >-\n    open_read and\n    proc.nmae = bash\n');
  const r = cli(['detect', '--check', bad, ...none]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `ebpf-audit-consumer: ${bad}:6:5: unknown field "proc.nmae"; did you mean proc.name, proc.exe, proc.pname? (fields of "proc": see README)\n`);
  assert.equal(cli(['detect', '--check', '/nonexistent.yaml', ...none]).status, 2);
  assert.equal(cli(['detect', '--check', '--no-default-rules', ...none]).status, 2);
  assert.equal(cli(['detect', '--check', '--min-severity', 'urgent', ...none]).status, 2);
  assert.equal(cli(['detect', '--check', '--learning-period', 'soon', ...none]).status, 2);
  assert.equal(cli(['tail', '--where', 'proc.name = ', ...none]).status, 2);
});

test("detect --check loads Falco's stable rules unchanged: no rule skipped for lack of an event type; --strict fails on a skip", (t) => {
  const falco = falcoRules(t);
  if (!falco) return;
  const none = ['--brokers', '127.0.0.1:1'];
  const r = cli(['detect', '--check', '--no-default-rules', falco, ...none]);
  assert.equal(r.status, 0, r.stderr);
  const [summary, ...rest] = r.stdout.trimEnd().split('\n');
  const m = /^ok: (\d+) rules \((\d+) enabled\), (\d+) skipped, (\d+) macros, (\d+) lists$/.exec(summary);
  assert.ok(m, summary);
  assert.equal(Number(m[1]) + Number(m[3]), 25, 'all 25 rules are read');
  const skipped = rest.filter((l) => l.startsWith('skipped: '));
  assert.equal(skipped.length, Number(m[3]));
  assert.deepEqual(
    skipped.filter((l) => l.includes('event type')),
    [],
    'no rule is skipped for lack of an event type',
  );
  for (const l of skipped) assert.match(l, /^skipped: .*falco_rules\.yaml:\d+:3: rule "[^"]+": it needs what is not captured here: \S+ \(/);
  // Together with the default pack, as detect runs by default.
  const both = cli(['detect', '--check', falco, ...none]);
  assert.equal(both.status, 0, both.stderr);
  assert.match(both.stdout, new RegExp(`^ok: ${Number(m[1]) + 17} rules`));
  const skip = ruleFile('- rule: needs runtime metadata\n  desc: d\n  priority: NOTICE\n  output: o\n  condition: evt.type = execve and container.privileged = true\n');
  const strict = cli(['detect', '--check', '--strict', skip, ...none]);
  assert.equal(strict.status, 2);
  assert.match(strict.stderr, /--strict: 1 rule\(s\) skipped:\nskipped: .*:1:3: rule "needs runtime metadata": it needs what is not captured here: container\.privileged/);
  const lenient = cli(['detect', '--check', skip, ...none]);
  assert.equal(lenient.status, 0, lenient.stderr);
  assert.match(lenient.stdout, /^ok: 17 rules \(17 enabled\), 1 skipped/);
});

async function preload(prefix: string): Promise<void> {
  const kafka = testKafka('detect-preload');
  await ensureTopics(kafka, topicSpecs(prefix, BROKER_DEFAULTS), quietLogger);
  const registry = createSchemaRegistry();
  const p = createKafkaPublisher({ kafka, logger: quietLogger, acks: -1, lingerMs: 0, batchSize: 1000, maxQueued: 100000, compression: 'None' });
  await p.connect();
  const file = topicFor(prefix, 'file');
  const shadow = registry.encode('file', { ...fileEvent, path: '/etc/shadow', process: { ...proc, pid: 4242 } });
  for (let i = 0; i < 200; i++) p.offer(file, { key: 'host-1', value: registry.encode('file', { ...fileEvent, path: `/srv/data/${i}` }) });
  p.offer(file, { key: 'host-1', value: Buffer.from('random bytes, not Avro') });
  p.offer(file, { key: 'host-1', value: shadow.subarray(0, shadow.length - 5) }); // truncated
  p.offer(file, { key: 'host-1', value: Buffer.concat([Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]), shadow.subarray(10)]) }); // unknown schema
  p.offer(file, { key: 'host-1', value: shadow });
  p.offer(topicFor(prefix, 'net'), { key: 'host-1', value: registry.encode('net', netEvent) });
  p.offer(topicFor(prefix, 'process'), { key: 'host-1', value: registry.encode('process', execEvent) });
  await p.flush(30000);
  await p.disconnect();
}

/**
 * What the topics really hold, decoded: a retry of the preload (at-least-once, most often right
 * after the broker started) may have written a batch twice, so expectations are counted here.
 */
async function contents(prefix: string): Promise<{ shadow: number; malformed: number; nets: number }> {
  const registry = createSchemaRegistry();
  const [nFile, nNet] = [await messagesInTopic(topicFor(prefix, 'file')), await messagesInTopic(topicFor(prefix, 'net'))];
  let shadow = 0;
  let malformed = 0;
  for (const v of await readTopic(topicFor(prefix, 'file'), (vs) => vs.length >= nFile, 30000)) {
    try {
      if ((registry.decode('file', v) as { path: string }).path === '/etc/shadow') shadow++;
    } catch {
      malformed++;
    }
  }
  return { shadow, malformed, nets: nNet };
}

test('detect --until-end: the alert printed and published, malformed messages counted and skipped, stdout closed early', { timeout: 180000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('detect-cli');
  await preload(prefix);
  const want = await contents(prefix);
  assert.ok(want.shadow >= 1 && want.malformed >= 3 && want.nets >= 1, JSON.stringify(want));
  const base = ['--brokers', BROKERS, '--topic-prefix', prefix, '--from-beginning', '--until-end', '--log-level', 'info'];

  const r = cli(['detect', ...base, '--output', 'json', '--group', `${prefix}-a`]);
  assert.equal(r.status, 0, r.stderr);
  const alerts = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(alerts.length, want.shadow, r.stdout);
  for (const a of alerts) {
    assert.equal(a.rule_id, 'cred-file-read');
    assert.equal(a.events[0].process.pid, 4242);
    assert.equal(a.events[0].path, '/etc/shadow');
  }
  const skipped = r.stderr
    .split('\n')
    .filter((l) => l.includes('malformed message skipped'))
    .map((l) => JSON.parse(l));
  assert.equal(skipped.length, want.malformed);
  for (const s of skipped) {
    assert.equal(s.topic, `${prefix}.file`);
    assert.match(`${s.partition}/${s.offset}`, /^\d+\/\d+$/);
  }
  assert.match(skipped.map((s) => s.reason).join('\n'), /unknown writer schema 0102030405060708/);
  const final = JSON.parse(r.stderr.split('\n').find((l) => l.includes('"detect stopped"'))!);
  assert.equal(final.events.malformed, want.malformed);
  assert.equal(final.alerts.published, want.shadow);

  const registry = createSchemaRegistry();
  const [published] = await readTopic(alertsTopic(prefix), (vs) => vs.length >= 1, 30000);
  const alert = alertFromAvro(registry.decode('alert', published) as Record<string, unknown>);
  assert.equal(alert.rule_id, 'cred-file-read');
  assert.equal(alert.severity, 'high');
  assert.equal(alert.host.id, 'host-1');
  assert.match(alert.message, /^Credential file read \(file=\/etc\/shadow proc=cat /);

  // stdout closed before the first line: detection goes on, alerts still reach Kafka, exit 0.
  const closed = spawnSync('bash', ['-c', `exec 1>&-; exec "$0" "$@"`, process.execPath, CONSUMER_CLI, 'detect', ...base, '--group', `${prefix}-b`], {
    encoding: 'utf8',
    timeout: 120000,
  });
  assert.equal(closed.status, 0, closed.stderr);
  const b = JSON.parse(closed.stderr.split('\n').find((l) => l.includes('"detect stopped"'))!);
  assert.equal(b.alerts.raised, want.shadow);
  assert.equal(b.alerts.published, want.shadow);

  // tail --where: the rules' language, macros included.
  const where = cli(['tail', ...base, '--where', 'open_read and file.path in (shadow_files) and proc.pid = 4242']);
  assert.equal(where.status, 0, where.stderr);
  assert.equal(where.stdout, '[1764012345.123456789] PID:4242 Exe:"/usr/bin/cat" Comm:"cat" Path: "/etc/shadow"\n'.repeat(want.shadow));
  const nets = cli(['tail', ...base, '--where', 'net.dst_ip in (10.0.0.0/8) and net.dst_port = 443']);
  assert.equal(nets.stdout, '[1764012345.000000001] PID:1234 Exe:"/usr/bin/curl" Comm:"curl" DST_IP:10.1.2.3\n'.repeat(want.nets));
});
