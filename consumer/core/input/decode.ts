/**
 * Message values to records, in either framing: single-object (C3 01 + fingerprint) or Confluent
 * (00 + schema-registry id). Decoding is synchronous on the hot path, known writer schemas (an
 * await per message costs a microtask turn); only a message whose writer schema is unknown takes
 * the slow path: a fingerprint reloads the schemas topic (at most every 5 s) in case a newer
 * producer published its schema; a registry id is fetched from the schema registry, once, and
 * cached. A registry that does not answer is waited for (the partition waits, nothing is skipped);
 * only the registry's "no such id" makes the message malformed.
 */
import type { Kafka } from 'kafkajs';
import { retrying } from '../../../common/admin';
import { ConfigError, DecodeError } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import { schemasTopic } from '../../../common/topics';
import { loadSchemas } from '../../../schemas/publication';
import { parseSchema, UnknownRegistryIdError, UnknownSchemaError, type SchemaKind, type SchemaRegistry } from '../../../schemas/registry';
import { RegistryError, type RegistryClient } from '../../../schemas/registry-client';
import { whileRegistryAway } from '../../../schemas/registry-wait';
import type { AuditEvent, EventKind, StatsEvent } from '../../../schemas/types';

/** A decoded message of kind K: events as AuditEvent; alerts and stats as their Avro values. */
export type Decoded<K extends SchemaKind = EventKind> = K extends EventKind
  ? Extract<AuditEvent, { kind: K }>
  : K extends 'stats'
    ? { kind: 'stats'; event: StatsEvent }
    : { kind: 'alert'; event: Record<string, unknown> };

/** How a slow-path decode may wait for the schema registry. */
export interface RetryControl {
  /** True once the caller stops (shutdown, rebalance): the wait ends with RegistryWaitAborted. */
  stopped: () => boolean;
  /** Called while waiting, so a consumer keeps its place in the group. */
  heartbeat?: () => Promise<void>;
}

export interface MessageDecoder {
  /**
   * At start, with a schema registry: a registry that refuses us (TLS verification, 401/403) is a
   * ConfigError; one that does not answer is logged and waited for when a message needs it.
   */
  checkRegistry(): Promise<void>;
  /** Read the schemas topic once (at start); failures are logged, not thrown. */
  loadSchemas(): Promise<void>;
  /** Decode, or throw (UnknownSchemaError/UnknownRegistryIdError when the writer schema is not known yet). */
  decode<K extends SchemaKind>(kind: K, value: Buffer): Decoded<K>;
  /** decode of the message in `buf` from `start` to `end` (a fetched batch's bytes: no Buffer cut per message). */
  decodeAt<K extends SchemaKind>(kind: K, buf: Buffer, start: number, end: number): Decoded<K>;
  /**
   * After decode threw: learn the writer schema if that may help (schemas topic, schema registry)
   * and decode again. Throws DecodeError when the message is malformed; RegistryWaitAborted (or
   * the heartbeat's error) when `ctl` stopped the wait for the registry.
   */
  retry<K extends SchemaKind>(kind: K, value: Buffer, err: unknown, ctl?: RetryControl): Promise<Decoded<K>>;
}

/** The registry answered, and the answer is about the id (no such schema, not Avro): the message's problem. */
const answeredNo = (err: unknown): boolean => err instanceof RegistryError && err.status !== undefined && (err.status === 404 || (err.status >= 200 && err.status < 300));

export function createMessageDecoder(opts: {
  kafka: Kafka;
  registry: SchemaRegistry;
  topicPrefix: string;
  logger: Logger;
  /** With --schema-registry: resolves the ids of Confluent-framed messages. */
  registryClient?: RegistryClient;
}): MessageDecoder {
  const { registry, registryClient: client } = opts;
  let lastLoad = 0;
  /** Ids the registry said it does not have, until when we believe it (no request per message). */
  const missing = new Map<number, number>();
  /** One request per id, however many partitions wait for it. */
  const pending = new Map<number, Promise<void>>();

  async function fetchId(c: RegistryClient, id: number, ctl: RetryControl): Promise<void> {
    let text: string;
    try {
      text = await whileRegistryAway(() => c.schemaById(id), {
        logger: opts.logger,
        what: `schema id ${id} from ${c.url}`,
        stopped: ctl.stopped,
        onPause: ctl.heartbeat,
        // Unreachable, 5xx, and also 401/403 or TLS trouble: the registry's or our setup's problem,
        // fixable while we wait, never a reason to skip messages.
        retryIf: (err) => err instanceof RegistryError && !answeredNo(err),
      });
    } catch (err) {
      if (!answeredNo(err)) throw err;
      missing.set(id, Date.now() + 60_000);
      throw new DecodeError(`schema registry id ${id}: ${(err as Error).message}`);
    }
    try {
      const entry = registry.addRegistered(id, parseSchema(text));
      opts.logger.info({ id, schema: entry.type.name, fingerprint: entry.id }, 'writer schema fetched from the schema registry');
    } catch (err) {
      missing.set(id, Date.now() + 60_000);
      throw new DecodeError(`schema registry id ${id} is not a usable Avro schema: ${(err as Error).message}`);
    }
  }

  async function resolveId(id: number, ctl: RetryControl): Promise<void> {
    if (registry.registered(id)) return;
    if (!client) throw new DecodeError(`framed for a schema registry (schema id ${id}), and no --schema-registry was given`);
    if ((missing.get(id) ?? 0) > Date.now()) throw new DecodeError(`schema registry id ${id} is not in the registry`);
    let p = pending.get(id);
    if (!p) {
      p = fetchId(client, id, ctl).finally(() => pending.delete(id));
      pending.set(id, p);
    }
    await p;
  }

  async function loadOnce(): Promise<void> {
    lastLoad = Date.now();
    const added = await loadSchemas(opts.kafka, schemasTopic(opts.topicPrefix), registry, opts.logger);
    if (added) opts.logger.info({ added }, 'writer schemas loaded from the schemas topic');
  }
  const warn = (err: unknown): void => opts.logger.warn({ err }, 'could not read the schemas topic');

  const decode = <K extends SchemaKind>(kind: K, value: Buffer): Decoded<K> => ({ kind, event: registry.decode(kind, value) }) as Decoded<K>;

  return {
    async checkRegistry() {
      if (!client) return;
      try {
        const level = await client.compatibility();
        opts.logger.info({ url: client.url, compatibility: level }, 'schema registry reachable');
      } catch (err) {
        if (err instanceof RegistryError && !err.retriable) throw new ConfigError(`--schema-registry: ${err.message}`, { cause: err });
        opts.logger.warn({ url: client.url, err }, 'schema registry unreachable at start; messages that need it will wait for it');
      }
    },
    // At start the broker may still be loading its logs: retried like every start-up admin call.
    loadSchemas: () => retrying(loadOnce, { logger: opts.logger }).catch(warn),
    decode,
    decodeAt: <K extends SchemaKind>(kind: K, buf: Buffer, start: number, end: number): Decoded<K> => ({ kind, event: registry.decodeAt(kind, buf, start, end) }) as Decoded<K>,
    async retry(kind, value, err, ctl = { stopped: () => false }) {
      if (err instanceof UnknownRegistryIdError) {
        await resolveId(err.registryId, ctl);
        return decode(kind, value);
      }
      if (!(err instanceof UnknownSchemaError) || Date.now() - lastLoad < 5000) throw err;
      await loadOnce().catch(warn);
      return decode(kind, value);
    },
  };
}
