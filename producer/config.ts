/** The producer's typed configuration, built from CLI options by cli.ts and validated here. */
import { ConfigError } from '../common/errors';
import {
  brokersOption,
  logLevelOption,
  schemaRegistryOption,
  securityOption,
  subjectStrategyOption,
  topicPrefixOption,
  type SchemaRegistryFlags,
  type SecurityFlags,
} from '../common/cli-options';
import type { KafkaSecurity } from '../common/kafka';
import type { LogLevel } from '../common/logger';
import type { SchemaRegistryConfig } from '../schemas/registry-client';
import type { SubjectStrategy } from '../schemas/subjects';
import { checkProcRoot } from './enrich/host-view';
import { DEFAULT_MAX_QUEUED_BYTES } from './publish/publisher-api';
import { mergeFilters, parseRules, readFilterFile, type FilterSpec } from './filters';

export const COMPRESSIONS = ['None', 'GZIP', 'Snappy', 'LZ4', 'ZSTD'] as const;

export interface ProducerConfig {
  brokers: string[];
  topicPrefix: string;
  clientId: string;
  logLevel: LogLevel;
  hostId?: string;
  hostName?: string;
  /** Where the host's /proc is: /proc, or its mount point in a container (/host/proc). */
  procRoot: string;
  bpfObject: string;
  syscallHooks: 'auto' | 'raw' | 'tracepoint';
  ringBytes: number;
  drainIntervalMs: number;
  maxPerDrain: number;
  lingerMs: number;
  batchSize: number;
  maxQueued: number;
  /** Most bytes (encoded) in the memory queue. */
  maxQueuedBytes: number;
  acks: -1 | 0 | 1;
  compression: (typeof COMPRESSIONS)[number];
  statsIntervalMs: number;
  shutdownTimeoutMs: number;
  /** Filters from the flags (the file's rules are merged in by readFilters). */
  filter: FilterSpec;
  filterFile?: string;
  spoolDir: string;
  spoolMaxBytes: number;
  /** The longest a message waits in memory unacknowledged before it is written to the spool. */
  spoolAfterMs: number;
  /** undefined: no metrics endpoint. */
  metricsPort?: number;
  metricsHost: string;
  security: KafkaSecurity;
  /** --schema-registry: register the writer schemas and write the Confluent framing. */
  schemaRegistry?: SchemaRegistryConfig;
  subjectStrategy: SubjectStrategy;
}

export interface RawProducerOptions extends SecurityFlags, SchemaRegistryFlags {
  brokers: string;
  topicPrefix: string;
  clientId: string;
  logLevel: string;
  hostId?: string;
  hostName?: string;
  procRoot: string;
  bpfObject: string;
  syscallHooks: string;
  ringBufferMb: string;
  drainIntervalMs: string;
  lingerMs: string;
  batchSize: string;
  maxQueued: string;
  /** Optional so configs built before the option existed keep their meaning (the default). */
  maxQueuedMb?: string;
  acks: string;
  compression: string;
  statsInterval: string;
  shutdownTimeout: string;
  includePid: string[];
  excludePid: string[];
  includeUid: string[];
  excludeUid: string[];
  includeComm: string[];
  excludeComm: string[];
  includePath: string[];
  excludePath: string[];
  onlyFailed: boolean;
  onlySuccessful: boolean;
  filterFile?: string;
  spoolDir: string;
  spoolMaxMb: string;
  /** Optional so configs built before the option existed keep their meaning (the default). */
  spoolAfterMs?: string;
  metricsPort?: string;
  metricsHost: string;
  subjectStrategy?: string;
}

