/**
 * drain -> decode -> enrich -> encode -> queue. Runs on a timer: the kernel never wakes us
 * (BPF_RB_NO_WAKEUP), we visit the ring every drainIntervalMs and take at most maxPerDrain
 * records per turn so the event loop (Kafka I/O, signals) stays responsive.
 * We take only what the publisher has room for (Publisher.room): under overload the rest stays in
 * the ring, and if the ring then fills the kernel counts the loss (ringFull), so backpressure never
 * drops silently and never costs more CPU per event. While the spool replays, records wait in the
 * ring until it is half full; past that they go to the spool rather than be lost.
 */
import type { Message } from 'kafkajs';
import type { Logger } from '../common/logger';
import type { ByteRange, SchemaRegistry } from '../schemas/registry';
import { EVENT_KINDS, type EventKind } from '../schemas/types';
import type { RingReader } from './bpf/ringbuf';
import { decodeRecord } from './decode/decoder';
import type { Enricher } from './enrich/enricher';
import type { Publisher } from './publish/publisher';
import { sizeOf } from './publish/message-queue';
import { createFileRecordWriter } from './transcode/file-record';

export interface PipelineOptions {
  ring: RingReader;
  /** The ring's data size in bytes (its fill decides whether records may wait there). */
  ringBytes: number;
  registry: SchemaRegistry;
  enricher: Enricher;
  publisher: Publisher;
  topics: Record<EventKind, string>;
  hostId: string;
  logger: Logger;
  drainIntervalMs: number;
  maxPerDrain: number;
}

export interface PipelineStats {
  decoded: number;
  decodeErrors: number;
  encodeErrors: number;
  backpressureTicks: number;
  byKind: Record<EventKind, number>;
}

export interface Pipeline {
  start(): void;
  /** Stop the timer and drain what is left in the ring (after the programs are detached). */
  stop(): void;
  /** One turn; `force`: as much as a turn takes whatever the publisher's room (shutdown: to the spool). */
  drainNow(force?: boolean): number;
  stats(): PipelineStats;
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const log = opts.logger.child({ component: 'pipeline' });
  const { ring, registry, enricher, publisher, topics } = opts;
  const key = Buffer.from(opts.hostId);
  // One headers object per kind, shared by every message of that kind; frozen, so kafkajs
  // (patched) encodes it once instead of for every record.
  const headers = Object.fromEntries(EVENT_KINDS.map((k) => [k, Object.freeze({ kind: k, schema: registry.current(k).id, host: opts.hostId })])) as unknown as Record<
    EventKind,
    Message['headers']
  >;
  // sizeOf of a message of each kind but its value's bytes: the key and the shared headers.
  const fixedBytes = Object.fromEntries(EVENT_KINDS.map((k) => [k, sizeOf({ key, value: null, headers: headers[k] })])) as Record<EventKind, number>;
  const encoded: ByteRange = { buf: key, start: 0, end: 0 };
  const stats: PipelineStats = { decoded: 0, decodeErrors: 0, encodeErrors: 0, backpressureTicks: 0, byKind: { file: 0, net: 0, process: 0 } };
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let lastErrorLog = 0;
  /**
   * When this turn of the ring began: the time every record of the turn is queued at. A turn is
   * at most maxPerDrain records, so a record looks older than it is by at most a turn (the age
   * bound then sends to the spool a little early, never late).
   */
  let turnAt = 0;

  function logError(what: string, err: unknown): void {
    const now = Date.now();
    if (now - lastErrorLog < 5000) return; // counted always, logged at most every 5 s
    lastErrorLog = now;
    log.error({ err, decodeErrors: stats.decodeErrors, encodeErrors: stats.encodeErrors }, what);
  }

  // File opens, most of a busy host's events, go from the ring record to their bytes directly.
  const fileWriter = createFileRecordWriter({ registry, enricher });
  if (!fileWriter) log.warn('the FileEvent schema has fields the direct writer does not lay out: every file record is decoded, enriched and encoded');
  const fileTopic = topics.file;
  const fileHeaders = headers.file;

  function onRecord(data: Buffer, offset: number, length: number): void {
    if (fileWriter) {
      let timestampMs = -1;
      try {
        timestampMs = fileWriter.write(data, offset, length, encoded);
      } catch {
        // The general path below meets the same fault and counts it as what it is (decode or encode).
      }
      if (timestampMs >= 0) {
        stats.decoded++;
        stats.byKind.file++;
        const { buf, start, end } = encoded;
        publisher.offerBytes(fileTopic, key, fileHeaders, buf.buffer, buf.byteOffset + start, end - start, timestampMs, fixedBytes.file + end - start, turnAt);
        return;
      }
    }
    let ev;
    try {
      ev = enricher.enrich(decodeRecord(data, offset, length));
    } catch (err) {
      stats.decodeErrors++;
      logError('undecodable ring-buffer record skipped', err);
      return;
    }
    try {
      registry.encodeRange(ev.kind, ev.event, encoded);
    } catch (err) {
      stats.encodeErrors++;
      logError('event failed Avro encoding; skipped', err);
      return;
    }
    stats.decoded++;
    stats.byKind[ev.kind]++;
    // The message { key, value, timestamp, headers } as its parts, the value where it was encoded:
    // no message object or Buffer per event (they were 5-8% of the producer's CPU profile with the
    // garbage they made). A refusal is counted by the publisher, with its reason.
    const { buf, start, end } = encoded;
    const kind = ev.kind;
    publisher.offerBytes(
      topics[kind],
      key,
      headers[kind],
      buf.buffer,
      buf.byteOffset + start,
      end - start,
      Math.floor(Number(ev.event.time_ns) / 1e6),
      fixedBytes[kind] + end - start,
      turnAt,
    );
  }

  function drainNow(force = false): number {
    const room = force ? opts.maxPerDrain : Math.min(opts.maxPerDrain, publisher.room(ring.pending() * 2 >= opts.ringBytes));
    if (room <= 0) {
      stats.backpressureTicks++;
      return 0;
    }
    turnAt = Date.now();
    return ring.drain(onRecord, room);
  }

  function tick(): void {
    timer = undefined;
    if (!running) return;
    const n = drainNow();
    // A full turn means more is waiting: come back at once (after I/O), else sleep.
    timer = n >= opts.maxPerDrain ? (setImmediate(tick) as unknown as NodeJS.Timeout) : setTimeout(tick, opts.drainIntervalMs);
  }

  return {
    start() {
      running = true;
      tick();
    },
    stop() {
      running = false;
      if (timer) {
        clearTimeout(timer);
        clearImmediate(timer as unknown as NodeJS.Immediate);
      }
    },
    drainNow,
    stats: () => ({ ...stats, byKind: { ...stats.byKind } }),
  };
}
