/**
 * Opt-in Prometheus endpoint (--metrics-port): the same accounting as the stats log, read at
 * scrape time, plus a histogram of Kafka send latency. Binds to loopback unless told otherwise.
 */
import * as http from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../common/logger';
import { snapshot, type StatsSources } from './stats';

export interface MetricsServer {
  /** Record one Kafka request: its latency and how many messages it carried. */
  observeSend(ms: number): void;
  readonly port: number;
  close(): Promise<void>;
}

/** A counter mirroring a cumulative value read elsewhere: increments by the difference. */
function mirror(c: Counter<string>) {
  const last = new Map<string, number>();
  return (labels: Record<string, string>, value: number): void => {
    const key = JSON.stringify(labels);
    const d = value - (last.get(key) ?? 0);
    // inc by 0 the first time too: a series at 0 is shown, not absent.
    if (d > 0 || !last.has(key)) c.inc(labels, Math.max(d, 0));
    last.set(key, value);
  };
}

export async function startMetricsServer(opts: { port: number; host: string; sources: StatsSources; logger: Logger }): Promise<MetricsServer> {
  const registry = new Registry();
  const emitted = new Counter({
    name: 'ebpf_audit_events_captured_total',
    help: 'Records the kernel wrote to the ring buffer, per record type',
    labelNames: ['type'],
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'ebpf_audit_events_dropped_total',
    help: 'Events lost, per record type and reason (ring_full, stash_full) or stage (decode, encode, queue, rejected, spool_full)',
    labelNames: ['type', 'reason'],
    registers: [registry],
  });
  const filtered = new Counter({
    name: 'ebpf_audit_events_filtered_total',
    help: 'Events dropped on purpose by filter rules, per record type',
    labelNames: ['type'],
    registers: [registry],
  });
  const sent = new Counter({ name: 'ebpf_audit_messages_sent_total', help: 'Messages acknowledged by Kafka', registers: [registry] });
  const spooled = new Counter({ name: 'ebpf_audit_messages_spooled_total', help: 'Messages written to the disk spool', registers: [registry] });
  const queue = new Gauge({ name: 'ebpf_audit_queue_depth', help: 'Messages waiting in memory for Kafka', registers: [registry] });
  const spoolBytes = new Gauge({ name: 'ebpf_audit_spool_bytes', help: 'Bytes waiting in the disk spool', registers: [registry] });
  const latency = new Histogram({
    name: 'ebpf_audit_send_latency_seconds',
    help: 'Latency of one Kafka produce request',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const [mEmitted, mDropped, mFiltered, mSent, mSpooled] = [emitted, dropped, filtered, sent, spooled].map(mirror);

  const collect = (): void => {
    const s = snapshot(opts.sources);
    for (const [type, k] of Object.entries(s.kernel)) {
      mEmitted({ type }, k.emitted);
      mFiltered({ type }, k.filtered);
      mDropped({ type, reason: 'ring_full' }, k.ringFull);
      mDropped({ type, reason: 'stash_full' }, k.stashFull);
    }
    mDropped({ type: 'all', reason: 'decode' }, s.pipeline.decodeErrors);
    mDropped({ type: 'all', reason: 'encode' }, s.pipeline.encodeErrors);
    mDropped({ type: 'all', reason: 'queue' }, s.publisher.queueFull);
    mDropped({ type: 'all', reason: 'rejected' }, s.publisher.rejected);
    mDropped({ type: 'all', reason: 'spool_full' }, s.publisher.spoolDrops);
    mSent({}, s.publisher.sent);
    mSpooled({}, s.publisher.spooled);
    queue.set(s.publisher.queued);
    spoolBytes.set(s.publisher.spoolBytes);
  };

  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end('not found: GET /metrics\n');
      return;
    }
    collect();
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  opts.logger.info({ url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/metrics` }, 'metrics endpoint listening');
  return {
    observeSend: (ms) => latency.observe(ms / 1000),
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