export function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** `env`: the SASL user and password from the environment, read by the CLI file. */
export function buildProducerConfig(o: RawProducerOptions, env: { username?: string; password?: string } = {}): ProducerConfig {
  const brokers = brokersOption(o.brokers);
  const topicPrefix = topicPrefixOption(o.topicPrefix);
  const logLevel = logLevelOption(o.logLevel);
  const ringMb = intOption('ring-buffer-mb', o.ringBufferMb, 1, 1024);
  if (ringMb & (ringMb - 1)) throw new ConfigError(`--ring-buffer-mb must be a power of two, got ${ringMb}`);
  const acks = intOption('acks', o.acks, -1, 1) as -1 | 0 | 1;
  const compression = COMPRESSIONS.find((c) => c.toLowerCase() === o.compression.toLowerCase());
  if (!compression) throw new ConfigError(`--compression must be none, gzip, snappy, lz4 or zstd, got "${o.compression}"`);
  if (o.hostId !== undefined && !/^[\x21-\x7e]{1,128}$/.test(o.hostId)) {
    throw new ConfigError('--host-id must be 1-128 printable ASCII characters without spaces');
  }
  if (o.hostName !== undefined && !/^[\x21-\x7e]{1,253}$/.test(o.hostName)) {
    throw new ConfigError('--host-name must be 1-253 printable ASCII characters without spaces');
  }
  if (!['auto', 'raw', 'tracepoint'].includes(o.syscallHooks)) {
    throw new ConfigError(`--syscall-hooks must be auto, raw or tracepoint, got "${o.syscallHooks}"`);
  }
  if (!/^[\x21-\x7e]{1,200}$/.test(o.clientId)) throw new ConfigError('--client-id must be 1-200 printable ASCII characters');
  if (o.onlyFailed && o.onlySuccessful) throw new ConfigError('--only-failed and --only-successful exclude each other');
  const filter: FilterSpec = {
    include: parseRules({ pid: o.includePid, uid: o.includeUid, comm: o.includeComm, path: o.includePath }, '--include'),
    exclude: parseRules({ pid: o.excludePid, uid: o.excludeUid, comm: o.excludeComm, path: o.excludePath }, '--exclude'),
    result: o.onlyFailed ? 'failed' : o.onlySuccessful ? 'successful' : 'all',
  };
  checkProcRoot(o.procRoot, process.pid);
  if (o.filterFile !== undefined) readFilterFile(o.filterFile); // fail at start, not at the first SIGHUP
  if (!o.spoolDir.startsWith('/')) throw new ConfigError(`--spool-dir must be an absolute path, got "${o.spoolDir}"`);
  if (!/^[0-9A-Za-z.:-]{1,255}$/.test(o.metricsHost)) throw new ConfigError(`--metrics-host "${o.metricsHost}" is not a host name or address`);
  return {
    security: securityOption(o, env),
    schemaRegistry: schemaRegistryOption(o),
    subjectStrategy: subjectStrategyOption(o.subjectStrategy ?? 'topic'),
    metricsPort: o.metricsPort === undefined ? undefined : intOption('metrics-port', o.metricsPort, 0, 65535),
    metricsHost: o.metricsHost,
    spoolDir: o.spoolDir,
    spoolMaxBytes: intOption('spool-max-mb', o.spoolMaxMb, 1, 1 << 20) * (1 << 20),
    spoolAfterMs: intOption('spool-after-ms', o.spoolAfterMs ?? '1000', 50, 60_000),
    filter,
    filterFile: o.filterFile,
    brokers,
    topicPrefix,
    clientId: o.clientId,
    logLevel,
    hostId: o.hostId,
    hostName: o.hostName,
    procRoot: o.procRoot,
    bpfObject: o.bpfObject,
    syscallHooks: o.syscallHooks as ProducerConfig['syscallHooks'],
    ringBytes: ringMb << 20,
    drainIntervalMs: intOption('drain-interval-ms', o.drainIntervalMs, 1, 1000),
    maxPerDrain: 20000,
    lingerMs: intOption('linger-ms', o.lingerMs, 0, 10000),
    batchSize: intOption('batch-size', o.batchSize, 1, 100000),
    maxQueued: intOption('max-queued', o.maxQueued, 1000, 10_000_000),
    maxQueuedBytes: intOption('max-queued-mb', o.maxQueuedMb ?? String(DEFAULT_MAX_QUEUED_BYTES >> 20), 1, 4096) * (1 << 20),
    acks,
    compression,
    statsIntervalMs: intOption('stats-interval', o.statsInterval, 1, 86400) * 1000,
    shutdownTimeoutMs: intOption('shutdown-timeout', o.shutdownTimeout, 1, 600) * 1000,
  };
}

/** The filters in force: the flags' rules plus the filter file's, read now (again on SIGHUP). */
export function readFilters(cfg: ProducerConfig): FilterSpec {
  return cfg.filterFile === undefined ? cfg.filter : mergeFilters(cfg.filter, readFilterFile(cfg.filterFile));
}
