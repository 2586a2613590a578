/**
 * Delivery in front of an injected `send` (kafkajs has no linger, no buffering, and retries that
 * would hold messages in memory for seconds). Our loop owns batching and retries; where messages
 * live is the state machine in delivery-state.ts, and every transition goes through `fire`.
 *
 * The guarantee, with a spool: no message waits in memory unacknowledged for longer than
 * `spoolAfterMs` without being on disk. A failed send, a full queue, or an oldest message older
 * than the bound moves the whole memory queue to the spool, the batch in flight included (if that
 * request succeeds after all, its records are committed, not sent twice). A healthy stream never
 * touches the disk. One request is in flight at a time, so one host's events keep their order.
 *
 * Overload is not an outage: while Kafka acknowledges, `room()` keeps the memory queue within
 * what Kafka takes in half the bound (queue-cap.ts), so the bound fires only when acknowledgements
 * stop or fail, and the excess waits in the source (the kernel ring buffer, which counts its loss).
 */
import type { Message } from 'kafkajs';
import { errorMessage } from '../../common/errors';
import { nextState, offersGoToSpool, type DeliveryEvent, type DeliveryState } from './delivery-state';
import { createWaiters } from './waiters';
import { createMessageQueue, groupByTopic, recordSizeOf, sizeOf, toMessage, toRecord, type TopicMessages } from './message-queue';
import { createOutageReport } from './outage-report';
import { createQueueCap } from './queue-cap';
import { DEFAULT_MAX_QUEUED_BYTES, refusedForGood, type Publisher, type PublisherOptions } from './publisher-api';
import type { SpoolPos } from './spool';
import { withGetters } from '../../common/with-getters';

export * from './publisher-api';

interface InFlight {
  n: number;
  /** From memory: its estimated bytes, and whether more was waiting when it was cut (a rate sample). */
  bytes?: number;
  saturated?: boolean;
  /** Read from the spool: acknowledging it commits up to here. */
  lastPos?: SpoolPos;
  /** From memory, moved to the spool while in flight: acknowledging it commits up to here. */
  spilledEnd?: SpoolPos;
  /** Of those, how many the full spool refused (dropped if the request fails). */
  unspooled: number;
}

