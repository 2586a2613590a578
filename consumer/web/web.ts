/**
 * `web`: the console. Two Kafka subscribers feed it live: the event topics from now on (the live
 * page, host rates), and the alerts and stats topics from a day back (the alerts page before the
 * store has them, the hosts page). History comes from the store. The HTTP server starts first, so
 * the console answers (history, hosts) even while Kafka is away.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger';
import { EVENT_KINDS } from '../../schemas/types';
import type { SchemaRegistry } from '../../schemas/registry';
import type { StatsEvent } from '../../schemas/types';
import { createSubscriber, type Subscriber } from '../core/input/subscriber';
import { alertFromAvro } from '../detect/alert-format';
import { createAlertRing } from './alert-ring';
import { loadAssets } from './assets';
import { alertRow } from './event-row';
import { createHostTable } from './host-table';
import { createLiveHub } from './live-hub';
import { registerRoutes } from './routes';
import { securityHeaders } from './security';
import { startServer } from './server';
import type { StoreBackend } from './store-backend';
import type { WebConfig } from './web-config';

export interface WebOptions extends Pick<WebConfig, 'host' | 'port' | 'https' | 'auth' | 'loopback' | 'allowedHosts' | 'maxRangeMs' | 'maxClients' | 'storeDir' | 'topicPrefix'> {
  kafka: Kafka;
  logger: Logger;
  registry: SchemaRegistry;
  store: StoreBackend;
  /** Where the startup line goes (stdout). */
  out: NodeJS.WritableStream;
  version: string;
  /** The page's built files (default: dist/web). */
  assetsDir?: string;
  /** How far back alerts and stats are read at start. */
  historyMs?: number;
}

const DAY_MS = 86_400_000;

export async function runWeb(opts: WebOptions, stop: AbortSignal): Promise<void> {
  const log = opts.logger;
  const assets = loadAssets(opts.assetsDir);
  const hub = createLiveHub({ maxClients: opts.maxClients });
  const hosts = createHostTable();
  const alerts = createAlertRing();
  const common = { kafka: opts.kafka, logger: log, registry: opts.registry, topicPrefix: opts.topicPrefix };
  const events = createSubscriber({
    ...common,
    kinds: EVENT_KINDS,
    onEvent: (ev) => {
      hub.publish(ev);
      hosts.observe(ev);
    },
  });
  const side = createSubscriber<'alert' | 'stats'>({
    ...common,
    kinds: ['alert', 'stats'],
    sinceMs: Date.now() - (opts.historyMs ?? DAY_MS),
    onEvent: (rec) => {
      if (rec.kind === 'stats') hosts.observeStats(rec.event as StatsEvent);
      else {
        const row = alertRow(alertFromAvro(rec.event as Record<string, unknown>));
        alerts.add(row);
        hub.publishAlert(row);
      }
    },
  });

  const server = await startServer({
    logger: log,
    host: opts.host,
    port: opts.port,
    https: opts.https,
    auth: opts.auth,
    allowedHosts: opts.allowedHosts,
    assets,
    routes: (app) =>
      registerRoutes(app, {
        hub,
        hosts,
        alerts,
        store: opts.store,
        storeDir: opts.storeDir,
        maxRangeMs: opts.maxRangeMs,
        headers: securityHeaders(opts.https !== undefined),
        status: () => {
          const a = events.stats();
          const b = side.stats();
          return { version: opts.version, topicPrefix: opts.topicPrefix, auth: opts.auth !== undefined, received: a.received + b.received, malformed: a.malformed + b.malformed };
        },
      }),
  });
  const how = opts.auth ? `login required${opts.https ? '' : ', no TLS: put it behind HTTPS'}` : 'no login: loopback only';
  opts.out.write(`ebpf-audit web console: ${server.url} (${how}; store ${opts.store.available() ? opts.storeDir : `${opts.storeDir}, not there yet`})\n`);
  log.info({ url: server.url, auth: opts.auth !== undefined, tls: opts.https !== undefined, store: opts.storeDir }, 'web console listening');
  if (!opts.loopback && !opts.https)
    log.warn('listening off loopback without TLS: credentials and events cross the network in clear text (use --https-cert/--https-key or a TLS proxy)');

  // Seed the hosts page with each host's last stored event, so a silent host shows even now.
  if (opts.store.available()) {
    opts.store.lastEvents().then(
      (rows) => rows.forEach((r) => hosts.seedLastEvent(r.hostId, r.host, r.ns)),
      (err: unknown) => log.warn({ err }, 'could not read the last stored events'),
    );
  }

  const running: Subscriber[] = [];
  const startSub = (s: Subscriber, what: string): void => {
    running.push(s);
    s.start(stop).catch((err: unknown) => log.error({ err, what }, 'Kafka subscription failed; the live pages stay empty'));
  };
  startSub(events, 'events');
  startSub(side, 'alerts and stats');

  await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve(), { once: true })));
  log.info('stopping');
  hub.stop();
  await server.close();
  await Promise.allSettled(running.map((s) => s.stop()));
  await opts.store.close();
  log.info({ events: events.stats(), side: side.stats() }, 'web console stopped');
}
