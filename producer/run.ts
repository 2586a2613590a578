/**
 * The producer's main job: wire kernel capture to Kafka, run until `stop` aborts, then shut down
 * in the order that loses nothing: detach programs, drain the ring, flush Kafka, free the maps.
 * Capture never waits for Kafka: programs attach first, topics are checked with the first send,
 * and until Kafka answers messages go to the spool (the publisher's age bound). That send starts
 * before the programs load, and the load leaves the event loop free (the verifier has a thread of
 * its own), so the topics are usually ready when capture begins.
 */
import { createKafka } from '../common/kafka';
import type { Logger } from '../common/logger';
import { BROKER_DEFAULTS, topicSpecs } from '../common/topic-admin';
import { schemasTopic, statsTopic, topicFor } from '../common/topics';
import { schemaMessage } from '../schemas/publication';
import { createSchemaRegistry, EVENT_SCHEMAS, type SchemaKind } from '../schemas/registry';
import { EVENT_KINDS, type EventKind } from '../schemas/types';
import { createCounterReader } from './bpf/counters';
import { createFilterMaps } from './bpf/filter-maps';
import { openBpfProbe } from './bpf/loader';
import { CLOCK_BOOTTIME, CLOCK_REALTIME, clockNs, fixMmapThreshold } from './bpf/native';
import { openRingReader } from './bpf/ringbuf';
import { readFilters, type ProducerConfig } from './config';
import { createBootClock } from './enrich/clock';
import { createEnricher } from './enrich/enricher';
import { openHostView } from './enrich/host-view';
import { createPipeline } from './pipeline';
import { createKafkaSender } from './publish/kafka-sender';
import { useSchemaRegistry } from './schema-registry';
import { createPublisher } from './publish/publisher';
import { openSpool } from './publish/spool';
import type { MetricsServer } from './metrics';
import { snapshot, startStatsReporter, toStatsEvent, type StatsSnapshot } from './stats';
import { withTopicsEnsured } from './topics-ready';

/**
 * Our loops own retries (the publisher's, the topic check's): kafkajs tries a connect or a
 * metadata refresh once (a send request up to three times within ~0.5 s: kafka-sender.ts), and
 * waits at most REQUEST_TIMEOUT_MS for any answer.
 */
const CLIENT_RETRY = { retries: 0 };
const REQUEST_TIMEOUT_MS = 10_000;

