/**
 * `store --backend opensearch`: every event and alert of the topics into daily OpenSearch indices,
 * nothing lost and nothing doubled.
 *
 * - Doubled: each document's id comes from the event's identity (host boot id, kernel time, thread,
 *   kind and type), so an event read twice (after a crash, a rebalance, a producer's resend)
 *   overwrites itself.
 * - Lost: a batch's offsets are committed to the consumer group only after every one of its
 *   documents is acknowledged (afterBatch waits for the bulk writer). A kill re-reads, never skips.
 * - Memory: the bulk writer holds at most a few requests; when the cluster is slow or away, the
 *   consumer waits in onEvent/afterBatch (and keeps its group membership alive with heartbeats).
 *
 * Several instances in one consumer group share the partitions; the ids make any overlap during a
 * rebalance harmless.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { Kafka } from 'kafkajs';
import { errorMessage } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import type { SchemaRegistry } from '../../../schemas/registry';
import type { RegistryClient } from '../../../schemas/registry-client';
import type { AuditEvent } from '../../../schemas/types';
import { createSubscriber } from '../../core/input/subscriber';
import { usage } from '../../core/usage';
import { alertFromAvro } from '../../detect/alert-format';
import { alertId, alertToDocument } from './alert-document';
import { createBulkWriter, StoppedError } from './bulk-writer';
import { toDocument } from './document';
import { eventId } from './event-id';
import { createIndexNamer, enforceRetention, installTemplate, retentionFloorNs } from './indices';

export interface OpenSearchStoreOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  /** With --schema-registry: resolves the ids of Confluent-framed messages. */
  registryClient?: RegistryClient;
  topicPrefix: string;
  groupId: string;
  client: Client;
  indexPrefix: string;
  shards: number;
  replicas?: number;
  refreshInterval?: string;
  /** Delete daily indices once all of the day is older than this; undefined: keep. */
  retentionMs?: number;
  bulkBytes: number;
  bulkInFlight: number;
  statsIntervalMs: number;
  /** Stop once the topics are read up to where they ended at start. */
  untilEnd?: boolean;
  retentionCheckMs?: number;
  /** Backoff cap for retries (tests shorten it). */
  maxBackoffMs?: number;
  /** After a stop, how long the batch being written may still take. */
  shutdownGraceMs?: number;
}

export interface OpenSearchStoreStats {
  events: number;
  alerts: number;
  /** Older than the retention: not written (the day is gone or about to go). */
  expired: number;
  /** Events that could not be turned into a document (logged with topic/partition/offset). */
  unindexable: number;
  deletedIndices: number;
}

const KINDS = ['file', 'net', 'process', 'alert'] as const;
const HEARTBEAT_MS = 3000;

