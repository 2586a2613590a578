/**
 * A writer's start with a schema registry: register the writer schema of every kind it writes
 * under its subject, and switch those kinds to the Confluent framing with the ids the registry
 * gave. Ids are then cached for the process's life, so a registry outage later does not stop
 * delivery. A registry that refuses a schema (incompatible with the subject's history under its
 * compatibility rule, invalid, or our credentials) is a configuration problem: ConfigError with
 * the registry's answer, exit 2. A registry that does not answer is waited for.
 */
import { ConfigError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { SchemaKind, SchemaRegistry } from './registry';
import type { RegistryClient } from './registry-client';
import { idCacheKey, type RegistryIdCache } from './registry-id-cache';
import { RegistryWaitAborted, whileRegistryAway } from './registry-wait';
import { subjectName, type SubjectStrategy } from './subjects';

export interface RegisterWritersOptions {
  client: RegistryClient;
  registry: SchemaRegistry;
  /** The kinds this process writes, each with its topic. */
  topics: Partial<Record<SchemaKind, string>>;
  strategy: SubjectStrategy;
  logger: Logger;
  /** Aborting ends a wait for an unreachable registry: registerWriters then resolves false. */
  signal?: AbortSignal;
  /**
   * Ids kept from an earlier run. When it holds every kind's id, those are used at once and the
   * registration runs in the background: a registry that is away at start does not delay capture.
   */
  cache?: RegistryIdCache;
}

/** The subject each kind's schema is registered under. */
export function writerSubjects(topics: Partial<Record<SchemaKind, string>>, registry: SchemaRegistry, strategy: SubjectStrategy): Partial<Record<SchemaKind, string>> {
  return Object.fromEntries((Object.entries(topics) as [SchemaKind, string][]).map(([kind, topic]) => [kind, subjectName(strategy, topic, registry.current(kind).type.name!)]));
}

/** True when every kind is registered and framed; false when `signal` aborted the wait first. */
export async function registerWriters(opts: RegisterWritersOptions): Promise<boolean> {
  const log = opts.logger.child({ component: 'schema-registry' });
  const subjects = Object.entries(writerSubjects(opts.topics, opts.registry, opts.strategy)) as [SchemaKind, string][];
  const key = (kind: SchemaKind, subject: string): string => idCacheKey(opts.client.url, subject, opts.registry.current(kind).id);
  const cached = subjects.map(([kind, subject]) => opts.cache?.get(key(kind, subject)));
  if (cached.every((id): id is number => id !== undefined)) {
    subjects.forEach(([kind], i) => opts.registry.useRegistryId(kind, cached[i]));
    log.info({ ids: Object.fromEntries(subjects.map(([kind], i) => [kind, cached[i]])) }, 'schema ids from the last run: framing at once, registering in the background');
    registerAll(opts, subjects, key, log).catch((err: unknown) => {
      if (!(err instanceof RegistryWaitAborted)) log.error({ err }, 'the schema registry refused a schema this producer writes with a cached id');
    });
    return true;
  }
  try {
    await registerAll(opts, subjects, key, log);
    return true;
  } catch (err) {
    if (err instanceof RegistryWaitAborted) return false;
    throw err;
  }
}

async function registerAll(opts: RegisterWritersOptions, subjects: [SchemaKind, string][], key: (kind: SchemaKind, subject: string) => string, log: Logger): Promise<void> {
  for (const [kind, subject] of subjects) {
    // The full schema (docs included) so that other readers of the registry see them.
    const schema = JSON.stringify(opts.registry.current(kind).type.schema({ exportAttrs: true }));
    let id: number;
    try {
      id = await whileRegistryAway(() => opts.client.register(subject, schema), {
        logger: log,
        what: `register subject ${subject} at ${opts.client.url}`,
        stopped: () => opts.signal?.aborted === true,
      });
    } catch (err) {
      if (err instanceof RegistryWaitAborted) throw err;
      throw new ConfigError(`schema registry refused the ${kind} schema (${opts.registry.current(kind).type.name}) under subject "${subject}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    opts.registry.useRegistryId(kind, id);
    opts.cache?.set(key(kind, subject), id);
    log.info({ kind, subject, id, url: opts.client.url }, 'writer schema registered; messages use the Confluent framing');
  }
}