/** `onReload` registers what SIGHUP does: re-read the filter file and apply it in the kernel. */
export async function runProducer(cfg: ProducerConfig, logger: Logger, stop: AbortSignal, onReload: (fn: () => void) => void = () => undefined): Promise<void> {
  // Before the large buffers exist: see native.ts (part of the memory budget, README).
  if (!fixMmapThreshold()) logger.warn('mallopt(M_MMAP_THRESHOLD) refused: glibc may keep freed buffers in its heap');
  const { host, processes, containers, users } = openHostView({ procRoot: cfg.procRoot, hostId: cfg.hostId, hostName: cfg.hostName, logger });
  const registry = createSchemaRegistry();
  const topics = Object.fromEntries(EVENT_KINDS.map((k) => [k, topicFor(cfg.topicPrefix, k)])) as Record<EventKind, string>;
  logger.info({ host, topics, brokers: cfg.brokers }, 'starting');
  // With --schema-registry: schemas registered, Confluent framing (false: stopped while waiting for it).
  if (!(await useSchemaRegistry(cfg, registry, logger, stop))) return;

  const kafka = createKafka({
    brokers: cfg.brokers,
    clientId: cfg.clientId,
    logger,
    security: cfg.security,
    retry: CLIENT_RETRY,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    transientLevel: 'debug', // the publisher reports outages
  });
  let metrics: MetricsServer | undefined;
  const spool = openSpool({ dir: cfg.spoolDir, maxBytes: cfg.spoolMaxBytes, logger });
  const sender = createKafkaSender({ kafka, acks: cfg.acks, compression: cfg.compression });
  // The schemas topic must be created compacted before a send would auto-create it.
  const send = withTopicsEnsured(sender.send, { kafka, specs: topicSpecs(cfg.topicPrefix, BROKER_DEFAULTS), logger });
  const publisher = createPublisher({
    send,
    logger,
    spool,
    spoolMaxBytes: cfg.spoolMaxBytes,
    spoolAfterMs: cfg.spoolAfterMs,
    onSent: (ms) => metrics?.observeSend(ms),
    lingerMs: cfg.lingerMs,
    batchSize: cfg.batchSize,
    maxQueued: cfg.maxQueued,
    maxQueuedBytes: cfg.maxQueuedBytes,
  });
  // Our writer schemas, before any event that uses them (spooled like events if Kafka is away);
  // with --schema-registry they are in the registry instead.
  for (const kind of cfg.schemaRegistry ? [] : (Object.keys(EVENT_SCHEMAS) as SchemaKind[])) {
    const m = schemaMessage(registry.current(kind));
    publisher.offer(schemasTopic(cfg.topicPrefix), { key: m.key, value: m.value, timestamp: String(Date.now()) });
  }
  publisher.start();
  if (stop.aborted) {
    publisher.close();
    await sender.disconnect();
    logger.info('stopped before capture began');
    return;
  }

  processes.seed(); // just before attaching: what starts later comes as exec events
  const clock = createBootClock({ realtimeNs: () => clockNs(CLOCK_REALTIME), boottimeNs: () => clockNs(CLOCK_BOOTTIME) });
  logger.info({ errorNs: Number(clock.errorNs()) }, 'boot-to-wall clock offset measured');
  const clockTimer = setInterval(() => clock.refresh(), 60_000);
  clockTimer.unref();

  let filters: ReturnType<typeof createFilterMaps> | undefined;
  const probe = await openBpfProbe({
    objectPath: cfg.bpfObject,
    ringBytes: cfg.ringBytes,
    logger,
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
      logger.error({ err }, 'filter reload failed; the previous filters stay in force');
    }
  });
  const ring = openRingReader({ fd: probe.ringFd, size: probe.ringBytes });
  const counters = createCounterReader({ fd: probe.countersFd });
  const pipeline = createPipeline({
    ring,
    ringBytes: probe.ringBytes,
    registry,
    enricher: createEnricher({ host, clock, processes, containers, users }),
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
  // prom-client is loaded only with --metrics-port: 8-10 MiB of RSS a producer without metrics never uses.
  if (cfg.metricsPort !== undefined) metrics = await (await import('./metrics')).startMetricsServer({ port: cfg.metricsPort, host: cfg.metricsHost, sources, logger });
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
  // true: all in Kafka; false: Kafka is away (all goes to the spool); undefined: out of time.
  let delivered: boolean | undefined;
  try {
    // Whatever the kernel wrote before detach is still in the ring: send it too.
    while (ring.pending() > 0 && Date.now() < deadline) {
      if (pipeline.drainNow() === 0 && !(await publisher.flush(Math.max(1, deadline - Date.now())))) break;
    }
    delivered = await publisher.flush(Math.max(1, deadline - Date.now()));
  } catch (err) {
    logger.warn({ err }, 'shutdown timeout: undelivered messages stay in the spool for the next start');
  }
  while (ring.pending() > 0 && pipeline.drainNow(true) > 0); // what Kafka cannot take now goes to the spool
  stopStats();
  const final = snapshot(sources);
  publishStats(final, true);
  if (delivered) await publisher.flush(2000).catch(() => undefined);
  if (delivered === false)
    logger.warn({ spoolBytes: spool.stats().bytes, queued: publisher.queued }, 'Kafka unavailable at shutdown: undelivered messages stay in the spool for the next start');
  publisher.close(); // what is still in memory goes to the spool
  await sender.disconnect();
  logger.info({ stats: final, spool: spool.stats() }, 'final stats');
  await metrics?.close();
  clearInterval(clockTimer);
  users.close();
  ring.close();
  probe.close();
}
