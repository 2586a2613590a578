/**
 * helm, kubeconform, promtool and the Kubernetes schemas, from deploy/fleet-tools.sh (built once
 * from package registries, then cached outside the repository). A first run compiles the three
 * tools with Go: minutes, hence the long timeout; a missing Go skips, or fails under CI=true.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { missing, ROOT_DIR } from './env';

export const FLEET_TOOLS = path.join(ROOT_DIR, 'deploy/fleet-tools.sh');
/** Budget for a first, uncached build of the tools (later runs print paths at once). */
export const FLEET_TOOLS_TIMEOUT_MS = 30 * 60_000;

/** The tool's path, or undefined when the test must stop (skipped; thrown under CI). */
export function fleetTool(t: TestContext, name: 'helm' | 'kubeconform' | 'promtool' | 'schemas' | 'versions'): string | undefined {
  const r = spawnSync(FLEET_TOOLS, [name], { encoding: 'utf8', timeout: FLEET_TOOLS_TIMEOUT_MS, maxBuffer: 64 << 20 });
  if (r.status === 0) return r.stdout.trim();
  missing(t, `deploy/fleet-tools.sh ${name} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return undefined;
}
