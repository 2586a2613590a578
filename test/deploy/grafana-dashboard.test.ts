/**
 * deploy/grafana/ebpf-audit-fleet.json: a dashboard Grafana can import. Every panel queries a
 * metric the producer really exports (or one the README documents from an exporter), every
 * expression is valid PromQL (promtool parses it), every variable it uses is defined.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { ROOT_DIR } from '../helpers/env';
import { EXTERNAL_METRICS } from '../helpers/fleet-metrics';
import { FLEET_TOOLS_TIMEOUT_MS, fleetTool } from '../helpers/fleet-tools';
import { metricNames, producerMetricNames } from '../helpers/promql';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'deploy/grafana/ebpf-audit-fleet.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** Grafana's own variables, replaced at query time. */
const BUILTIN = new Set(['__rate_interval', '__interval', '__range']);

test('the dashboard is well formed: unique ids, on the 24-column grid, a query in every panel', () => {
  assert.equal(dashboard.uid, 'ebpf-audit-fleet');
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
  for (const p of panels) {
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: inside the grid`);
    if (p.type === 'row') continue;
    assert.ok(p.targets && p.targets.length > 0, `${p.title}: has a query`);
    assert.equal(p.datasource?.uid, '${datasource}', `${p.title}: uses the data source variable`);
  }
  assert.ok(queries.length >= 10);
});

test('every panel reads a metric the producer exports or a documented exporter metric', async () => {
  const exported = await producerMetricNames();
  const seen = new Set<string>();
  for (const q of queries) {
    const names = metricNames(q.expr);
    assert.ok(names.length > 0, `${q.panel}: names no metric: ${q.expr}`);
    for (const n of names) {
      seen.add(n);
      assert.ok(exported.has(n) || n in EXTERNAL_METRICS, `${q.panel}: ${n} is neither exported by the producer nor a documented exporter metric`);
    }
  }
  // Every producer metric family is on the dashboard somewhere.
  for (const family of ['captured', 'dropped', 'filtered', 'sent', 'spooled', 'queue_depth', 'spool_bytes', 'send_latency']) {
    assert.ok(
      [...seen].some((n) => n.includes(family)),
      `no panel shows the ${family} metric`,
    );
  }
  const readme = fs.readFileSync(path.join(ROOT_DIR, 'README.md'), 'utf8');
  for (const n of Object.keys(EXTERNAL_METRICS)) if (n !== 'up') assert.ok(readme.includes(n), `README documents ${n}`);
});

test('every expression parses as PromQL and its variables are defined', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const defined = new Set(dashboard.templating.list.map((v) => v.name));
  for (const q of queries) {
    for (const m of q.expr.matchAll(/\$\{?(\w+)/g)) assert.ok(defined.has(m[1]) || BUILTIN.has(m[1]), `${q.panel}: $${m[1]} is not defined`);
  }
  const promtool = fleetTool(t, 'promtool');
  if (!promtool) return;
  // promtool parses expressions in rule files: each query becomes a recording rule, with the
  // variables replaced as Grafana would.
  const values: Record<string, string> = { instance: '.*', prefix: 'ebpf-audit', __rate_interval: '1m' };
  const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr.replace(/\$\{?(\w+)\}?/g, (_, v: string) => values[v]) }));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-dash-')), 'queries.yml');
  fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
  const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});
