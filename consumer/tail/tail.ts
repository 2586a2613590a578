/** `tail`: print every event as its documented console line, in partition order. */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger';
import { EVENT_KINDS } from '../../common/topics';
import type { SchemaRegistry } from '../../schemas/registry';
import { createSubscriber } from '../core/subscriber';
import { formatLine } from './format';
import { createLineWriter } from './line-writer';

export interface TailOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  topicPrefix: string;
  fromBeginning: boolean;
  groupId?: string;
  out: NodeJS.WritableStream;
}

/** Runs until `stop` aborts or stdout closes. */
export async function runTail(opts: TailOptions, stop: AbortSignal): Promise<void> {
  // Ends on the caller's stop (Ctrl+C) or when stdout closes.
  const ctl = new AbortController();
  if (stop.aborted) ctl.abort();
  stop.addEventListener('abort', () => ctl.abort(), { once: true });
  const done = new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve(), { once: true }));
  const writer = createLineWriter({ stream: opts.out, onClosed: () => ctl.abort() });
  const sub = createSubscriber({
    kafka: opts.kafka,
    logger: opts.logger,
    registry: opts.registry,
    topicPrefix: opts.topicPrefix,
    kinds: EVENT_KINDS,
    groupId: opts.groupId,
    fromBeginning: opts.fromBeginning,
    onEvent: (ev) => writer.write(formatLine(ev)),
  });
  await Promise.race([sub.start(ctl.signal), done]);
  await done;
  await writer.flush();
  await sub.stop();
  opts.logger.info({ stats: sub.stats(), lines: writer.lines, stdoutClosed: writer.closed }, 'tail stopped');
}
