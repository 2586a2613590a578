/**
 * deploy/helm/ebpf-audit: the chart lints, renders with its defaults and with every option on,
 * and every rendered object is valid against the Kubernetes schemas (and the Prometheus
 * Operator's CRDs) of the oldest and newest Kubernetes it supports, offline, with kubeconform.
 * Then what the chart promises: the producer with the host's PID namespace, four capabilities
 * and no privilege, the host mounts --proc-root reads; unprivileged consumers; credentials only
 * in Secrets.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { CONSUMER_CLI, PRODUCER_CLI, ROOT_DIR } from '../helpers/env';
import { FLEET_TOOLS_TIMEOUT_MS, fleetTool } from '../helpers/fleet-tools';

const CHART = path.join(ROOT_DIR, 'deploy/helm/ebpf-audit');
/** The systemd unit's capabilities (README, "Least privilege"), as Kubernetes names them. */
const PRODUCER_CAPS = /^AmbientCapabilities=(.*)$/m
  .exec(fs.readFileSync(path.join(ROOT_DIR, 'deploy/systemd/ebpf-audit-producer.service'), 'utf8'))![1]
  .split(' ')
  .map((c) => c.replace(/^CAP_/, ''));
const PASSWORD = 'pw-that-must-stay-in-a-secret';

const ALL_ON = {
  kafka: {
    brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'],
    tls: { enabled: true, ca: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n', cert: 'CERT', key: 'KEY' },
    sasl: { mechanism: 'scram-sha-512', username: 'audit', password: PASSWORD },
  },
  producer: { filters: { exclude: { comm: ['chronyd'] } } },
  metrics: { podMonitor: { enabled: true }, prometheusRule: { enabled: true } },
  detect: { replicas: 3, rules: { 'local.yaml': '- rule: local-shadow\n  condition: file.path = /etc/shadow\n' } },
  store: { enabled: true },
  web: { enabled: true },
};

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, string>;
}

interface Tools {
  helm: string;
  kubeconform: string;
  schemas: string;
  /** The Kubernetes versions the schemas are for. */
  versions: string[];
}

function tools(t: TestContext): Tools | undefined {
  const helm = fleetTool(t, 'helm');
  const kubeconform = helm === undefined ? undefined : fleetTool(t, 'kubeconform');
  const schemas = kubeconform === undefined ? undefined : fleetTool(t, 'schemas');
  const versions = schemas === undefined ? undefined : fleetTool(t, 'versions');
  return versions === undefined ? undefined : { helm: helm!, kubeconform: kubeconform!, schemas: schemas!, versions: versions.split(' ') };
}

function render(helm: string, values: object, kubeVersion: string): { status: number | null; yaml: string; stderr: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-helm-')), 'values.yaml');
  fs.writeFileSync(file, JSON.stringify(values));
  const r = spawnSync(helm, ['template', 'audit', CHART, '--namespace', 'security', '--kube-version', kubeVersion, '-f', file], { encoding: 'utf8' });
  return { status: r.status, yaml: r.stdout, stderr: r.stderr };
}

