/**
 * drain -> decode -> enrich -> encode -> queue. Runs on a timer: the kernel never wakes us
 * (BPF_RB_NO_WAKEUP), we visit the ring every drainIntervalMs and take at most maxPerDrain
 * records per turn so the event loop (Kafka I/O, signals) stays responsive.
 * When the publisher's queue has no room, records stay in the ring; if the ring then fills,
 * the kernel counts the loss (ringFull), so backpressure never drops silently.
 */
import type { Message } from 'kafkajs';
import type { Logger } from '../common/logger';
import type { SchemaRegistry } from '../schemas/registry';
import { EVENT_KINDS, type EventKind } from '../schemas/types';
import type { RingReader } from './bpf/ringbuf';
import { decodeRecord } from './decode/decoder';
import type { Enricher } from './enrich/enricher';
import type { Publisher } from './publish/publisher';

export interface PipelineOptions {
  ring: RingReader;
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
  drainNow(): number;
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
  const stats: PipelineStats = { decoded: 0, decodeErrors: 0, encodeErrors: 0, backpressureTicks: 0, byKind: { file: 0, net: 0, process: 0 } };
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let lastErrorLog = 0;

  function logError(what: string, err: unknown): void {
    const now = Date.now();
    if (now - lastErrorLog < 5000) return; // counted always, logged at most every 5 s
    lastErrorLog = now;
    log.error({ err, decodeErrors: stats.decodeErrors, encodeErrors: stats.encodeErrors }, what);
  }

  function onRecord(data: Buffer, offset: number, length: number): void {
    let ev;
    try {
      ev = enricher.enrich(decodeRecord(data, offset, length));
    } catch (err) {
      stats.decodeErrors++;
      logError('undecodable ring-buffer record skipped', err);
      return;
    }
    let value: Buffer;
    try {
      value = registry.encode(ev.kind, ev.event);
    } catch (err) {
      stats.encodeErrors++;
      logError('event failed Avro encoding; skipped', err);
      return;
    }
    stats.decoded++;
    stats.byKind[ev.kind]++;
    const message: Message = {
      key,
      value,
      timestamp: String(Math.floor(Number(ev.event.time_ns) / 1e6)),
      headers: headers[ev.kind],
    };
    publisher.offer(topics[ev.kind], message); // a refusal is counted by the publisher, with its reason
  }

  function drainNow(): number {
    const room = opts.maxPerDrain;
    if (!publisher.hasRoom(room)) {
      stats.backpressureTicks++;
      return 0;
    }
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