export function createPublisher(opts: PublisherOptions): Publisher {
  const log = opts.logger.child({ component: 'publisher' });
  const { spool } = opts;
  const spoolMax = opts.spoolMaxBytes ?? Infinity;
  const spoolAfterMs = opts.spoolAfterMs ?? 1000;
  const maxBytes = opts.maxBatchBytes ?? 900_000;
  const retryMinMs = opts.retryMinMs ?? 250;
  const retryMaxMs = opts.retryMaxMs ?? 2000;
  const queue = createMessageQueue();
  const cap = createQueueCap({ maxBytes: opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, floorBytes: 2 * maxBytes, boundMs: spool ? spoolAfterMs : undefined });
  /** Bytes per message, to turn the byte cap into a count for the source (updated as messages come). */
  let meanBytes = 512;
  /**
   * While replaying: how many new messages the spool may still take when the source is about to
   * lose them, half of what the replay has delivered, so the backlog shrinks even under overload.
   */
  let replayRoom = 0;
  const outage = createOutageReport({ logger: log, intervalMs: opts.outageLogMs ?? 10_000, spooling: !!spool });
  const stats = { sent: 0, batches: 0, sendErrors: 0, rejected: 0, lastBatchMs: 0, spoolDrops: 0, queueFull: 0 };
  let state: DeliveryState = spool && !spool.isEmpty() ? 'replaying' : 'memory';
  let started = false;
  let inFlight: InFlight | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  let lingerDue = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 0;
  /** The last request failed and none is out: Kafka is away. */
  let kafkaAway = false;
  // Shrinks when the broker refuses a request as too large, grows back after successes.
  let limit = opts.batchSize;
  /** flush() calls waiting for the queue and the spool to empty (they also cut the linger short). */
  const waiters = createWaiters();
  const notify = (): void => waiters.notify();
  const spoolBytes = (): number => spool?.stats().bytes ?? 0;

  const watchdog = setInterval(
    () => {
      const at = queue.oldestAt();
      if (state === 'memory' && spool && at !== undefined && Date.now() - at >= spoolAfterMs) {
        fire('unacknowledged', started ? `not acknowledged within ${spoolAfterMs} ms` : `Kafka not reached within ${spoolAfterMs} ms`);
      }
      outage.tick(() => ({ queued: queue.size(), spoolBytes: spoolBytes(), retryInMs: backoffMs }));
    },
    Math.max(10, Math.min(250, spoolAfterMs / 4)),
  );
  watchdog.unref();

  /** The one place where the state changes, with what each transition does. */
  function fire(event: DeliveryEvent, reason: string = event): void {
    const from = state;
    const to = nextState(from, event);
    if (to === from) return;
    state = to;
    if (to === 'spooling') {
      const queued = queue.size();
      if (from === 'memory') spill();
      // A failed send is an outage (warned once, then summarised); moving memory to disk because
      // of age or a full queue is the guarantee at work, not a failure.
      if (event !== 'sendFailed') log.info({ reason, movedToDisk: queued, spoolBytes: spoolBytes() }, 'memory queue moved to the spool');
    } else if (from === 'spooling' && to === 'replaying') {
      replayRoom = 0;
      outage.end({ spoolBytes: spoolBytes() });
    } else if (from === 'replaying' && to === 'memory') {
      log.info({ spooled: spool?.stats().appended }, 'spool drained: back to sending from memory');
    }
    opts.onTransition?.(from, to, event);
  }

  /** Memory to disk, oldest first: the request in flight (it may still succeed), then the rest. */
  function spill(): void {
    const entries = queue.drain();
    const inFlightN = inFlight && inFlight.lastPos === undefined ? inFlight.n : 0;
    let unspooled = 0;
    let dropped = 0;
    for (let i = 0; i < entries.length; i++) {
      if (i === inFlightN && inFlightN > 0) inFlight!.spilledEnd = spool!.end();
      if (spool!.append(toRecord(entries[i].topic, entries[i].message))) continue;
      if (i < inFlightN) unspooled++;
      else dropped++;
    }
    if (inFlightN > 0) {
      inFlight!.spilledEnd ??= spool!.end();
      inFlight!.unspooled = unspooled;
    }
    stats.spoolDrops += dropped;
    if (dropped) log.error({ dropped, spoolDrops: stats.spoolDrops }, 'spool full: messages dropped');
    spool!.flush();
  }

  function toSpool(topic: string, message: Message): boolean {
    if (!spool!.append(toRecord(topic, message))) {
      stats.spoolDrops++;
      return false;
    }
    schedule();
    return true;
  }

  function schedule(): void {
    if (state === 'closed' || !started || inFlight || retryTimer) return;
    if (offersGoToSpool(state)) return void sendFromSpool();
    if (queue.size() === 0) return notify();
    // A full request, by count or by bytes, goes at once: lingering only helps a request fill, and
    // with the queue capped in bytes (~4 MiB, a few requests) a count of batchSize may never come.
    if (queue.size() >= opts.batchSize || queue.bytes() >= maxBytes || opts.lingerMs === 0 || waiters.count > 0 || lingerDue) {
      if (lingerTimer) clearTimeout(lingerTimer);
      lingerTimer = undefined;
      lingerDue = false;
      const cut = queue.cut(limit, maxBytes);
      const n = cut.n;
      inFlight = { n, bytes: cut.bytes, saturated: n < queue.size(), unspooled: 0 };
      void attempt(queue.request(n));
    } else if (!lingerTimer) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        lingerDue = true;
        schedule();
      }, opts.lingerMs);
    }
  }

  function sendFromSpool(): void {
    const batch = spool!.read(limit, maxBytes, recordSizeOf);
    if (batch.length === 0) {
      if (spool!.isEmpty()) fire('caughtUp');
      if (state === 'memory') schedule();
      else notify();
      return;
    }
    inFlight = { n: batch.length, lastPos: batch[batch.length - 1].pos, unspooled: 0 };
    void attempt(groupByTopic(batch.map((b) => ({ topic: b.rec.topic, message: toMessage(b.rec) }))));
  }

  async function attempt(topicMessages: TopicMessages[]): Promise<void> {
    const t0 = process.hrtime.bigint();
    let error: unknown;
    try {
      await opts.send(topicMessages);
    } catch (err) {
      error = err ?? new Error('send failed');
    }
    const f = inFlight!;
    inFlight = undefined;
    if (state === 'closed') return; // close() took memory over while this request was out
    if (error === undefined) acknowledged(f, Number(process.hrtime.bigint() - t0) / 1e6);
    else if (refusedForGood(error)) refused(f, error);
    else failed(f, error);
    notify();
    schedule();
  }

  /** Drop a batch from where it waited: acknowledged, or refused for good. */
  function settle(f: InFlight): void {
    if (f.lastPos) spool!.commit(f.lastPos);
    else if (f.spilledEnd) spool!.commit(f.spilledEnd);
    else queue.take(f.n);
  }

  function acknowledged(f: InFlight, ms: number): void {
    if (f.bytes !== undefined && !f.spilledEnd) cap.acknowledged(f.bytes, ms, !!f.saturated);
    if (f.lastPos && state === 'replaying') replayRoom += f.n / 2;
    settle(f);
    stats.sent += f.n;
    stats.batches++;
    stats.lastBatchMs = ms;
    opts.onSent?.(ms, f.n);
    backoffMs = 0;
    kafkaAway = false;
    limit = Math.min(opts.batchSize, limit * 2);
    outage.end({ spoolBytes: spoolBytes() });
    fire('sendOk');
  }

  function refused(f: InFlight, error: unknown): void {
    stats.sendErrors++;
    kafkaAway = false;
    // The broker will never take this request as it is: split it; a single message it refuses
    // is dropped and counted, so one bad record cannot stall the stream.
    if (f.n > 1) {
      limit = Math.max(1, Math.ceil(f.n / 2));
      log.warn({ err: error, messages: f.n, nextBatch: limit }, 'request refused; splitting it');
      if (f.lastPos) spool!.rewind(); // re-read from disk at the new batch size
      return;
    }
    settle(f);
    stats.rejected++;
    log.error({ err: error, rejected: stats.rejected }, 'message refused by the broker; dropped');
  }

  function failed(f: InFlight, error: unknown): void {
    stats.sendErrors++;
    kafkaAway = true;
    if (f.lastPos) spool!.rewind();
    if (f.spilledEnd && f.unspooled) stats.spoolDrops += f.unspooled; // neither sent nor on disk
    backoffMs = Math.min(backoffMs ? backoffMs * 2 : retryMinMs, retryMaxMs);
    const queued = queue.size();
    if (spool) fire('sendFailed');
    outage.begin(`send failed: ${errorMessage(error)}`, spool ? { movedToDisk: queued, spoolBytes: spoolBytes() } : { queued });
    outage.failed(error);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      schedule();
    }, backoffMs);
  }

  const idle = (): boolean => queue.size() === 0 && !inFlight && (!spool || spool.isEmpty());

  function offer(topic: string, message: Message): boolean {
    if (state === 'closed') {
      stats.queueFull++;
      return false;
    }
    if (offersGoToSpool(state)) {
      if (state === 'replaying') replayRoom--;
      return toSpool(topic, message);
    }
    if (queue.size() >= opts.maxQueued) {
      if (!spool) {
        stats.queueFull++;
        return false;
      }
      fire('queueFull', 'memory queue full');
      return toSpool(topic, message);
    }
    queue.push(topic, message, sizeOf(message), Date.now());
    schedule();
    return true;
  }

  return withGetters<Publisher, 'queued' | 'state'>(
    {
      start() {
        if (started || state === 'closed') return;
        started = true;
        log.info({ state, lingerMs: opts.lingerMs, batchSize: opts.batchSize, spool: !!spool, spoolAfterMs: spool ? spoolAfterMs : undefined }, 'publisher started');
        schedule();
      },
      offer,
      offerBytes(topic, key, headers, store, offset, length, timestamp, size, at = Date.now()) {
        // Anywhere but the memory queue (closed, spooling, full): as offer, with the message made.
        // Its timestamp stays a number where kafkajs's type says string: kafkajs reads a timestamp
        // only through Number() and arithmetic (three to five times per message), and a string was
        // parsed each time (with String() to make it: ~130 ns per event, 3-4% of the producer's CPU
        // in a perf profile at 100k events/s); the queue keeps numbers too (message-queue.ts).
        if (state === 'closed' || offersGoToSpool(state) || queue.size() >= opts.maxQueued) {
          return offer(topic, { key, value: Buffer.from(store, offset, length), timestamp: timestamp as unknown as string, headers });
        }
        queue.pushBytes(topic, key, headers, store, offset, length, timestamp, size, at);
        schedule();
        return true;
      },
      room(sourceFull = false) {
        const spoolRoom = (): number => (spoolBytes() < spoolMax * 0.99 ? Infinity : 0);
        if (state === 'closed') return 0;
        if (state === 'spooling') return spoolRoom();
        if (state === 'replaying') return sourceFull ? Math.min(spoolRoom(), Math.floor(replayRoom)) : 0;
        if (queue.size() > 0) meanBytes = queue.bytes() / queue.size();
        return Math.max(0, Math.min(opts.maxQueued - queue.size(), Math.floor((cap.bytes() - queue.bytes()) / meanBytes)));
      },
      flush(timeoutMs) {
        const settled = (): boolean | undefined => {
          if (idle()) return true;
          if (spool && (!started || state === 'closed' || (kafkaAway && !inFlight))) return false;
          return undefined;
        };
        if (retryTimer && started && state !== 'closed') {
          // Kafka was away: try once more now rather than at the end of the back-off.
          clearTimeout(retryTimer);
          retryTimer = undefined;
          kafkaAway = false;
          schedule();
        }
        const done = waiters.wait(settled, timeoutMs, () => new Error(`${queue.size()} messages queued and ${spoolBytes()} spooled bytes left after ${timeoutMs} ms`));
        schedule();
        return done;
      },
      close() {
        if (state === 'closed') return;
        clearInterval(watchdog);
        if (lingerTimer) clearTimeout(lingerTimer);
        if (retryTimer) clearTimeout(retryTimer);
        if (spool) {
          // In memory state the spool is empty, so order holds. A request still in flight may yet
          // succeed: its messages are then sent twice (at-least-once).
          let kept = 0;
          for (const e of queue.drain()) {
            if (spool.append(toRecord(e.topic, e.message))) kept++;
            else stats.spoolDrops++;
          }
          if (kept) log.warn({ messages: kept }, 'undelivered messages left in the spool for the next start');
          spool.close();
        }
        fire('close');
        notify();
      },
      stats() {
        const s = spool?.stats();
        return {
          ...stats,
          state,
          queued: queue.size(),
          queuedBytes: queue.bytes(),
          queueCapBytes: Math.round(cap.bytes()),
          kafkaBytesPerSec: Math.round(cap.rate),
          spooling: offersGoToSpool(state),
          spooled: s?.appended ?? 0,
          spoolBytes: s?.bytes ?? 0,
          spoolCorrupt: s?.corrupt ?? 0,
        };
      },
    },
    { queued: () => queue.size(), state: () => state },
  );
}
