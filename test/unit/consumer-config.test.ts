/** The consumer commands' options to typed config: every bad value names its flag. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../common/errors';
import { detectConfig, detectRules, tailConfig, type DetectFlags, type TailFlags } from '../../consumer/config';
import { fileEvent, netEvent } from '../helpers/samples';

const common = { brokers: '127.0.0.1:9092', topicPrefix: 'ea', clientId: 'c', logLevel: 'warn' };
const tail = (o: Partial<TailFlags> = {}): TailFlags => ({ ...common, output: 'text', kind: [], host: [], pid: [], comm: [], exe: [], pathPrefix: [], untilEnd: false, ...o });
const detect = (o: Partial<DetectFlags> = {}): DetectFlags => ({
  ...common,
  check: false,
  defaultRules: true,
  disable: [],
  minSeverity: 'info',
  output: 'text',
  publish: true,
  statsInterval: '60',
  orderWait: '1000',
  untilEnd: false,
  ...o,
});
const fails = (fn: () => unknown, msg: RegExp) => assert.throws(fn, (err: unknown) => err instanceof ConfigError && msg.test(err.message));

test('tail: defaults, then each bad flag is a ConfigError naming it', () => {
  const c = tailConfig(tail(), {});
  assert.deepEqual([c.brokers, c.topicPrefix, c.output, c.kinds, c.fromBeginning, c.sinceMs], [['127.0.0.1:9092'], 'ea', 'text', ['file', 'net', 'process'], false, undefined]);
  fails(() => tailConfig(tail({ output: 'xml' }), {}), /^--output must be text, json or ecs, got "xml"$/);
  fails(() => tailConfig(tail({ kind: ['disk'] }), {}), /^--kind must be file, net or process/);
  fails(() => tailConfig(tail({ pid: ['12a'] }), {}), /^--pid: "12a" is not a process id$/);
  fails(() => tailConfig(tail({ since: '10m', fromBeginning: true }), {}), /exclude each other/);
  fails(() => tailConfig(tail({ since: 'yesterday' }), {}), /^--since: /);
  fails(() => tailConfig(tail({ brokers: 'nohost' }), {}), /^--brokers: /);
});

test('tail --where keeps matching events and reads only the kinds it can match', () => {
  const c = tailConfig(tail({ where: 'evt.type = connect and net.dst_ip in (10.0.0.0/8)' }), {});
  assert.deepEqual(c.kinds, ['net']);
  assert.equal(c.filter!({ kind: 'net', event: netEvent }), true);
  assert.equal(c.filter!({ kind: 'net', event: { ...netEvent, dst_ip: '192.0.2.1' } }), false);
  fails(() => tailConfig(tail({ kind: ['file'], where: 'evt.type = connect' }), {}), /can never match an event of the selected kinds/);
  assert.equal(tailConfig(tail({ where: 'file.path = /etc/passwd' }), {}).filter!({ kind: 'file', event: fileEvent }), true);
});

test('detect: rule selection and options', () => {
  const { rules } = detectRules([], detect({ minSeverity: 'high', disable: ['cred-file-read'] }));
  assert.ok(rules.length > 10);
  assert.equal(rules.find((r) => r.id === 'cred-file-read')!.enabled, false);
  assert.ok(rules.filter((r) => r.enabled).every((r) => r.severity === 'high' || r.severity === 'critical'));
  fails(() => detectRules([], detect({ disable: ['nope'] })), /^--disable: no rule "nope"$/);
  fails(() => detectRules([], detect({ minSeverity: 'urgent' })), /^--min-severity must be info, low, medium, high or critical/);
  fails(() => detectRules([], detect({ defaultRules: false })), /^no rules/);
  fails(() => detectRules([], detect({ learningPeriod: 'soon' })), /^--learning-period/);
  const c = detectConfig(detect(), {});
  assert.deepEqual([c.groupId, c.statsIntervalMs, c.output], ['ea-detect', 60000, 'text']);
  fails(() => detectConfig(detect({ statsInterval: '0' }), {}), /^--stats-interval/);
  fails(() => detectConfig(detect({ orderWait: '1s' }), {}), /^--order-wait/);
  assert.equal(detectConfig(detect({ orderWait: '0' }), {}).orderWaitMs, 0);
  fails(() => detectConfig(detect({ output: 'ecs' }), {}), /^--output must be text, json or none/);
});
