/**
 * The console's HTTP(S) server (fastify): security rules on every request (Host check, credentials,
 * read-only methods), security headers on every response, the built page from memory, and the
 * JSON API that routes.ts registers. Request logs are at debug level; failures at error.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '../../common/logger';
import type { Asset } from './assets';
import { createAuthenticator } from './auth';
import { hostAllowed, securityHeaders } from './security';
import type { WebAuth } from './web-config';

export interface ServerOptions {
  logger: Logger;
  host: string;
  port: number;
  https?: { cert: string; key: string };
  auth?: WebAuth;
  allowedHosts: string[];
  assets: Map<string, Asset>;
  /** Registers the API routes. */
  routes: (app: FastifyInstance) => void;
}

export interface WebServer {
  app: FastifyInstance;
  /** The URL people open (the bound port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

function urlOf(https: boolean, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return `${https ? 'https' : 'http'}://${h}:${port}/`;
}

export async function startServer(opts: ServerOptions): Promise<WebServer> {
  const log = opts.logger.child({ component: 'http' });
  const tls = opts.https !== undefined;
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key, minVersion: 'TLSv1.2' as const } } : {}),
    bodyLimit: 16 * 1024,
    // Requests are small GETs: a client that takes longer to send its headers is cut off.
    requestTimeout: 30_000,
    connectionTimeout: 0,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Live streams never end by themselves: a stop closes them.
    forceCloseConnections: true,
    exposeHeadRoutes: true,
  }) as unknown as FastifyInstance;
  const headers = securityHeaders(tls);
  const auth = opts.auth ? createAuthenticator(opts.auth) : undefined;

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply.code(405).header('allow', 'GET, HEAD').send({ error: 'the console only reads: GET and HEAD' });
    if (!auth && !hostAllowed(req.headers.host, opts.host, opts.allowedHosts)) {
      log.warn({ host: req.headers.host, from: req.ip }, 'request for an unknown Host refused (DNS rebinding guard; see --allowed-host)');
      return reply.code(421).send({ error: 'unknown Host: open the console by a loopback address, or start it with --allowed-host NAME' });
    }
    if (auth) {
      const r = auth.check(req.headers.authorization, req.ip);
      if (r === 'throttled') return reply.code(429).header('retry-after', '60').send({ error: 'too many failed logins from this address; wait a minute' });
      if (r !== 'ok') {
        if (r === 'wrong') log.warn({ from: req.ip, url: req.url.split('?')[0] }, 'wrong credentials');
        return reply.code(401).header('www-authenticate', 'Basic realm="ebpf-audit", charset="UTF-8"').send({ error: 'credentials needed' });
      }
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) log.error({ err, url: req.url.split('?')[0] }, 'request failed');
    void reply.code(status).send({ error: status >= 500 ? 'internal error (see the console log)' : err.message });
  });
  app.setNotFoundHandler((_req, reply) => void reply.code(404).send({ error: 'not found' }));

  const serve = (name: string) => (req: { headers: Record<string, string | string[] | undefined> }, reply: import('fastify').FastifyReply) => {
    const a = opts.assets.get(name);
    if (!a) return reply.code(404).send({ error: 'not found' });
    reply.header('content-type', a.type).header('etag', a.etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    return reply.send(a.body);
  };
  app.get('/', serve('index.html'));
  app.get<{ Params: { name: string } }>('/assets/:name', (req, reply) => serve(req.params.name === 'index.html' ? '' : req.params.name)(req, reply));
  opts.routes(app);

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { app, url: urlOf(tls, opts.host, port), close: () => app.close() };
}
