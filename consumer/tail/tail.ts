/** `tail`: print every event as its documented console line, in partition order. */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger';
import type { AuditEvent, EventKind } from '../../schemas/types';
import type { SchemaRegistry } from '../../schemas/registry';
import type { RegistryClient } from '../../schemas/registry-client';
import { createSubscriber } from '../core/input/subscriber';
import { usage } from '../core/usage';
import { formatLine } from '../core/output/line-format';
import { formatEcs, formatJson, toEcs } from '../core/output/json';
import { createLineWriter } from '../core/output/line-writer';
import { byteOut, putJson, putJsonLine, type ByteOut } from '../core/output/json-bytes';
import { compileJsonLine, type JsonTranscoder } from '../core/output/json-avro';
import type { TailOutput } from '../config';

export interface TailOptions {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  /** With --schema-registry: resolves the ids of Confluent-framed messages. */
  registryClient?: RegistryClient;
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
  /** Where a one-line summary goes at the end (the CLI passes stderr when it is a terminal). */
  summaryTo?: NodeJS.WritableStream;
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
  // JSON and ECS lines are written as bytes straight away (json-bytes.ts): the same text, cheaper.
  const bytes = opts.output === 'json' || opts.output === 'ecs' ? byteOut() : undefined;
  const putLine = opts.output === 'ecs' ? (ev: AuditEvent, o: ByteOut) => void putJson(o, toEcs(ev)) : putJsonLine;
  const shown: Record<EventKind, number> = { file: 0, net: 0, process: 0 };
  const filter = opts.filter;
  // Without a filter (which needs the record), JSON lines are written straight from the message's
  // Avro bytes (json-avro.ts): the same text, without decoding. Others are decoded as usual.
  const transcoders = new Map<EventKind, JsonTranscoder | undefined>();
  const transcoder = (kind: EventKind): JsonTranscoder | undefined => {
    if (!transcoders.has(kind)) transcoders.set(kind, compileJsonLine(kind, opts.registry.current(kind).type));
    return transcoders.get(kind);
  };
  const onValue =
    opts.output === 'json' && !filter
      ? (kind: EventKind, buf: Buffer, start: number, end: number): boolean | Promise<void> => {
          const at = opts.registry.currentBodyAt(kind, buf, start, end);
          const t = at < 0 ? undefined : transcoder(kind);
          if (!t) return false;
          // Written in place at the end of the output chunk (a line is mostly shorter than its message).
          const o = writer.lineOut(2 * (end - start));
          if (o && !t(o, buf, at, end)) return false;
          shown[kind]++;
          return (o && writer.commit(o)) ?? true;
        }
      : undefined;
  const sub = createSubscriber({
    kafka: opts.kafka,
    logger: opts.logger,
    registry: opts.registry,
    registryClient: opts.registryClient,
    topicPrefix: opts.topicPrefix,
    kinds: opts.kinds,
    groupId: opts.groupId,
    fromBeginning: opts.fromBeginning,
    sinceMs: opts.sinceMs,
    onEnd: opts.untilEnd ? () => ctl.abort() : undefined,
    onValue,
    onEvent: (ev) => {
      if (filter && !filter(ev)) return;
      shown[ev.kind]++;
      if (!bytes) return writer.write(format(ev));
      bytes.pos = 0;
      putLine(ev, bytes);
      return writer.writeBytes(bytes.buf, bytes.pos);
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.race([sub.start(ctl.signal), done]);
  await done;
  await writer.flush();
  await sub.stop();
  const stats = sub.stats();
  opts.logger.info({ stats, shown, lines: writer.lines, stdoutClosed: writer.closed, ...usage(t0, cpu0) }, 'tail stopped');
  opts.summaryTo?.write(`${summary(shown, stats.decoded, stats.malformed)}\n`);
}

/** What a person sees at Ctrl+C: lines by kind, what the filters hid, what could not be read. */
export function summary(shown: Record<EventKind, number>, decoded: number, malformed: number): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const total = shown.file + shown.net + shown.process;
  const hidden = decoded - total;
  return (
    `tail: ${n(total)} events shown (file ${n(shown.file)}, net ${n(shown.net)}, process ${n(shown.process)})` +
    `${hidden > 0 ? `, ${n(hidden)} filtered out` : ''}, ${n(malformed)} malformed`
  );
}
