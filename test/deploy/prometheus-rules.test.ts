/**
 * deploy/prometheus: promtool accepts the alert rules and their unit tests pass (each alert fires
 * on the series that should raise it, and not on a healthy neighbour); every metric they read is
 * one the producer exports or one the README documents from an exporter.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ROOT_DIR } from '../helpers/env';
import { EXTERNAL_METRICS } from '../helpers/fleet-metrics';
import { FLEET_TOOLS_TIMEOUT_MS, fleetTool } from '../helpers/fleet-tools';
import { metricNames, producerMetricNames } from '../helpers/promql';

const DIR = path.join(ROOT_DIR, 'deploy/prometheus');
const RULES = path.join(DIR, 'ebpf-audit-alerts.yml');

test('promtool checks the alert rules and passes their unit tests', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const promtool = fleetTool(t, 'promtool');
  if (!promtool) return;
  const check = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 7 rules found/);
  const unit = spawnSync(promtool, ['test', 'rules', 'ebpf-audit-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout, /SUCCESS/);
});

test('the alert rules cover the four fleet conditions and read only metrics that exist', async () => {
  const rules = (parse(fs.readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
  assert.deepEqual(rules.map((r) => r.alert).sort(), [
    'EbpfAuditConsumerLag',
    'EbpfAuditDeliveryDrops',
    'EbpfAuditKernelDrops',
    'EbpfAuditProducerDown',
    'EbpfAuditProducerSilent',
    'EbpfAuditProducersAbsent',
    'EbpfAuditSpoolGrowing',
  ]);
  const exported = await producerMetricNames();
  for (const r of rules) {
    for (const name of metricNames(r.expr)) {
      assert.ok(exported.has(name) || name in EXTERNAL_METRICS, `${r.alert}: ${name} is neither exported by the producer nor a documented exporter metric`);
    }
  }
});