export async function runOpenSearchStore(opts: OpenSearchStoreOptions, stop: AbortSignal): Promise<OpenSearchStoreStats> {
  const log = opts.logger;
  const ctl = new AbortController();
  // After a stop, the batch being written may still finish for a while; then the writer gives up
  // (its offsets stay uncommitted, and the next start writes it again).
  const giveUp = new AbortController();
  ctl.signal.addEventListener('abort', () => setTimeout(() => giveUp.abort(), opts.shutdownGraceMs ?? 10_000).unref(), { once: true });
  if (stop.aborted) ctl.abort();
  stop.addEventListener('abort', () => ctl.abort(), { once: true });
  const done = new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve(), { once: true }));
  const stats: OpenSearchStoreStats = { events: 0, alerts: 0, expired: 0, unindexable: 0, deletedIndices: 0 };
  const writer = createBulkWriter({
    client: opts.client,
    logger: log,
    maxBytes: opts.bulkBytes,
    maxInFlight: opts.bulkInFlight,
    maxBackoffMs: opts.maxBackoffMs,
    stop: giveUp.signal,
  });
  const indexName = createIndexNamer(opts.indexPrefix);
  let floorNs = opts.retentionMs === undefined ? -1n : retentionFloorNs(opts.retentionMs, Date.now());
  let failed: unknown;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = err;
    log.fatal({ err }, 'store failed; stopping');
    ctl.abort();
    giveUp.abort();
  };

  // The cluster may not be up yet: wait for it as for a slow one.
  for (let backoff = 500; !ctl.signal.aborted; backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 5000)) {
    try {
      await installTemplate(opts.client, opts.indexPrefix, { shards: opts.shards, replicas: opts.replicas, refreshInterval: opts.refreshInterval }, log);
      break;
    } catch (err) {
      const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
        throw Object.assign(new Error(`OpenSearch refused the index template (${status}): ${errorMessage(err)}`), { fatal: true });
      log.warn({ err, retryInMs: backoff }, 'OpenSearch not reachable; waiting');
      await new Promise((r) => setTimeout(r, backoff));
    }
  }

  async function retention(): Promise<void> {
    if (opts.retentionMs === undefined) return;
    floorNs = retentionFloorNs(opts.retentionMs, Date.now());
    try {
      stats.deletedIndices += (await enforceRetention(opts.client, opts.indexPrefix, opts.retentionMs, log)).length;
    } catch (err) {
      log.warn({ err }, 'retention check failed; trying again later');
    }
  }
  if (ctl.signal.aborted) return stats;
  await retention();
  const retentionTimer = setInterval(() => void retention(), opts.retentionCheckMs ?? 3_600_000);
  retentionTimer.unref();

  const sub = createSubscriber({
    kafka: opts.kafka,
    logger: log,
    registry: opts.registry,
    registryClient: opts.registryClient,
    topicPrefix: opts.topicPrefix,
    kinds: KINDS,
    groupId: opts.groupId,
    // A store wants all the history Kafka still has the first time its group runs.
    fromBeginning: true,
    // Decoding one partition's batch while another's bulk requests are out.
    partitionsConcurrently: 2,
    onEvent: (rec, partition, at) => {
      let index: string;
      let id: string;
      let json: string;
      try {
        if (rec.kind === 'alert') {
          const a = alertFromAvro(rec.event);
          if (a.time_ns < floorNs) return void stats.expired++;
          index = indexName('alerts', a.time_ns);
          id = alertId(a);
          json = JSON.stringify(alertToDocument(a));
          stats.alerts++;
        } else {
          const ev = rec as AuditEvent;
          if (ev.event.time_ns < floorNs) return void stats.expired++;
          index = indexName(ev.kind, ev.event.time_ns);
          id = eventId(ev);
          json = JSON.stringify(toDocument(ev));
          stats.events++;
        }
      } catch (err) {
        stats.unindexable++;
        log.warn({ kind: rec.kind, partition, offset: at.offset, err, unindexable: stats.unindexable }, 'event could not be made a document; skipped');
        return;
      }
      return writer.add(index, id, json);
    },
    afterBatch: async ({ heartbeat }) => {
      const beat = setInterval(() => heartbeat().catch(() => undefined), HEARTBEAT_MS);
      try {
        await writer.flush();
        return true;
      } catch (err) {
        if (!(err instanceof StoppedError)) fail(err);
        return false; // not acknowledged: the offsets stay, the batch is read again
      } finally {
        clearInterval(beat);
      }
    },
    onEnd: opts.untilEnd ? () => ctl.abort() : undefined,
  });

  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const report = (msg: string): void => log.info({ events: sub.stats(), store: { ...stats }, bulk: writer.stats(), ...usage(t0, cpu0) }, msg);
  const timer = setInterval(() => report('store stats'), opts.statsIntervalMs);
  timer.unref();
  log.info({ indexPrefix: opts.indexPrefix, groupId: opts.groupId, retentionMs: opts.retentionMs }, 'store starting (opensearch)');
  try {
    await Promise.race([sub.start(ctl.signal), done]);
    await done;
  } finally {
    clearInterval(timer);
    clearInterval(retentionTimer);
    await sub.stop();
    giveUp.abort();
  }
  report('store stopped');
  if (failed) throw Object.assign(failed instanceof Error ? failed : new Error(String(failed)), { logged: true });
  return stats;
}
