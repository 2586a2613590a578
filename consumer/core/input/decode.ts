/**
 * Message values to records. Decoding is synchronous on the hot path (an await per message costs
 * a microtask turn); only a message whose writer schema is unknown takes the slow path, which
 * reloads the schemas topic (at most every 5 s) in case a newer producer published its schema.
 */
import type { Kafka } from 'kafkajs';
import { retrying } from '../../../common/admin';
import type { Logger } from '../../../common/logger';
import { schemasTopic } from '../../../common/topics';
import { loadSchemas } from '../../../schemas/publication';
import { UnknownSchemaError, type SchemaKind, type SchemaRegistry } from '../../../schemas/registry';
import type { AuditEvent, EventKind, StatsEvent } from '../../../schemas/types';

/** A decoded message of kind K: events as AuditEvent; alerts and stats as their Avro values. */
export type Decoded<K extends SchemaKind = EventKind> = K extends EventKind
  ? Extract<AuditEvent, { kind: K }>
  : K extends 'stats'
    ? { kind: 'stats'; event: StatsEvent }
    : { kind: 'alert'; event: Record<string, unknown> };

export interface MessageDecoder {
  /** Read the schemas topic once (at start); failures are logged, not thrown. */
  loadSchemas(): Promise<void>;
  /** Decode, or throw (UnknownSchemaError when the writer schema is not known yet). */
  decode<K extends SchemaKind>(kind: K, value: Buffer): Decoded<K>;
  /** After decode threw: reload the writer schemas if that may help, and decode again; throws if not. */
  retry<K extends SchemaKind>(kind: K, value: Buffer, err: unknown): Promise<Decoded<K>>;
}

export function createMessageDecoder(opts: { kafka: Kafka; registry: SchemaRegistry; topicPrefix: string; logger: Logger }): MessageDecoder {
  const { registry } = opts;
  let lastLoad = 0;

  async function loadOnce(): Promise<void> {
    lastLoad = Date.now();
    const added = await loadSchemas(opts.kafka, schemasTopic(opts.topicPrefix), registry, opts.logger);
    if (added) opts.logger.info({ added }, 'writer schemas loaded from the schemas topic');
  }
  const warn = (err: unknown): void => opts.logger.warn({ err }, 'could not read the schemas topic');

  const decode = <K extends SchemaKind>(kind: K, value: Buffer): Decoded<K> => ({ kind, event: registry.decode(kind, value) }) as Decoded<K>;

  return {
    // At start the broker may still be loading its logs: retried like every start-up admin call.
    loadSchemas: () => retrying(loadOnce, { logger: opts.logger }).catch(warn),
    decode,
    async retry(kind, value, err) {
      if (!(err instanceof UnknownSchemaError) || Date.now() - lastLoad < 5000) throw err;
      await loadOnce().catch(warn);
      return decode(kind, value);
    },
  };
}
