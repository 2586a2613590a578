/**
 * Conditions as generated functions (expr.ts): each form of the tree, the written-out comparisons
 * against the closures they stand for (every rule of the default pack and of Falco's stable file,
 * over a fleet-shaped workload), and rule text that stays data.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { compilePart } from '../../consumer/rules/compile';
import { toPredicate, type Expr, type Predicate } from '../../consumer/rules/expr';
import { compileExpression, DEFAULT_RULES, loadRules, readRuleFile, type LoadedRules } from '../../consumer/rules/loader';
import { createProcessTree } from '../../consumer/rules/process-tree';
import type { AuditEvent } from '../../schemas/types';
import { makeEvents } from '../bench/workload';
import { falcoRules } from '../helpers/env';
import { execEvent, fileEvent, netEvent, proc } from '../helpers/samples';

const file = (over: Partial<typeof fileEvent> = {}): AuditEvent => ({ kind: 'file', event: { ...fileEvent, ...over } });
const tree = createProcessTree({ maxProcesses: 100 });

test('each form of the tree: kinds, values with and without a type, calls, not, and, or, constants', () => {
  const ev = file({ path: '/etc/shadow', result: 3 });
  const path: Expr = { t: 'value', get: (e) => (e.kind === 'file' ? e.event.path : undefined), test: (v: string) => v.startsWith('/etc/') };
  const res: Expr = { t: 'value', get: (e) => e.event.result, type: 'number', test: () => true, inline: { op: '>=', value: 0 } };
  const none: Expr = { t: 'value', get: () => undefined, test: () => true };
  const truth = (e: Expr, x: AuditEvent = ev): boolean => toPredicate(e)(x, tree);
  assert.equal(truth({ t: 'kind', kinds: ['file'] }), true);
  assert.equal(truth({ t: 'kind', kinds: ['net', 'process'] }), false);
  assert.equal(truth(path), true);
  assert.equal(truth(path, file({ path: '/tmp/x' })), false);
  assert.equal(truth(res), true);
  assert.equal(truth(res, file({ result: -2 })), false);
  assert.equal(truth(none), false, 'a field without a value fails every test');
  assert.equal(truth({ t: 'not', arg: none }), true);
  assert.equal(truth({ t: 'value', get: () => 'text', type: 'number', test: () => true }), false, 'the type guard holds');
  assert.equal(truth({ t: 'and', args: [path, res, { t: 'kind', kinds: ['file'] }] }), true);
  assert.equal(truth({ t: 'and', args: [path, none] }), false);
  assert.equal(truth({ t: 'or', args: [none, { t: 'const', v: false }, res] }), true);
  assert.equal(truth({ t: 'or', args: [none, { t: 'const', v: false }] }), false);
  let calls = 0;
  const counted: Expr = { t: 'call', fn: () => (calls++, true) };
  assert.equal(truth({ t: 'and', args: [none, counted] }), false);
  assert.equal(calls, 0, 'and stops at the first false');
  assert.equal(truth({ t: 'or', args: [res, counted] }), true);
  assert.equal(calls, 0, 'or stops at the first true');
  assert.equal(truth({ t: 'and', args: [res, counted] }), true);
  assert.equal(calls, 1);
  assert.throws(() => toPredicate({ t: 'value', get: () => 1, test: () => true, inline: { op: '+' as '===', value: 1 } }), /not an operator/);
  assert.throws(() => toPredicate({ t: 'value', get: () => '', test: () => true, inline: { method: 'constructor' as 'includes', value: 1 } }), /not a string method/);
  assert.throws(() => toPredicate({ t: 'kind', kinds: ['file" || process.exit(1) || "' as 'file'] }), /not an event kind/);
});

test('a condition with 50,000 comparisons (a long exception list) compiles and runs', () => {
  const leaf = (n: number): Expr => ({ t: 'value', get: (e) => e.event.result, type: 'number', test: () => true, inline: { op: '===', value: n } });
  const pred = toPredicate({ t: 'or', args: Array.from({ length: 50_000 }, (_, i) => leaf(i)) });
  assert.equal(pred(file({ result: 49_999 }), tree), true);
  assert.equal(pred(file({ result: 50_000 }), tree), false);
});

test("a rule's text never becomes code: values that look like JavaScript are compared as strings", () => {
  const { env } = loadRules([{ path: 'r.yaml', text: '[]' }]);
  const nasty = '"); globalThis.pwned = 1; ("';
  for (const cond of [`file.path = '${nasty}'`, `file.path in ('${nasty}', b)`, `file.path startswith '${nasty}'`, `proc.name contains '${nasty}'`]) {
    const c = compileExpression(cond, env);
    assert.ok(!c.pred.toString().includes('pwned'), `${cond}: the value is bound, not written into the source`);
    assert.equal(c.pred(file({ path: '/etc/x' }), tree), false);
    assert.equal((globalThis as { pwned?: number }).pwned, undefined);
  }
  assert.equal(compileExpression(`file.path = '${nasty}'`, env).pred(file({ path: nasty }), tree), true);
});

/** The expression with every written-out comparison replaced by the closure it stands for. */
function closuresOnly(e: Expr): Expr {
  switch (e.t) {
    case 'and':
    case 'or':
      return { t: e.t, args: e.args.map(closuresOnly) };
    case 'not':
      return { t: 'not', arg: closuresOnly(e.arg) };
    case 'value':
      return { t: 'value', get: e.get, test: e.test };
    default:
      return e;
  }
}

