/**
 * The flags `store --backend opensearch` and `search --backend opensearch` add, to typed options;
 * every bad value names its flag (exit 2).
 */
import type { Command } from 'commander';
import { ConfigError } from '../../../common/errors';
import { parseRetention } from '../retention';
import { addOpenSearchOptions, openSearchConnection, type OpenSearchConnection, type OpenSearchFlags } from './connection';
import { validateIndexPrefix } from './indices';

export const BACKENDS = ['sqlite', 'opensearch'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface OpenSearchStoreFlags extends OpenSearchFlags {
  backend: string;
  indexPrefix?: string;
  opensearchShards: string;
  opensearchReplicas?: string;
  bulkMb: string;
  bulkInFlight: string;
  retention?: string;
  maxSize?: string;
  statsInterval: string;
}

export interface OpenSearchStoreChoices {
  connection: OpenSearchConnection;
  indexPrefix: string;
  shards: number;
  replicas?: number;
  bulkBytes: number;
  bulkInFlight: number;
  retentionMs?: number;
  statsIntervalMs: number;
}

export function backendOption(v: string): Backend {
  if (!(BACKENDS as readonly string[]).includes(v)) throw new ConfigError(`--backend must be ${BACKENDS.join(' or ')}, got "${v}"`);
  return v as Backend;
}

/** --backend and the OpenSearch connection, for store and search. */
export function addBackendOptions(cmd: Command): Command {
  cmd.option('--backend <name>', 'where events are stored: sqlite (one host, --db) or opensearch (a fleet, --opensearch-url)', 'sqlite');
  addOpenSearchOptions(cmd);
  return cmd.option('--index-prefix <prefix>', 'OpenSearch indices are <prefix>-<kind>-YYYY.MM.DD (default: the topic prefix, lowercased)');
}

export function addOpenSearchStoreOptions(cmd: Command): Command {
  return cmd
    .option('--opensearch-shards <n>', 'primary shards per daily index', '1')
    .option('--opensearch-replicas <n>', "replicas per daily index (default: the cluster's)")
    .option('--bulk-mb <n>', 'OpenSearch bulk requests are sent at this size (MiB)', '5')
    .option('--bulk-in-flight <n>', 'bulk requests out at once; beyond, consumption waits', '2');
}

const whole = (flag: string, v: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new ConfigError(`${flag}: "${v}" is not a whole number from ${min} to ${max}`);
  return Number(v);
};

export function indexPrefixOption(v: string | undefined, topicPrefix: string): string {
  try {
    return validateIndexPrefix(v ?? topicPrefix.toLowerCase());
  } catch (err) {
    throw new ConfigError(`--index-prefix: ${(err as Error).message}`);
  }
}

export function openSearchStoreChoices(o: OpenSearchStoreFlags, topicPrefix: string): OpenSearchStoreChoices {
  if (o.maxSize !== undefined) throw new ConfigError('--max-size applies to the SQLite store; with --backend opensearch, size the cluster and use --retention');
  let retentionMs: number | undefined;
  if (o.retention !== undefined) {
    retentionMs = parseRetention(o.retention);
    if (!retentionMs) throw new ConfigError(`--retention: "${o.retention}" is not a duration such as 7d, 36h or 2w`);
  }
  return {
    connection: openSearchConnection(o),
    indexPrefix: indexPrefixOption(o.indexPrefix, topicPrefix),
    shards: whole('--opensearch-shards', o.opensearchShards, 1, 1024),
    replicas: o.opensearchReplicas === undefined ? undefined : whole('--opensearch-replicas', o.opensearchReplicas, 0, 16),
    bulkBytes: whole('--bulk-mb', o.bulkMb, 1, 100) * 1024 * 1024,
    bulkInFlight: whole('--bulk-in-flight', o.bulkInFlight, 1, 64),
    retentionMs,
    statsIntervalMs: whole('--stats-interval', o.statsInterval, 1, 86_400) * 1000,
  };
}
