/**
 * The engine and stateful rules, driven by made-up events whose times are the only clock:
 * windows, thresholds, distinct counts, first-seen learning, per-host keys, and the alert record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4Number, ipv4NumberLenient } from '../../common/ipv4';
import { createEngine, type Alert } from '../../consumer/rules/engine';
import { DEFAULT_RULES, loadRules, readRuleFile, type RuleFile } from '../../consumer/rules/loader';
import { alertFromAvro, alertToAvro, formatAlertJson, formatAlertLine } from '../../consumer/detect/alert-format';
import { createSchemaRegistry } from '../../schemas/registry';
import { stringify } from '../../consumer/core/output/json';
import type { AuditEvent, Host } from '../../schemas/types';
import { fileEvent, host, netEvent, proc } from '../helpers/samples';

const SEC = 1_000_000_000n;
const T0 = 1_764_000_000n * SEC;

function rules(text: string, learningMs?: number) {
  return loadRules([{ path: 't.yaml', text } satisfies RuleFile], { learningMs }).rules;
}
const agg = (cond: string, aggregate: string): string =>
  `- rule: a\n  severity: medium\n  output: "n=%proc.name port=%net.dst_port"\n  condition: ${cond}\n  aggregate: ${aggregate}\n`;

function connect(at: bigint, port: number, opts: { pid?: number; h?: Host; ip?: string; exe?: string } = {}): AuditEvent {
  return {
    kind: 'net',
    event: {
      ...netEvent,
      time_ns: at,
      dst_port: port,
      dst_ip: opts.ip ?? '10.0.0.1',
      host: opts.h ?? host,
      process: { ...proc, pid: opts.pid ?? 10, comm: 'nc', exe: opts.exe ?? '/usr/bin/nc' },
    },
  };
}

const run = (engine: ReturnType<typeof createEngine>, evs: AuditEvent[]): Alert[] => evs.flatMap((e) => [...engine.process(e)]);

test('count > N within T fires on the N+1th event inside the window, then counts afresh', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'count > 3 within 10s by proc.pid')) });
  // Four events spread over 17 s: never more than two inside 10 s.
  assert.equal(
    run(
      engine,
      [0n, 5n, 11n, 17n].map((s) => connect(T0 + s * SEC, 1)),
    ).length,
    0,
  );
  // Two more at 18 s and 19 s: 11, 17, 18, 19 are four within 10 s.
  const alerts = run(
    engine,
    [18n, 19n].map((s) => connect(T0 + s * SEC, 1)),
  );
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].count, 4);
  assert.equal(alerts[0].time_ns, T0 + 19n * SEC);
  assert.equal(alerts[0].events.length, 1, 'the event that crossed the threshold');
  assert.equal(alerts[0].message, 'n=nc port=1');
  // State was reset: three more do not fire, the fourth does.
  assert.equal(
    run(
      engine,
      [20n, 20n, 20n].map((s) => connect(T0 + s * SEC, 1)),
    ).length,
    0,
  );
  assert.equal(run(engine, [connect(T0 + 21n * SEC, 1)]).length, 1);
});

test('count keys: per pid and per host', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'count >= 2 within 10s by proc.pid')) });
  const other: Host = { ...host, id: 'host-2' };
  assert.equal(run(engine, [connect(T0, 1, { pid: 1 }), connect(T0, 1, { pid: 2 }), connect(T0, 1, { pid: 1, h: other })]).length, 0);
  assert.equal(run(engine, [connect(T0 + SEC, 1, { pid: 1 })]).length, 1);
});

test('distinct(...) > N within T counts distinct values, forgetting those older than T', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'distinct(net.dst_ip, net.dst_port) > 3 within 10s by proc.pid')) });
  // One destination many times: no alert.
  assert.equal(
    run(
      engine,
      Array.from({ length: 50 }, (_, i) => connect(T0 + BigInt(i) * 100_000_000n, 80)),
    ).length,
    0,
  );
  // 81, 82 at 5 s (three distinct with 80); 83 at 16 s, when 80, 81 and 82 have aged out.
  assert.equal(run(engine, [connect(T0 + 5n * SEC, 81), connect(T0 + 5n * SEC, 82), connect(T0 + 16n * SEC, 83)]).length, 0);
  const alerts = run(
    engine,
    [84, 85, 86].map((p) => connect(T0 + 17n * SEC, p)),
  );
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].count, 4);
  assert.deepEqual(
    alerts[0].events.map((e) => (e.kind === 'net' ? e.event.dst_port : 0)),
    [86],
  );
});

test('first_seen: silent while learning, then fires once per new tuple; learning is per host', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'first_seen(net.dst_ip, net.dst_port) by proc.exepath learning 1m')) });
  const h2: Host = { ...host, id: 'host-2' };
  assert.equal(run(engine, [connect(T0, 443), connect(T0 + 30n * SEC, 80)]).length, 0, 'learning');
  assert.equal(run(engine, [connect(T0 + 61n * SEC, 443), connect(T0 + 62n * SEC, 80)]).length, 0, 'known after learning');
  const a = run(engine, [connect(T0 + 63n * SEC, 22), connect(T0 + 64n * SEC, 22)]);
  assert.equal(a.length, 1, 'new destination, once');
  assert.equal(run(engine, [connect(T0 + 65n * SEC, 443, { exe: '/usr/bin/curl' })]).length, 1, 'known destination, new program');
  assert.equal(run(engine, [connect(T0 + 66n * SEC, 9999, { h: h2 })]).length, 0, 'another host starts its own learning');
  const learned = rules(agg('evt.type = connect', 'first_seen(net.dst_port) learning 1h'), 1000);
  const short = createEngine({ rules: learned });
  assert.equal(run(short, [connect(T0, 1), connect(T0 + 2n * SEC, 2)]).length, 1, '--learning-period replaces the file value');
});

test('aggregate keys are bounded: the oldest are dropped and counted', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'count > 5 within 10s by proc.pid')), maxKeys: 100 });
  run(
    engine,
    Array.from({ length: 1000 }, (_, i) => connect(T0, 1, { pid: i })),
  );
  assert.deepEqual(engine.stats().aggregates.a, { keys: 100, evicted: 900 });
});

test('first_seen at its key cap: a new host keeps what it just learned, and the oldest key overall goes', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'first_seen(net.dst_port) learning 1s')), maxKeys: 2 });
  const h2: Host = { ...host, id: 'host-2' };
  // host-1 fills the cap while it learns.
  assert.equal(run(engine, [connect(T0, 1), connect(T0, 2)]).length, 0);
  // host-2 learns nothing, then meets port 9 twice: one alert, not one per event.
  assert.equal(run(engine, [connect(T0, 5, { h: h2 })]).length, 0, 'host-2 learning');
  const a = run(
    engine,
    [9, 9, 9].map((p) => connect(T0 + 2n * SEC, p, { h: h2 })),
  );
  assert.equal(a.length, 1, 'port 9 is new once');
  assert.deepEqual(engine.stats().aggregates.a, { keys: 2, evicted: 2 });
  // The evicted keys were host-1's oldest: port 2 was kept until port 9 came, port 1 went first.
  assert.equal(run(engine, [connect(T0 + 3n * SEC, 1)]).length, 1, 'host-1 forgot port 1');
});

test('a consumer group split by host raises the alerts one consumer does', () => {
  const r = rules(agg('evt.type = connect', 'distinct(net.dst_port) > 5 within 10s by proc.pid'));
  const hosts: Host[] = [0, 1, 2, 3].map((i) => ({ ...host, id: `h${i}`, name: `n${i}` }));
  const evs = Array.from({ length: 400 }, (_, i) => connect(T0 + BigInt(i) * 10_000_000n, 1000 + (i % 13), { h: hosts[i % 4], pid: i % 3 }));
  const one = run(createEngine({ rules: r }), evs);
  // Two consumers, each given the hosts of "its" partitions, in partition order.
  const a = createEngine({ rules: r });
  const b = createEngine({ rules: r });
  const split = evs.flatMap((e) => [...(['h0', 'h2'].includes(e.event.host.id) ? a : b).process(e)]);
  const key = (x: Alert): string => `${x.host.id}/${x.time_ns}/${x.count}`;
  assert.ok(one.length > 10);
  assert.deepEqual(split.map(key).sort(), one.map(key).sort());
});

test('rules run only on the kinds they can match; disabled rules do not run', () => {
  const r = rules(
    `- rule: f\n  severity: low\n  output: o\n  condition: proc.name = cat\n- rule: n\n  severity: low\n  output: o\n  condition: evt.type = connect\n  enabled: false\n`,
  );
  const engine = createEngine({ rules: r });
  const file: AuditEvent = { kind: 'file', event: fileEvent };
  assert.deepEqual(
    run(engine, [file, connect(T0, 1)]).map((x) => x.rule_id),
    ['f'],
  );
  assert.deepEqual(Object.keys(engine.stats().byRule), ['f']);
});

test('alerts: Avro round trip with the triggering events, escaped text line, JSON', () => {
  const registry = createSchemaRegistry();
  const hostile: AuditEvent = { kind: 'file', event: { ...fileEvent, path: '/tmp/\u001b[31mred"\nforged', process: { ...proc, comm: 'ca\u001bt' } } };
  const engine = createEngine({ rules: rules('- rule: f\n  severity: high\n  output: "opened %file.path"\n  condition: evt.kind = file\n  tags: [T1005]\n') });
  const [alert] = engine.process(hostile);
  const back = alertFromAvro(registry.decode('alert', registry.encode('alert', alertToAvro(alert))) as Record<string, unknown>);
  assert.equal(stringify(back), stringify(alert)); // avsc builds class instances: compare the values
  const line = formatAlertLine(alert);
  assert.equal(line, '[1764012345.123456789] ALERT high f Host:"web-1" PID:1234 Comm:"ca\\x1bt" Msg: "opened /tmp/\\x1b[31mred\\"\\x0aforged"');
  assert.doesNotMatch(line, /[\u0000-\u001f]/);
  const json = JSON.parse(formatAlertJson(alert));
  assert.equal(json.rule_id, 'f');
  assert.equal(json.events[0].kind, 'file');
  assert.equal(json.events[0].path, '/tmp/\u001b[31mred"\nforged');
  assert.doesNotMatch(formatAlertJson(alert), /[\u0000-\u001f\u001b]/);
  // Falco's rule names have spaces: the id is quoted and escaped, so the line still splits on spaces.
  const falco = createEngine({ rules: rules('- rule: Read "sensitive" file\n  priority: WARNING\n  output: o\n  condition: evt.kind = file\n') });
  assert.match(formatAlertLine(falco.process(hostile)[0]), /^\[\d+\.\d{9}\] ALERT medium "Read \\"sensitive\\" file" Host:"web-1" /);
});

test('the default pack loads, and every rule has an id, a description, a severity and ATT&CK tags', () => {
  const { rules: pack } = loadRules([readRuleFile(DEFAULT_RULES)]);
  assert.ok(pack.length >= 12, `${pack.length} rules`);
  for (const r of pack) {
    assert.ok(r.description.length > 20, r.id);
    assert.ok(
      r.tags.some((t) => /^T\d{4}(\.\d{3})?$/.test(t)),
      `${r.id} has no ATT&CK technique`,
    );
    assert.ok(r.enabled, r.id);
  }
});

test('keys of two by fields: a reused pid with another start time is another key, in both orders of firing', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'count >= 2 within 10s by proc.pid, proc.start')) });
  const at = (s: bigint, start: bigint): AuditEvent => {
    const ev = connect(T0 + s * SEC, 1, { pid: 7 });
    return { ...ev, event: { ...ev.event, process: { ...ev.event.process, start_time_ns: start } } } as AuditEvent;
  };
  assert.equal(run(engine, [at(0n, 100n), at(1n, 200n)]).length, 0, 'one event per key');
  assert.equal(engine.stats().aggregates.a.keys, 2);
  assert.equal(run(engine, [at(2n, 100n)]).length, 1, 'the first start fires');
  assert.equal(run(engine, [at(3n, 200n)]).length, 1, 'the second start still had its count');
  assert.equal(engine.stats().aggregates.a.keys, 0);
  assert.equal(run(engine, [at(4n, 100n)]).length, 0, 'counting afresh');
  assert.equal(run(engine, [at(5n, 100n)]).length, 1);
});

test('distinct addresses and ports: each spelling of an address is its own value, IPv4 or not', () => {
  const engine = createEngine({ rules: rules(agg('evt.type = connect', 'distinct(net.dst_ip, net.dst_port) > 3 within 10s by proc.pid')) });
  const evs = [
    connect(T0, 80, { ip: '10.0.0.1' }),
    connect(T0, 80, { ip: '10.0.0.1' }),
    connect(T0, 80, { ip: '10.0.0.01' }),
    connect(T0, 80, { ip: '::ffff:10.0.0.1' }),
    connect(T0, 8080, { ip: '10.0.0.1' }),
  ];
  const alerts = run(engine, evs);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].count, 4);
  assert.equal(alerts[0].events[0], evs[4]);
});

test('ipv4: only the canonical dotted form is a number', () => {
  assert.equal(ipv4Number('0.0.0.0'), 0);
  assert.equal(ipv4Number('10.1.2.3'), 0x0a010203);
  assert.equal(ipv4Number('255.255.255.255'), 2 ** 32 - 1);
  for (const s of ['', '256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', '::1', '1.2.3.-4']) assert.equal(ipv4Number(s), -1, s);
  // The rules' address tests: leading zeros are read, the rest is refused as above.
  assert.equal(ipv4NumberLenient('010.001.2.003'), 0x0a010203);
  assert.equal(ipv4NumberLenient('10.1.2.3'), 0x0a010203);
  for (const s of ['', '256.0.0.1', '0256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.', '::1']) assert.equal(ipv4NumberLenient(s), -1, s);
});