/** Edge values the workload lacks: failed and odd results, empty and relative paths, root, containers. */
function edgeEvents(): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const path of ['', '/', 'rel/x', '/etc/shadow', '/etc/sudoers.d/x', '/root/.ssh/id_rsa', '/root/.ssh/id_rsa.pub', '/usr/bin/x', '/run/docker.sock', '/tmp/x'])
    for (const result of [-13, -1, -2, 0, 3]) for (const flags of [0, 1, 2, 0o1101]) out.push(file({ path, result, flags }));
  for (const dst_ip of ['169.254.169.254', '10.0.0.1', '::1', 'fd00:ec2::254', '']) out.push({ kind: 'net', event: { ...netEvent, dst_ip, result: -115 } });
  for (const comm of ['bash', 'nc', 'python3', 'runc', 'sudo'])
    out.push({ kind: 'process', event: { ...execEvent, args: [comm, '-e', '/dev/tcp/1.2.3.4/1'], process: { ...proc, comm, container_id: 'c'.repeat(64) } } });
  return out;
}

function differential(loaded: LoadedRules, what: string, minFired: number): void {
  const events = [...makeEvents(20_000), ...edgeEvents()];
  const ctx = createProcessTree({ maxProcesses: 65536 });
  const pairs: [string, Predicate, Predicate][] = loaded.rules.map((r) => {
    const part = compilePart(r.condition, loaded.env, r.conditionLoc);
    return [r.id, r.pred, toPredicate(closuresOnly(part.expr))];
  });
  const fired = new Map<string, number>();
  for (const ev of events) {
    ctx.observe(ev);
    for (const [id, generated, closures] of pairs) {
      const want = closures(ev, ctx);
      assert.equal(generated(ev, ctx), want, `${what}: rule ${id} on ${JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      if (want) fired.set(id, (fired.get(id) ?? 0) + 1);
    }
  }
  // The comparison means something only if rules both fire and stay silent.
  assert.ok(fired.size >= minFired, `${what}: rules that fired: ${[...fired.keys()].join(', ')}`);
}

test('written-out comparisons mean what their closures mean: every rule of the default pack', () => {
  differential(loadRules([readRuleFile(DEFAULT_RULES)]), 'default pack', 8);
});

test("written-out comparisons mean what their closures mean: every rule of Falco's stable file", (t) => {
  const f = falcoRules(t);
  if (!f) return;
  const loaded = loadRules([{ path: f, text: fs.readFileSync(f, 'utf8') }]);
  assert.ok(loaded.rules.length > 20, `${loaded.rules.length} rules loaded`);
  differential(loaded, 'Falco stable rules', 2);
});
