/**
 * Rule engine benchmark, no Kafka: the fleet-shaped workload of the consumer benchmark
 * (workload.ts), decoded as a consumer gets it (avsc records), run through the engine with
 *   the default pack, Falco's stable rules alone, and both (what `detect falco_rules.yaml` runs).
 * Only the engine is timed; best of three runs each, after a warm-up.
 *   node dist/test/bench/rules.js [events=1000000] [falco_rules.yaml]
 * Falco's file: the argument, $EBPF_AUDIT_FALCO_RULES, or shared/reference/falco-rules/ beside the checkout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEngine } from '../../consumer/rules/engine';
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

function run(name: string, files: RuleFile[], events: AuditEvent[]): void {
  const { rules } = loadRules(files);
  const on = rules.filter((r) => r.enabled).length;
  let best = Infinity;
  let alerts = 0;
  let processes = 0;
  for (let round = 0; round < 4; round++) {
    const engine = createEngine({ rules });
    let n = 0;
    const t0 = process.hrtime.bigint();
    for (const ev of events) n += engine.process(ev).length;
    const ns = Number(process.hrtime.bigint() - t0);
    if (round > 0) best = Math.min(best, ns); // round 0 warms the JIT up
    alerts = n;
    processes = engine.stats().processes;
  }
  const us = best / 1000 / events.length;
  console.log(
    `${name.padEnd(36)} ${String(on).padStart(2)} rules: ${us.toFixed(2)} µs/event, ${(events.length / (best / 1e9) / 1000).toFixed(1)}k events/s, ${alerts} alerts, ${processes} processes tracked`,
  );
}

function main(): void {
  const registry = createSchemaRegistry();
  const events = makeEvents(N).map((ev) => ({ kind: ev.kind, event: registry.decode(ev.kind, registry.encode(ev.kind, ev.event)) }) as AuditEvent);
  console.log(`${N} events (16 hosts; 70% opens, 25% connects, 5% exec/exit)`);
  const pack = readRuleFile(DEFAULT_RULES);
  run('default pack', [pack], events);
  if (!FALCO) {
    console.log("Falco's stable rules not found: give the path as the second argument");
    return;
  }
  const falco = readRuleFile(FALCO);
  run('Falco stable rules', [falco], events);
  run('default pack + Falco stable rules', [pack, falco], events);
}

main();
