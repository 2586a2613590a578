/**
 * `store`: every event and alert of the topics into the SQLite store, exactly once.
 *
 * Kafka offsets live in the store, not in the consumer group: the subscriber starts each partition
 * at the offset meta.db holds (`storedOffset`). Each message's row goes into its day file's open
 * transaction, which commits (every second or so) with the file's per-partition watermarks: the
 * offset after the last message of that partition in the file. meta.db takes the offsets of the
 * batches read to their end last, after the day files. Killed before a file's commit, the file
 * holds none of its uncommitted rows; killed after it, meta.db may be behind, and the store reads
 * those batches again at the next start: every message below a day file's watermark is skipped
 * there as already stored. A message read twice in one run (a batch fetched again after an error)
 * is below the watermark too. So each message is stored once however the store is stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger';
import type { SchemaRegistry } from '../../schemas/registry';
import type { RegistryClient } from '../../schemas/registry-client';
import type { AuditEvent } from '../../schemas/types';
import { createSubscriber, topicOfKind } from '../core/input/subscriber';
import { usage } from '../core/usage';
import { alertFromAvro } from '../detect/alert-format';
import type { Alert } from '../rules/engine';
import { dayFileName, dayOf, dayStartNs, dayEndNs } from './day-db';
import { openDayWriter, type DayWriter, type Mark } from './day-writer';
import { dayBytes, listDays, openMetaStore } from './meta';
import { lockStore } from './store-lock';
import { planRetention, type RetentionPolicy } from './retention';

export interface StoreOptions extends RetentionPolicy {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  /** With --schema-registry: decodes Confluent-framed messages. */
  registryClient?: RegistryClient;
  topicPrefix: string;
  groupId: string;
  /** The store directory: meta.db and one events-YYYY-MM-DD.db per day. */
  dir: string;
  statsIntervalMs: number;
  /** Stop once the topics are read up to where they ended at start. */
  untilEnd?: boolean;
  /** How often retention is checked. */
  retentionCheckMs?: number;
}

export interface StoreStats {
  stored: number;
  alerts: number;
  /** Events older than the retention or than a dropped day: not stored. */
  expired: number;
  /** Messages read again after a kill that a day file already held. */
  alreadyStored: number;
  commits: number;
}

/** Day files open for writing at once; older ones are closed (late events reopen them). */
const MAX_OPEN_DAYS = 4;
const KINDS = ['file', 'net', 'process', 'alert'] as const;
/** Commit at least this often, or once this many rows or batches wait (bounds memory and loss of work on a kill). */
const FLUSH_MS = 1000;
const FLUSH_ROWS = 50_000;
const FLUSH_BATCHES = 64;
/** How often the planner statistics of the open day files are refreshed. */
const ANALYZE_MS = 10 * 60_000;

