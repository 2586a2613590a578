/**
 * OpenSearch store benchmark, side by side with SQLite in one run.
 *
 *   node dist/test/bench/opensearch.js [events=1000000]
 *
 * Preloads N fleet-shaped events (16 hosts, spread over the last 3 days) into a fresh topic set,
 * then stores them twice with `store --until-end`: into a SQLite directory and into the local
 * OpenSearch node (deploy/opensearch/local.sh; $EBPF_AUDIT_OPENSEARCH_URL), reporting each ingest
 * rate from the store's final log line. Then it times the SQLite benchmark's searches (a path
 * prefix on one host over one hour, --top proc.exepath over one day, --process) and a few more on both
 * stores through the search CLI (best of 3), and checks that both print the same output. The
 * node's CPU time per document comes from /proc ($EBPF_AUDIT_OPENSEARCH_HOME/opensearch.pid).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createOpenSearchClient } from '../../consumer/store/opensearch/connection';
import type { AuditEvent } from '../../schemas/types';
import { BROKERS, CONSUMER_CLI } from '../helpers/env';
import { OPENSEARCH_URL, deleteIndices } from '../helpers/opensearch';
import { createTopicSet, preload } from '../helpers/store-preload';
import { makeEvents } from './workload';

const N = Number(process.argv[2] ?? 1_000_000);
const NODE_PID = path.join(process.env.EBPF_AUDIT_OPENSEARCH_HOME ?? '/var/lib/ebpf-audit/opensearch', 'opensearch.pid');

/** CPU time (ms) the local node has used, from /proc: what indexing costs the node per document. */
function nodeCpuMs(): number | undefined {
  try {
    const f = fs
      .readFileSync(`/proc/${fs.readFileSync(NODE_PID, 'utf8').trim()}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;

function store(args: string[]): Promise<{ stored: number; elapsedMs: number; cpuMs: number; line: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONSUMER_CLI, 'store', ...args, '--brokers', BROKERS, '--until-end', '--log-level', 'info', '--stats-interval', '3600'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => {
      const line = err.split('\n').find((l) => l.includes('"msg":"store stopped"'));
      if (code !== 0 || !line) return reject(new Error(`store exited ${code}: ${err.slice(-2000)}`));
      const j = JSON.parse(line);
      resolve({ stored: j.store.stored ?? j.bulk?.indexed, elapsedMs: j.elapsedMs, cpuMs: j.cpuMs, line: j });
    });
  });
}

function timeCli(args: string[]): { ms: number; out: string } {
  let best = Infinity;
  let out = '';
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CONSUMER_CLI, 'search', ...args, '--log-level', 'warn'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`search ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    best = Math.min(best, ms);
    out = r.stdout;
  }
  return { ms: best, out };
}

async function main(): Promise<void> {
  const events: AuditEvent[] = makeEvents(N);
  const endMs = Date.now();
  const startMs = endMs - 3 * 86400_000;
  const step = (endMs - startMs) / N;
  events.forEach((ev, i) => (ev.event.time_ns = BigInt(Math.floor(startMs + i * step)) * 1_000_000n + BigInt(i % 1000)));
  const prefix = `bench-os-${Date.now().toString(36)}`;
  const t0 = Date.now();
  await createTopicSet(prefix);
  await preload(prefix, events, { batch: 10000 });
  console.log(`preloaded ${N} events (16 hosts, last 3 days) into ${prefix}.* in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-bench-os-'));
  const client = createOpenSearchClient({ nodes: [OPENSEARCH_URL] });
  try {
    const s = await store(['--db', dir, '--topic-prefix', prefix]);
    console.log(
      `ingest  sqlite:     ${s.stored} events in ${(s.elapsedMs / 1000).toFixed(1)} s: ${k(s.stored / (s.elapsedMs / 1000))} events/s (store CPU ${((s.cpuMs * 1e3) / s.stored).toFixed(2)} µs/event)`,
    );
    const cpu0 = nodeCpuMs();
    const o = await store(['--backend', 'opensearch', '--opensearch-url', OPENSEARCH_URL, '--topic-prefix', prefix]);
    const cpu1 = nodeCpuMs();
    const indexed = o.line.bulk.indexed as number;
    const node = cpu0 === undefined || cpu1 === undefined ? '' : `; node CPU ${(((cpu1 - cpu0) * 1e3) / indexed).toFixed(1)} µs/event`;
    console.log(
      `ingest  opensearch: ${indexed} events in ${(o.elapsedMs / 1000).toFixed(1)} s: ${k(indexed / (o.elapsedMs / 1000))} events/s (store CPU ${((o.cpuMs * 1e3) / indexed).toFixed(2)} µs/event${node}; ${o.line.bulk.requests} bulk requests)`,
    );
    await client.indices.refresh({ index: `${prefix}-*` });
    await client.indices.forcemerge({ index: `${prefix}-*`, max_num_segments: 1 } as never).catch(() => undefined);
    const stats = await client.indices.stats({ index: `${prefix}-*`, metric: 'store,docs' } as never);
    const all = (stats.body as unknown as { _all: { primaries: { store: { size_in_bytes: number }; docs: { count: number } } } })._all.primaries;
    console.log(
      `on disk opensearch: ${(all.store.size_in_bytes / 1048576).toFixed(1)} MiB, ${(all.store.size_in_bytes / all.docs.count).toFixed(1)} bytes/event (after force merge)`,
    );

    const day = new Date(startMs + 86400_000).toISOString().slice(0, 10);
    const hour = Date.parse(`${day}T12:00:00Z`);
    const iso = (ms: number): string => new Date(ms).toISOString();
    const queries: [string, string[]][] = [
      ['path prefix, one host, one hour', ['--since', iso(hour), '--until', iso(hour + 3600_000), '--host', 'web-3', '--where', 'file.path startswith /etc/', '--limit', '100000']],
      ['--top proc.exepath over one day', ['--since', `${day}T00:00:00Z`, '--until', `${day}T23:59:59.999Z`, '--top', 'proc.exepath']],
      ['--process web-3:1234', ['--process', 'web-3:1234', '--limit', '100']],
      ['--count, failed opens, all days', ['--count', '--where', 'evt.failed = true and evt.kind = file']],
      ['--top exe,dst_ip over one day', ['--since', `${day}T00:00:00Z`, '--until', `${day}T23:59:59.999Z`, '--top', 'proc.exepath,net.dst_ip']],
      ['--histogram 1h, CIDR, one day', ['--since', `${day}T00:00:00Z`, '--until', `${day}T23:59:59.999Z`, '--histogram', '1h', '--where', 'net.dst_ip in (10.1.0.0/16)']],
    ];
    console.log(`\n${'query'.padEnd(34)} ${'sqlite'.padStart(9)} ${'opensearch'.padStart(11)}  output`);
    for (const [name, args] of queries) {
      const a = timeCli(['--db', dir, ...args]);
      const b = timeCli(['--backend', 'opensearch', '--opensearch-url', OPENSEARCH_URL, '--index-prefix', prefix, ...args]);
      const lines = a.out.split('\n').filter(Boolean).length;
      console.log(`${name.padEnd(34)} ${`${a.ms.toFixed(0)} ms`.padStart(9)} ${`${b.ms.toFixed(0)} ms`.padStart(11)}  ${a.out === b.out ? 'same' : 'DIFFERENT'} (${lines} lines)`);
      if (a.out !== b.out) throw new Error(`${name}: the backends printed different output`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await deleteIndices(client, prefix);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
