/**
 * Rule engine benchmark, no Kafka: the fleet-shaped workload of the consumer benchmark
 * (workload.ts), decoded as a consumer gets it (avsc records), run through the engine with
 *   the default pack, Falco's stable rules alone, and both (what `detect falco_rules.yaml` runs).
 * Only the engine is timed, by the process's CPU time; best of three runs each, after a warm-up.
 * The default pack is also timed on freshly decoded events, as `detect` sees them (each chunk of
 * 10,000 decoded just before it is timed): the collector then copies what the rules keep.
 *   node dist/test/bench/rules.js [events=1000000] [falco_rules.yaml]
 * Falco's file: the argument, $EBPF_AUDIT_FALCO_RULES, or shared/reference/falco-rules/ beside the checkout.
 * Each line ends with a digest of the alerts (rule, event number, count, severity, message: what does
 * not depend on the run's clock), so builds can be checked to raise the same alerts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEngine, type Alert } from '../../consumer/rules/engine';
import { DEFAULT_RULES, loadRules, readRuleFile, type RuleFile } from '../../consumer/rules/loader';
import { createSchemaRegistry } from '../../schemas/registry';
import type { AuditEvent } from '../../schemas/types';
import { ROOT_DIR } from '../helpers/env';
import { makeEvents } from './workload';

const N = Number(process.argv[2] ?? 1_000_000);
const FALCO = [
  process.argv[3],
  process.env.EBPF_AUDIT_FALCO_RULES,
  ...[1, 2].map((up) => path.resolve(ROOT_DIR, ...Array<string>(up).fill('..'), 'shared/reference/falco-rules/falco_rules.yaml')),
].find((f) => f !== undefined && fs.existsSync(f));

/** The alerts' digest, independent of the workload's start time: events are told apart by ktime_ns (their number). */
function digestOf(alerts: readonly Alert[]): string {
  const h = createHash('sha256');
  for (const a of alerts) h.update(`${a.rule_id}\u0000${a.events[0]?.event.ktime_ns}\u0000${a.count}\u0000${a.severity}\u0000${a.message}\n`);
  return h.digest('hex').slice(0, 12);
}

function run(name: string, files: RuleFile[], events: AuditEvent[]): void {
  const { rules } = loadRules(files);
  const on = rules.filter((r) => r.enabled).length;
  let best = Infinity;
  let alerts: Alert[] = [];
  let processes = 0;
  for (let round = 0; round < 4; round++) {
    const engine = createEngine({ rules });
    const raised: Alert[] = [];
    // CPU time, not wall time: on a busy machine the wall clock also counts other processes' turns.
    const c0 = process.cpuUsage();
    for (const ev of events) {
      const a = engine.process(ev);
      if (a.length > 0) raised.push(...a);
    }
    const c = process.cpuUsage(c0);
    const ns = (c.user + c.system) * 1000;
    if (round > 0) best = Math.min(best, ns); // round 0 warms the JIT up
    alerts = raised;
    processes = engine.stats().processes;
  }
  const us = best / 1000 / events.length;
  console.log(
    `${name.padEnd(36)} ${String(on).padStart(2)} rules: ${us.toFixed(2)} µs CPU/event, ${(events.length / (best / 1e9) / 1000).toFixed(1)}k events per CPU second, ${alerts.length} alerts (digest ${digestOf(alerts)}), ${processes} processes tracked`,
  );
}

/** The engine on events decoded chunk by chunk just before they are timed; one run after a warm-up. */
function runFresh(name: string, files: RuleFile[], encoded: [AuditEvent['kind'], Buffer][]): void {
  const { rules } = loadRules(files);
  const registry = createSchemaRegistry();
  let ns = 0;
  let alerts: Alert[] = [];
  for (let round = 0; round < 2; round++) {
    const engine = createEngine({ rules });
    ns = 0;
    alerts = [];
    for (let i = 0; i < encoded.length; i += 10_000) {
      const chunk = encoded.slice(i, i + 10_000).map(([kind, buf]) => ({ kind, event: registry.decode(kind, buf) }) as AuditEvent);
      const c0 = process.cpuUsage();
      for (const ev of chunk) {
        const a = engine.process(ev);
        if (a.length > 0) alerts.push(...a);
      }
      const c = process.cpuUsage(c0);
      ns += (c.user + c.system) * 1000;
    }
  }
  const us = ns / 1000 / encoded.length;
  console.log(
    `${name.padEnd(36)}          ${us.toFixed(2)} µs CPU/event, ${(encoded.length / (ns / 1e9) / 1000).toFixed(1)}k events per CPU second, ${alerts.length} alerts (digest ${digestOf(alerts)})`,
  );
}

function main(): void {
  const registry = createSchemaRegistry();
  const encoded = makeEvents(N).map((ev): [AuditEvent['kind'], Buffer] => [ev.kind, Buffer.from(registry.encode(ev.kind, ev.event))]);
  const events = encoded.map(([kind, buf]) => ({ kind, event: registry.decode(kind, buf) }) as AuditEvent);
  console.log(`${N} events (16 hosts; 70% opens, 25% connects, 5% exec/exit)`);
  const pack = readRuleFile(DEFAULT_RULES);
  run('default pack', [pack], events);
  runFresh('default pack, freshly decoded events', [pack], encoded);
  if (!FALCO) {
    console.log("Falco's stable rules not found: give the path as the second argument");
    return;
  }
  const falco = readRuleFile(FALCO);
  run('Falco stable rules', [falco], events);
  run('default pack + Falco stable rules', [pack, falco], events);
}

main();
