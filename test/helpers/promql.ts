/**
 * The metric names a PromQL expression reads, and the names the producer really exports (from
 * its metrics endpoint, started in-process with zeroed counters): so a dashboard panel or an
 * alert rule that names a metric nobody exports is caught.
 */
import * as http from 'node:http';
import pino from 'pino';
import { startMetricsServer } from '../../producer/metrics';
import type { StatsSources } from '../../producer/stats';

const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1'); // label lists
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:.$])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || FUNCTIONS_AND_KEYWORDS.has(m[1].toLowerCase())) continue; // a function call or a keyword
    names.add(m[1]);
  }
  return [...names];
}

/** Every sample name the producer's /metrics serves (histograms as _bucket, _sum, _count). */
export async function producerMetricNames(): Promise<Set<string>> {
  const zero = { emitted: 0, ringFull: 0, stashFull: 0, truncated: 0, filtered: 0 };
  const sources = {
    kernel: () => ({ file: zero, net: zero, process: zero }),
    pipeline: () => ({ decoded: 0, decodeErrors: 0, encodeErrors: 0 }),
    publisher: () => ({ sent: 0, rejected: 0, queued: 0, spooled: 0, spoolBytes: 0, spoolDrops: 0, queueFull: 0 }),
    processes: { size: 0, stats: () => ({ hits: 0, procLookups: 0, misses: 0 }) },
  } as unknown as StatsSources;
  const server = await startMetricsServer({ port: 0, host: '127.0.0.1', sources, logger: pino({ level: 'silent' }) });
  server.observeSend(3);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: server.port, path: '/metrics' }, (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (d: string) => (text += d))
            .on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    return new Set(
      body
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/[{ ]/)[0]),
    );
  } finally {
    await server.close();
  }
}
