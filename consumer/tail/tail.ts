/** `tail`: print every event as its documented console line, in partition order. */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger';
import type { AuditEvent, EventKind } from '../../schemas/types';
import type { SchemaRegistry } from '../../schemas/registry';
import { createSubscriber } from '../core/input/subscriber';
import { usage } from '../core/usage';
import { formatLine } from '../core/output/line-format';
import { formatEcs, formatJson } from '../core/output/json';
import { createLineWriter } from '../core/output/line-writer';
import type { TailOutput } from '../config';

export interface TailOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  topicPrefix: string;
  fromBeginning: boolean;
  sinceMs?: number;
  groupId?: string;
  out: NodeJS.WritableStream;
  output: TailOutput;
  kinds: readonly EventKind[];
  filter?: (ev: AuditEvent) => boolean;
  /** Stop once the topics are read up to where they ended at start. */
  untilEnd?: boolean;
}

const FORMATS: Record<TailOutput, (ev: AuditEvent) => string> = { text: formatLine, json: formatJson, ecs: formatEcs };

/** Runs until `stop` aborts or stdout closes. */
export async function runTail(opts: TailOptions, stop: AbortSignal): Promise<void> {
  // Ends on the caller's stop (Ctrl+C) or when stdout closes.
  const ctl = new AbortController();
  if (stop.aborted) ctl.abort();
  stop.addEventListener('abort', () => ctl.abort(), { once: true });
  const done = new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve(), { once: true }));
  const writer = createLineWriter({ stream: opts.out, onClosed: () => ctl.abort() });
  const format = FORMATS[opts.output];
  const filter = opts.filter;
  const sub = createSubscriber({
    kafka: opts.kafka,
    logger: opts.logger,
    registry: opts.registry,
    topicPrefix: opts.topicPrefix,
    kinds: opts.kinds,
    groupId: opts.groupId,
    fromBeginning: opts.fromBeginning,
    sinceMs: opts.sinceMs,
    onEnd: opts.untilEnd ? () => ctl.abort() : undefined,
    onEvent: (ev) => {
      if (filter && !filter(ev)) return;
      return writer.write(format(ev));
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.race([sub.start(ctl.signal), done]);
  await done;
  await writer.flush();
  await sub.stop();
  opts.logger.info({ stats: sub.stats(), lines: writer.lines, stdoutClosed: writer.closed, ...usage(t0, cpu0) }, 'tail stopped');
}