export async function runStore(opts: StoreOptions, stop: AbortSignal): Promise<StoreStats> {
  const log = opts.logger;
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
  const lockFile = lockStore(opts.dir);
  const meta = openMetaStore(opts.dir);
  const writers = new Map<string, DayWriter>();
  const touched = new Set<DayWriter>();
  const stats: StoreStats = { stored: 0, alerts: 0, expired: 0, alreadyStored: 0, commits: 0 };
  let lastRetention = 0;
  let floorNs = meta.floorNs();

  function enforceRetention(): void {
    lastRetention = Date.now();
    if (opts.retentionMs !== undefined) {
      // Events older than the oldest day retention keeps are not stored again.
      const keepFrom = dayStartNs(dayOf(BigInt(Date.now() - opts.retentionMs) * 1_000_000n));
      if (keepFrom > floorNs) floorNs = keepFrom;
    }
    const days = listDays(opts.dir).map((day) => ({ day, bytes: dayBytes(opts.dir, day) }));
    const plan = planRetention(days, opts, Date.now());
    for (const d of plan.drops) {
      const w = writers.get(d.day);
      if (w && (touched.has(w) || w.pending > 0)) continue; // being written: dropped at the next check
      if (w) {
        w.close();
        writers.delete(d.day);
      }
      meta.dropDay(d.day, d.reason, d.bytes, 0);
      floorNs = dayEndNs(d.day) > floorNs ? dayEndNs(d.day) : floorNs;
      log.info({ day: d.day, reason: d.reason, bytes: d.bytes }, 'day dropped');
    }
    if (floorNs > meta.floorNs()) meta.setFloor(floorNs);
    if (plan.overCap) log.error({ bytes: plan.keptBytes, maxBytes: opts.maxBytes }, 'the newest day alone is over --max-size; it is kept');
  }

  function writerFor(day: string): DayWriter {
    let w = writers.get(day);
    if (w) return w;
    if (writers.size >= MAX_OPEN_DAYS) {
      // The oldest file, preferably one the batch being read has not written to, its rows
      // committed first (the offsets wait for the next flush: its watermarks make a replay skip
      // what it holds).
      const days = [...writers.keys()].sort();
      const oldest = days.find((d) => !touched.has(writers.get(d)!)) ?? days[0];
      const o = writers.get(oldest)!;
      try {
        commitWriter(o);
      } finally {
        o.close();
        writers.delete(oldest);
        touched.delete(o);
      }
    }
    const fresh = !fs.existsSync(path.join(opts.dir, dayFileName(day)));
    w = openDayWriter(opts.dir, day);
    writers.set(day, w);
    if (fresh) {
      log.info({ day }, 'new day file');
      enforceRetention();
    }
    return w;
  }

  // Consecutive messages nearly always go to the same file from the same partition.
  let last: { w?: DayWriter; topic?: string; partition?: number; mark?: Mark } = {};
  function markOf(w: DayWriter, topic: string, partition: number): Mark {
    if (last.w === w && last.topic === topic && last.partition === partition) return last.mark!;
    const m = w.mark(topic, partition);
    last = { w, topic, partition, mark: m };
    return m;
  }

  /** The day file of a message, with the partition's watermark raised past it; undefined: not stored (counted). */
  function route(timeNs: bigint, topic: string, partition: number, off: number): DayWriter | undefined {
    if (failed) return undefined;
    if (timeNs < floorNs) {
      stats.expired++;
      return undefined;
    }
    const w = writerFor(dayOf(timeNs));
    const m = markOf(w, topic, partition);
    if (off < m.next) {
      stats.alreadyStored++;
      return undefined;
    }
    m.next = off + 1;
    touched.add(w);
    return w;
  }

  const ctl = new AbortController();
  if (stop.aborted) ctl.abort();
  stop.addEventListener('abort', () => ctl.abort(), { once: true });
  const done = new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve(), { once: true }));
  // A failure to write (disk full, a broken file) stops the store: what is on disk is consistent,
  // and the next start resumes from it. Nothing buffered after the failure is committed.
  let failed: unknown;
  function fail(err: unknown): void {
    if (failed) return;
    failed = err;
    log.fatal({ err }, 'store failed; stopping');
    ctl.abort();
  }
  /** Offsets of the batches read to their end since the last flush: meta.db takes them after the day files. */
  const pendingOffsets = new Map<string, { topic: string; partition: number; next: bigint }>();
  let batches = 0;
  let lastAnalyze = Date.now();
  function commitWriter(w: DayWriter): void {
    const n = w.commit();
    stats.stored += n.events;
    stats.alerts += n.alerts;
    if (n.events + n.alerts > 0) stats.commits++;
  }
  /**
   * Commit every day file's rows with its watermarks, then the offsets of the batches read to
   * their end. One transaction per file for many Kafka batches: the rows' index pages are written
   * once per commit, not once per batch.
   */
  function flush(): void {
    if (failed) return;
    try {
      for (const w of writers.values()) commitWriter(w);
      if (pendingOffsets.size) meta.setOffsets([...pendingOffsets.values()]);
      pendingOffsets.clear();
      batches = 0;
      if (Date.now() - lastAnalyze > ANALYZE_MS) {
        lastAnalyze = Date.now();
        for (const w of writers.values()) w.analyze();
      }
      if (Date.now() - lastRetention > (opts.retentionCheckMs ?? 60_000)) enforceRetention();
    } catch (err) {
      fail(err);
    }
  }
  const flushTimer = setInterval(flush, FLUSH_MS);
  flushTimer.unref();
  const topics = Object.fromEntries(KINDS.map((k) => [k, topicOfKind(opts.topicPrefix, k)]));

  enforceRetention();
  const sub = createSubscriber({
    kafka: opts.kafka,
    logger: log,
    registry: opts.registry,
    registryClient: opts.registryClient,
    topicPrefix: opts.topicPrefix,
    kinds: KINDS,
    groupId: opts.groupId,
    storedOffset: (topic, partition) => meta.offset(topic, partition),
    onEvent: (rec, partition, at) => {
      const offset = at.offsetNumber ?? Number(at.offset);
      try {
        if (rec.kind === 'alert') {
          const a: Alert = alertFromAvro(rec.event);
          route(a.time_ns, topics.alert, partition, offset)?.addAlert(a);
        } else {
          const ev = rec as AuditEvent;
          route(ev.event.time_ns, topics[rec.kind], partition, offset)?.add(ev);
        }
      } catch (err) {
        fail(err);
      }
    },
    afterBatch: async ({ topic, partition, lastOffset }) => {
      if (failed || lastOffset === undefined) return;
      touched.clear();
      pendingOffsets.set(`${topic}\u0000${partition}`, { topic, partition, next: BigInt(lastOffset) + 1n });
      if (++batches >= FLUSH_BATCHES || [...writers.values()].some((w) => w.pending >= FLUSH_ROWS)) flush();
    },
    onEnd: opts.untilEnd
      ? () => {
          flush();
          ctl.abort();
        }
      : undefined,
  });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const report = (msg: string): void => log.info({ events: sub.stats(), store: { ...stats, days: listDays(opts.dir) }, ...usage(t0, cpu0) }, msg);
  const timer = setInterval(() => report('store stats'), opts.statsIntervalMs);
  timer.unref();
  log.info({ dir: opts.dir, groupId: opts.groupId, retentionMs: opts.retentionMs, maxBytes: opts.maxBytes }, 'store starting');
  try {
    await Promise.race([sub.start(ctl.signal), done]);
    await done;
  } finally {
    clearInterval(timer);
    await sub.stop();
    clearInterval(flushTimer);
    // Every row read is committed with its watermark; the offset of a batch cut short is not.
    flush();
    for (const w of writers.values()) w.close();
    meta.close();
    fs.rmSync(lockFile, { force: true });
  }
  report('store stopped');
  if (failed) throw Object.assign(failed instanceof Error ? failed : new Error(String(failed)), { logged: true });
  return stats;
}
