/**
 * The producer's main job: wire kernel capture to Kafka, run until `stop` aborts, then shut down
 * in the order that loses nothing: detach programs, drain the ring, flush Kafka, free the maps.
 */
import { errorMessage } from '../common/errors';
import { createKafka } from '../common/kafka';
import type { Logger } from '../common/logger';
import { BROKER_DEFAULTS, ensureTopics, topicSpecs } from '../common/topic-admin';
import { schemasTopic, statsTopic, topicFor } from '../common/topics';
import { schemaMessage } from '../schemas/publication';
import { createSchemaRegistry, EVENT_SCHEMAS, type SchemaKind } from '../schemas/registry';
import { EVENT_KINDS, type EventKind } from '../schemas/types';
import { createCounterReader } from './bpf/counters';
import { createFilterMaps } from './bpf/filter-maps';
import { openBpfProbe } from './bpf/loader';
import { CLOCK_BOOTTIME, CLOCK_REALTIME, clockNs } from './bpf/native';
import { openRingReader } from './bpf/ringbuf';
import { readFilters, type ProducerConfig } from './config';
import { createBootClock } from './enrich/clock';
import { createEnricher } from './enrich/enricher';
import { openHostView } from './enrich/host-view';
import { createPipeline } from './pipeline';
import { useSchemaRegistry } from './schema-registry';
import { createPublisher } from './publish/publisher';
import { openSpool } from './publish/spool';
import { startMetricsServer, type MetricsServer } from './metrics';
import { snapshot, startStatsReporter, toStatsEvent, type StatsSnapshot } from './stats';

/** `onReload` registers what SIGHUP does: re-read the filter file and apply it in the kernel. */
export async function runProducer(
  cfg: ProducerConfig,
  logger: Logger,
  stop: AbortSignal,
  onReload: (fn: () => void) => void = () => undefined,
): Promise<void> {
  const { host, processes, containers } = openHostView({ procRoot: cfg.procRoot, hostId: cfg.hostId, hostName: cfg.hostName, logger });
  const registry = createSchemaRegistry();
  const topics = Object.fromEntries(EVENT_KINDS.map((k) => [k, topicFor(cfg.topicPrefix, k)])) as Record<EventKind, string>;
  logger.info({ host, topics, brokers: cfg.brokers }, 'starting');
  // With --schema-registry: schemas registered, Confluent framing (false: stopped while waiting for it).
  if (!(await useSchemaRegistry(cfg, registry, logger, stop))) return;

  const kafka = createKafka({ brokers: cfg.brokers, clientId: cfg.clientId, logger, security: cfg.security });
  let metrics: MetricsServer | undefined;
  const spool = openSpool({ dir: cfg.spoolDir, maxBytes: cfg.spoolMaxBytes, logger });
  const publisher = createPublisher({
    kafka,
    logger,
    spool,
    spoolMaxBytes: cfg.spoolMaxBytes,
    onSent: (ms) => metrics?.observeSend(ms),
    acks: cfg.acks,
    lingerMs: cfg.lingerMs,
    batchSize: cfg.batchSize,
    maxQueued: cfg.maxQueued,
    compression: cfg.compression,
  });
  try {
    await ensureTopics(kafka, topicSpecs(cfg.topicPrefix, BROKER_DEFAULTS), logger);
  } catch (err) {
    // The broker may be away: capture starts anyway (into the spool); auto-creation or the
    // topics command covers the topics.
    logger.warn({ err: errorMessage(err) }, 'could not check or create topics');
  }
  await publisher.connect();
  // Our writer schemas, before any event that uses them (spooled like events if Kafka is away);
  // with --schema-registry they are in the registry instead.
  for (const kind of cfg.schemaRegistry ? [] : (Object.keys(EVENT_SCHEMAS) as SchemaKind[])) {
    const m = schemaMessage(registry.current(kind));
    publisher.offer(schemasTopic(cfg.topicPrefix), { key: m.key, value: m.value, timestamp: String(Date.now()) });
  }

  processes.seed(); // just before attaching: what starts later comes as exec events
  const clock = createBootClock({ realtimeNs: () => clockNs(CLOCK_REALTIME), boottimeNs: () => clockNs(CLOCK_BOOTTIME) });
  logger.info({ errorNs: Number(clock.errorNs) }, 'boot-to-wall clock offset measured');
  const clockTimer = setInterval(() => clock.refresh(), 60_000);
  clockTimer.unref();

  let filters: ReturnType<typeof createFilterMaps> | undefined;
  const probe = openBpfProbe({
    objectPath: cfg.bpfObject,
    ringBytes: cfg.ringBytes,
    logger,
    excludeTgids: [process.pid],
    syscallHooks: cfg.syscallHooks,
    beforeAttach: (mapFd) => {
      filters = createFilterMaps({ mapFd, logger });
      filters.apply(readFilters(cfg));
    },
  });
  onReload(() => {
    try {
      filters?.apply(readFilters(cfg));
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'filter reload failed; the previous filters stay in force');
    }
  });
  const ring = openRingReader({ fd: probe.ringFd, size: probe.ringBytes });
  const counters = createCounterReader({ fd: probe.countersFd });
  const pipeline = createPipeline({
    ring,
    registry,
    enricher: createEnricher({ host, clock, processes, containers }),
    publisher,
    topics,
    hostId: host.id,
    logger,
    drainIntervalMs: cfg.drainIntervalMs,
    maxPerDrain: cfg.maxPerDrain,
  });
  const sources = { kernel: counters.read, pipeline: pipeline.stats, publisher: publisher.stats, processes };
  const startedNs = clockNs(CLOCK_REALTIME);
  const publishStats = (snap: StatsSnapshot, final: boolean): void => {
    const ev = toStatsEvent(snap, { timeNs: clockNs(CLOCK_REALTIME), host, startedNs, final });
    publisher.offer(statsTopic(cfg.topicPrefix), { key: host.id, value: registry.encode('stats', ev) });
  };
  if (cfg.metricsPort !== undefined) metrics = await startMetricsServer({ port: cfg.metricsPort, host: cfg.metricsHost, sources, logger });
  const stopStats = startStatsReporter(sources, { intervalMs: cfg.statsIntervalMs, logger, publish: (snap) => publishStats(snap, false) });
  pipeline.start();
  logger.info('capturing');

  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });

  logger.info('stopping: detaching programs, draining the ring buffer, flushing to Kafka');
  pipeline.stop();
  probe.detach();
  const deadline = Date.now() + cfg.shutdownTimeoutMs;
  try {
    // Whatever the kernel wrote before detach is still in the ring: send it too.
    while (ring.pending() > 0 && Date.now() < deadline) {
      if (pipeline.drainNow() === 0) await publisher.flush(Math.max(1, deadline - Date.now()));
    }
    await publisher.flush(Math.max(1, deadline - Date.now()));
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'shutdown timeout: undelivered messages stay in the spool for the next start');
  }
  stopStats();
  const final = snapshot(sources);
  publishStats(final, true);
  await publisher.flush(2000).catch(() => undefined);
  await publisher.disconnect(); // what is still in memory goes to the spool
  logger.info({ stats: final, spool: spool.stats() }, 'final stats');
  await metrics?.close();
  clearInterval(clockTimer);
  ring.close();
  probe.close();
}