const objects = (yaml: string): K8sObject[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
const find = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} rendered`);
  return o;
};

test('the chart lints and every rendered object is valid against the Kubernetes schemas', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const tl = tools(t);
  if (!tl) return;
  for (const values of [{}, ALL_ON]) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ea-helm-')), 'values.yaml');
    fs.writeFileSync(file, JSON.stringify(values));
    const lint: SpawnSyncReturns<string> = spawnSync(tl.helm, ['lint', '--strict', CHART, '-f', file], { encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    for (const version of tl.versions) {
      const r = render(tl.helm, values, version);
      assert.equal(r.status, 0, r.stderr);
      const count = objects(r.yaml).length;
      const location = path.join(tl.schemas, '{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json');
      const kc: SpawnSyncReturns<string> = spawnSync(tl.kubeconform, ['-strict', '-summary', '-kubernetes-version', version, '-schema-location', location, '-'], {
        input: r.yaml,
        encoding: 'utf8',
      });
      assert.equal(kc.status, 0, `Kubernetes ${version}: ${kc.stdout}${kc.stderr}`);
      assert.match(kc.stdout, new RegExp(`${count} resources found.*Valid: ${count}, Invalid: 0, Errors: 0, Skipped: 0`), `Kubernetes ${version}: every object checked`);
    }
  }
});

test('kubeconform in this setup rejects what the API server would', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const tl = tools(t);
  if (!tl) return;
  const r = render(tl.helm, ALL_ON, tl.versions[0]);
  const location = path.join(tl.schemas, '{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json');
  for (const [from, to, where] of [
    ['hostPID: true', 'hostPID: true\n      hostPid: true', 'DaemonSet'],
    ['containerPort: 9464', 'containerPort: "nine"', 'DaemonSet'],
    ['port: metrics\n', 'port: metrics\n      scrapeEvery: 30s\n', 'PodMonitor'],
  ]) {
    assert.ok(r.yaml.includes(from), from);
    const kc: SpawnSyncReturns<string> = spawnSync(tl.kubeconform, ['-strict', '-kubernetes-version', tl.versions[0], '-schema-location', location, '-'], {
      input: r.yaml.replace(from, to),
      encoding: 'utf8',
    });
    assert.equal(kc.status, 1, `${to}: must be invalid`);
    assert.match(kc.stdout, new RegExp(`${where} .* is invalid`));
  }
});

test('the producer: host PID namespace, the four capabilities instead of privileged, the host mounts', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const helm = fleetTool(t, 'helm');
  if (!helm) return;
  const objs = objects(render(helm, {}, '1.28.0').yaml);
  const pod = find(objs, 'DaemonSet', 'audit-ebpf-audit-producer').spec.template.spec;
  assert.equal(pod.hostPID, true);
  assert.equal(pod.hostNetwork, undefined);
  assert.equal(pod.automountServiceAccountToken, false);
  const [c] = pod.containers;
  assert.equal(c.securityContext.privileged, false);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: PRODUCER_CAPS });
  assert.deepEqual(c.args.slice(0, 4), ['producer', '--proc-root=/host/proc', '--spool-dir=/var/lib/ebpf-audit/spool', '--host-name=$(NODE_NAME)']);
  assert.deepEqual(c.env, [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
  const hostPathAt = (mountPath: string): string => {
    const m = c.volumeMounts.find((v: { mountPath: string }) => v.mountPath === mountPath);
    assert.ok(m, `${mountPath} mounted`);
    return pod.volumes.find((v: { name: string }) => v.name === m.name).hostPath?.path;
  };
  assert.equal(hostPathAt('/host/proc'), '/proc');
  assert.equal(hostPathAt('/sys/kernel/btf'), '/sys/kernel/btf');
  assert.equal(hostPathAt('/sys/kernel/tracing'), '/sys/kernel/tracing');
  assert.equal(hostPathAt('/sys/fs/cgroup'), '/sys/fs/cgroup');
  assert.equal(hostPathAt('/var/lib/ebpf-audit/spool'), '/var/lib/ebpf-audit/spool');
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
  // The runtime's AppArmor profile would hide host processes' /proc/PID/exe: the annotation
  // before Kubernetes 1.30, the field from then on.
  const ds = find(objs, 'DaemonSet', 'audit-ebpf-audit-producer').spec.template;
  assert.equal(ds.metadata.annotations['container.apparmor.security.beta.kubernetes.io/producer'], 'unconfined');
  const newer = find(objects(render(helm, {}, '1.37.0').yaml), 'DaemonSet', 'audit-ebpf-audit-producer').spec.template;
  assert.deepEqual(newer.spec.containers[0].securityContext.appArmorProfile, { type: 'Unconfined' });
  assert.equal(newer.metadata.annotations['container.apparmor.security.beta.kubernetes.io/producer'], undefined);
  // Only detect is on by default; store and web are opt-in.
  assert.deepEqual(
    objs.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name),
    ['audit-ebpf-audit-detect'],
  );
  assert.ok(!objs.some((o) => o.kind === 'PodMonitor' || o.kind === 'Secret'));
});

test('every option on: unprivileged consumers, credentials only in Secrets, the PodMonitor and the rules', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const helm = fleetTool(t, 'helm');
  if (!helm) return;
  const r = render(helm, ALL_ON, '1.28.0');
  const objs = objects(r.yaml);
  for (const name of ['detect', 'store', 'web']) {
    const spec = find(objs, 'Deployment', `audit-ebpf-audit-${name}`).spec;
    const pod = spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true, name);
    assert.equal(pod.automountServiceAccountToken, false, name);
    assert.equal(pod.hostPID, undefined, name);
    const [c] = pod.containers;
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] }, name);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false, name);
    assert.deepEqual(c.args.slice(0, 2), ['consumer', name]);
  }
  assert.equal(find(objs, 'Deployment', 'audit-ebpf-audit-detect').spec.replicas, 3);
  assert.equal(find(objs, 'Deployment', 'audit-ebpf-audit-store').spec.strategy.type, 'Recreate', 'one writer on the store');
  find(objs, 'PersistentVolumeClaim', 'audit-ebpf-audit-store');
  assert.equal(find(objs, 'Service', 'audit-ebpf-audit-web').spec.ports[0].targetPort, 'http');

  // The password is in a Secret, mounted as a file the config names; never in a ConfigMap.
  const config = find(objs, 'ConfigMap', 'audit-ebpf-audit-config').data!;
  assert.ok(
    !r.yaml
      .split('\n---')
      .filter((d) => !/\nkind: Secret\n/.test(d))
      .some((d) => d.includes(PASSWORD)),
  );
  const sasl = find(objs, 'Secret', 'audit-ebpf-audit-kafka-sasl');
  assert.equal(Buffer.from(sasl.data!.password, 'base64').toString(), PASSWORD);
  for (const cmd of ['producer', 'detect', 'store', 'web']) {
    const file = parse(config[`${cmd}.yaml`]);
    assert.equal(file.brokers, 'kafka-0.kafka:9093,kafka-1.kafka:9093', cmd);
    assert.equal(file['sasl-password-file'], '/etc/ebpf-audit/kafka/password', cmd);
    assert.equal(file['tls-ca'], '/etc/ebpf-audit/kafka/ca.crt', cmd);
  }
  assert.deepEqual(parse(config['detect.yaml'])['rule-files'], ['/etc/ebpf-audit/rules.d/local.yaml']);
  assert.equal(parse(config['producer.yaml'])['filter-file'], '/etc/ebpf-audit/filters.json');
  assert.deepEqual(JSON.parse(config['filters.json']), ALL_ON.producer.filters);
  const projected = find(objs, 'Deployment', 'audit-ebpf-audit-detect').spec.template.spec.volumes.find((v: { name: string }) => v.name === 'etc').projected;
  const paths = projected.sources.flatMap((s: any) => (s.configMap ?? s.secret).items.map((i: { path: string }) => i.path)).sort();
  assert.deepEqual(paths, ['detect.yaml', 'kafka/ca.crt', 'kafka/password', 'kafka/tls.crt', 'kafka/tls.key', 'rules.d/local.yaml']);

  // The PodMonitor scrapes the producer's metrics port under the job the alerts select.
  const pm = find(objs, 'PodMonitor', 'audit-ebpf-audit-producer').spec;
  const ds = find(objs, 'DaemonSet', 'audit-ebpf-audit-producer').spec;
  assert.deepEqual(pm.selector.matchLabels, ds.selector.matchLabels);
  assert.equal(pm.podMetricsEndpoints[0].port, ds.template.spec.containers[0].ports[0].name);
  assert.ok(pm.podMetricsEndpoints[0].relabelings.some((l: { targetLabel: string; replacement?: string }) => l.targetLabel === 'job' && l.replacement === 'ebpf-audit-producer'));
  const alerts = parse(fs.readFileSync(path.join(ROOT_DIR, 'deploy/prometheus/ebpf-audit-alerts.yml'), 'utf8'));
  assert.deepEqual(find(objs, 'PrometheusRule', 'audit-ebpf-audit').spec.groups, alerts.groups);
});

test('bad values name the problem', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const helm = fleetTool(t, 'helm');
  if (!helm) return;
  for (const [values, message] of [
    [{ kafka: { sasl: { mechanism: 'scram-sha-512', username: 'u' } } }, /give kafka.sasl.existingSecret or kafka.sasl.password/],
    [{ kafka: { sasl: { mechanism: 'gssapi', password: 'x' } } }, /at '\/kafka\/sasl\/mechanism'/],
    // values.schema.json: a misspelt key is an error, not a silently ignored setting.
    [{ producer: { capabilites: ['BPF'] } }, /at '\/producer': additional properties 'capabilites' not allowed/],
    [{ kafka: { brokers: ['kafka'] } }, /at '\/kafka\/brokers\/0': 'kafka' does not match pattern/],
    [{ detect: { rules: { '../escape': 'x' } } }, /detect.rules: "..\/escape" is not a file name ending in .yaml/],
  ] as [object, RegExp][]) {
    const r = render(helm, values, '1.28.0');
    assert.equal(r.status, 1, JSON.stringify(values));
    assert.match(r.stderr, message);
  }
});

test('the config files the chart writes are ones the commands accept', { timeout: FLEET_TOOLS_TIMEOUT_MS }, (t) => {
  const helm = fleetTool(t, 'helm');
  if (!helm) return;
  const config = find(objects(render(helm, ALL_ON, '1.28.0').yaml), 'ConfigMap', 'audit-ebpf-audit-config').data!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-helm-config-'));
  // store and web are checked once the consumer has those commands.
  const help = spawnSync(process.execPath, [CONSUMER_CLI, '--help'], { encoding: 'utf8' }).stdout;
  const consumers = ['detect', 'store', 'web'].filter((c) => new RegExp(`^  ${c} `, 'm').test(help));
  assert.ok(consumers.includes('detect'));
  for (const cmd of ['producer', ...consumers]) {
    const file = path.join(dir, `${cmd}.yaml`);
    fs.writeFileSync(file, config[`${cmd}.yaml`]);
    const argv = cmd === 'producer' ? [PRODUCER_CLI] : [CONSUMER_CLI, cmd];
    // Without EBPF_AUDIT_* from the test's own environment (EBPF_AUDIT_BROKERS would win over the file).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EBPF_AUDIT_')));
    const r = spawnSync(process.execPath, [...argv, '--config', file, '--print-config'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    for (const key of Object.keys(parse(config[`${cmd}.yaml`]))) {
      assert.match(r.stdout, new RegExp(`^${key}: .*# file ${file}:`, 'm'), `${cmd}: ${key} is read from the file`);
    }
  }
});
