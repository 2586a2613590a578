/**
 * A publisher over a scripted Kafka (`send`) and the real spool in a temporary directory, for the
 * unit tests of the delivery state machine and of overload. Small batches and quick retries; the
 * tests set the bounds they are about.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import type { DeliveryState } from '../../producer/publish/delivery-state';
import { createPublisher, type Publisher, type PublisherOptions } from '../../producer/publish/publisher';
import { openSpool, type Spool } from '../../producer/publish/spool';

export const quietLogger = pino({ level: 'silent' });

export interface HarnessOptions extends Partial<PublisherOptions> {
  send: PublisherOptions['send'];
  maxQueued: number;
  /** The spool's directory: a new temporary one by default; null: no spool. */
  spoolDir?: string | null;
}

export interface Harness {
  p: Publisher;
  spool?: Spool;
  /** The publisher's states, its first one and then each transition. */
  states: DeliveryState[];
}

export function publisherHarness(o: HarnessOptions): Harness {
  const { spoolDir, ...options } = o;
  const dir = spoolDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'ea-pub-')) : spoolDir;
  const spool = dir === null ? undefined : openSpool({ dir, maxBytes: 64 << 20, logger: quietLogger, flushMs: 10 });
  const states: DeliveryState[] = [];
  const p = createPublisher({
    logger: quietLogger,
    lingerMs: 0,
    batchSize: 50,
    spool,
    retryMinMs: 5,
    retryMaxMs: 20,
    onTransition: (_from, to) => void states.push(to),
    ...options,
  });
  states.push(p.state);
  return { p, spool, states };
}
