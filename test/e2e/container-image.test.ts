/**
 * deploy/container/Containerfile. No container engine runs here, so the image is not built; what
 * it is made of is tested instead. Every file it copies exists. Its runtime stage (the Debian
 * package on Debian 12, plus the entrypoint) is reproduced in a Debian 12 container started with
 * systemd-nspawn from the cached debootstrap tree: the entrypoint runs each command there, with
 * the configuration the Helm chart renders. The producer there also shows why the chart runs it
 * with hostPID: with the host's /proc mounted in a container of its own PID namespace,
 * --proc-root refuses to start.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { CONSUMER_CLI, needsRoot, ROOT_DIR } from '../helpers/env';
import { FLEET_TOOLS_TIMEOUT_MS, fleetTool } from '../helpers/fleet-tools';
import { startContainer } from '../helpers/nspawn';

const CONTAINERFILE = path.join(ROOT_DIR, 'deploy/container/Containerfile');
const ENTRYPOINT = '/usr/lib/ebpf-audit/entrypoint.sh';

test('every file the Containerfile copies, and every script it runs, is in the repository', () => {
  const lines = fs.readFileSync(CONTAINERFILE, 'utf8').split('\n');
  const copies = lines.filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l));
  assert.ok(copies.length >= 8);
  for (const l of copies) {
    const args = l.trim().split(/\s+/).slice(1, -1);
    for (const src of args) assert.ok(fs.existsSync(path.join(ROOT_DIR, src)), `${l}: ${src} is missing`);
  }
  for (const script of lines.join('\n').matchAll(/(?:RUN|&&)\s+((?:deploy|test)\/[\w/.-]+\.sh)/g)) {
    fs.accessSync(path.join(ROOT_DIR, script[1]), fs.constants.X_OK);
  }
  const entry = lines.find((l) => l.startsWith('ENTRYPOINT'));
  assert.equal(entry, `ENTRYPOINT ["${ENTRYPOINT}"]`);
  assert.ok(lines.some((l) => l === `COPY deploy/container/entrypoint.sh ${ENTRYPOINT}`));
  fs.accessSync(path.join(ROOT_DIR, 'deploy/container/entrypoint.sh'), fs.constants.X_OK);
});

test("the image's runtime stage runs every command through the entrypoint with the chart's configuration", { timeout: FLEET_TOOLS_TIMEOUT_MS }, async (t) => {
  if (needsRoot(t)) return;
  const helm = fleetTool(t, 'helm');
  if (!helm) return;
  const values = {
    kafka: { brokers: ['127.0.0.1:9092'] },
    producer: { filters: { exclude: { comm: ['chronyd'] } } },
    detect: {
      rules: {
        'local.yaml':
          '- rule: image-test-rule\n  description: a rule from the chart\n  severity: low\n  condition: file.path = /etc/image-test\n  output: "image test %proc.name"\n',
      },
    },
  };
  const valuesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-image-')), 'values.json');
  fs.writeFileSync(valuesFile, JSON.stringify(values));
  const rendered = execFileSync(helm, ['template', 'audit', path.join(ROOT_DIR, 'deploy/helm/ebpf-audit'), '--kube-version', '1.28.0', '-f', valuesFile], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const objs = parseAllDocuments(rendered)
    .map((d) => d.toJS())
    .filter(Boolean);
  const config = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'audit-ebpf-audit-config').data as Record<string, string>;
  const rules = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'audit-ebpf-audit-rules').data as Record<string, string>;
  const producerArgs: string[] = objs.find((o) => o.kind === 'DaemonSet').spec.template.spec.containers[0].args;

  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-image-deb-'));
  const deb = execFileSync(path.join(ROOT_DIR, 'deploy/debian/build.sh'), ['--out', out, '--uncompressed'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300000,
  }).trim();
  // As the pod mounts it: the host's /proc at /host/proc.
  const c = await startContainer('image', { boot: false, bindsRo: ['/proc:/host/proc'] });
  t.after(() => c.stop());
  fs.copyFileSync(deb, path.join(c.root, 'var/tmp/ebpf-audit.deb'));
  c.ok('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /var/tmp/ebpf-audit.deb >/dev/null', 300000);
  fs.copyFileSync(path.join(ROOT_DIR, 'deploy/container/entrypoint.sh'), path.join(c.root, ENTRYPOINT.slice(1)));
  fs.chmodSync(path.join(c.root, ENTRYPOINT.slice(1)), 0o755);
  // The pod's projected /etc/ebpf-audit: the chart's files in place of the package's defaults.
  const etc = path.join(c.root, 'etc/ebpf-audit');
  fs.rmSync(etc, { recursive: true });
  fs.mkdirSync(path.join(etc, 'rules.d'), { recursive: true });
  for (const [name, text] of Object.entries(config)) fs.writeFileSync(path.join(etc, name), text);
  for (const [name, text] of Object.entries(rules)) fs.writeFileSync(path.join(etc, 'rules.d', name), text);

  const usage = c.sh(ENTRYPOINT);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage: producer\|consumer\|topics/);
  assert.equal(c.sh(`${ENTRYPOINT} shell`).status, 2);
  assert.match(c.ok(`${ENTRYPOINT} topics --help`), /create/);

  const check = c.sh(`${ENTRYPOINT} consumer detect --check`);
  assert.equal(check.status, 0, check.stderr);
  // The default pack's rules and the chart's one.
  const defaults = Number(/ok: (\d+) rules/.exec(spawnSync(process.execPath, [CONSUMER_CLI, 'detect', '--check'], { encoding: 'utf8' }).stdout)![1]);
  assert.match(check.stdout, new RegExp(`ok: ${defaults + 1} rules`));
  const detectConfig = c.ok(`${ENTRYPOINT} consumer detect --print-config`);
  assert.match(detectConfig, /^rule-files: \[ \/etc\/ebpf-audit\/rules\.d\/local\.yaml \] +# file \/etc\/ebpf-audit\/detect\.yaml/m);

  // Kubernetes expands $(NODE_NAME) from the downward API.
  const args = producerArgs.map((a) => `'${a.replace('$(NODE_NAME)', 'node-7')}'`).join(' ');
  assert.equal(producerArgs[0], 'producer');
  const printed = c.ok(`${ENTRYPOINT} ${args} --print-config`);
  assert.match(printed, /^proc-root: \/host\/proc +# flag/m);
  assert.match(printed, /^host-name: node-7 +# flag/m);
  assert.match(printed, /^filter-file: \/etc\/ebpf-audit\/filters\.json +# file \/etc\/ebpf-audit\/producer\.yaml/m);
  assert.deepEqual(parse(fs.readFileSync(path.join(etc, 'filters.json'), 'utf8')), values.producer.filters);
  // This container has a PID namespace of its own, as a pod without hostPID would.
  const run = c.sh(`${ENTRYPOINT} ${args}`, 60000);
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /--proc-root \/host\/proc belongs to another PID namespace.*hostPID: true/);
});
