/**
 * The producer's side of --schema-registry: at start, register the writer schema of every kind it
 * writes (file, net, process, stats) under its subject and frame their messages with the ids. The
 * ids stay cached for the process's life, and on disk beside the spool for the next start: a
 * registry outage, later or at the next start, does not stop capture or delivery.
 */
import * as path from 'node:path';
import type { Logger } from '../common/logger';
import { statsTopic, topicFor } from '../common/topics';
import type { SchemaKind, SchemaRegistry } from '../schemas/registry';
import { EVENT_KINDS } from '../schemas/types';
import type { ProducerConfig } from './config';

/**
 * Without --schema-registry, nothing to do (true). With it: true once registered; false when `stop`
 * aborted while the registry was away. Throws ConfigError (exit 2) when the registry refuses a
 * schema, with its answer.
 */
export async function useSchemaRegistry(cfg: ProducerConfig, registry: SchemaRegistry, logger: Logger, stop: AbortSignal): Promise<boolean> {
  if (!cfg.schemaRegistry) return true;
  const topics: Partial<Record<SchemaKind, string>> = {};
  for (const k of EVENT_KINDS) topics[k] = topicFor(cfg.topicPrefix, k);
  topics.stats = statsTopic(cfg.topicPrefix);
  // The registry client (node:http/https) and its cache are loaded only with --schema-registry:
  // a few MiB of RSS on every host that does not use one.
  const [{ fileIdCache }, { registerWriters }, { createRegistryClient }] = await Promise.all([
    import('../schemas/registry-id-cache'),
    import('../schemas/register-writers'),
    import('../schemas/registry-client'),
  ]);
  const client = createRegistryClient(cfg.schemaRegistry);
  // Ids kept beside the spool: a restart while the registry is away still captures at once.
  const cache = fileIdCache(path.join(cfg.spoolDir, 'schema-registry-ids.json'), logger);
  return registerWriters({ client, registry, topics, strategy: cfg.subjectStrategy, logger, signal: stop, cache });
}
