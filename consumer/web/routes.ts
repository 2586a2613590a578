/**
 * The JSON API under /api that the pages use (documented in the README). Live data comes from the
 * hub (Kafka), history from the store backend; every query is bounded in range, rows and time.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { FIELDS } from '../rules/fields';
import { SEVERITIES } from '../rules/loader';
import type { AlertQuery, AlertRing } from './alert-ring';
import type { StatusResponse } from './api-types';
import { compileCondition, ConditionRejected } from './condition';
import type { HostTable } from './host-table';
import type { LiveHub } from './live-hub';
import { BadRequest, count, kinds, list, one, range, type Query } from './query-params';
import { openSse } from './sse';
import { StoreError, type StoreBackend, type StoreFilter } from './store-backend';

export interface RoutesOptions {
  hub: LiveHub;
  hosts: HostTable;
  alerts: AlertRing;
  store: StoreBackend;
  storeDir: string;
  maxRangeMs: number;
  headers: Record<string, string>;
  status: () => Omit<StatusResponse, 'store' | 'live'> & { received: number; malformed: number };
}

/** Fields the top-N panels may group by. */
export const TOP_FIELDS = ['proc.exepath', 'proc.name', 'file.path', 'net.dst_ip', 'net.dst_port', 'host.name', 'evt.type', 'proc.uid', 'container.id'];

const MAX_PAGE = 500;
const MAX_EXPORT = 100_000;

function fail(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof ConditionRejected) return reply.code(400).send(err.detail);
  if (err instanceof StoreError) return reply.code(err.statusCode).send({ error: err.message, col: err.col });
  if (err instanceof BadRequest) return reply.code(400).send({ error: err.message });
  throw err;
}

export function registerRoutes(app: FastifyInstance, o: RoutesOptions): void {
  const needStore = (): void => {
    if (!o.store.available()) throw new StoreError(503, `no store at ${o.storeDir}: run "ebpf-audit-consumer store --db ${o.storeDir}" (or start the console with --db DIR)`);
  };
  const filterOf = (q: Query): StoreFilter => {
    const where = one(q, 'where');
    compileCondition(where); // the same errors as the live filter, with their column, before any query
    return { where: where?.trim() ? where : undefined, kinds: kinds(q), hosts: list(q, 'hosts'), ...range(q, o.maxRangeMs) };
  };
  type Q = { Querystring: Query };

  app.get('/api/status', async (): Promise<StatusResponse> => {
    const s = o.status();
    return {
      ...s,
      store: { dir: o.storeDir, available: o.store.available(), days: o.store.available() ? o.store.days() : 0 },
      live: { clients: o.hub.stats().clients, received: s.received, malformed: s.malformed },
    };
  });

  app.get('/api/fields', async () => ({
    fields: [...FIELDS.values()].map((f) => ({ name: f.name, type: f.type, doc: f.doc, kinds: f.kinds })),
    top: TOP_FIELDS,
    severities: SEVERITIES,
  }));

  // A check, not a query: a condition that does not compile is a normal answer (200, ok: false).
  app.get<Q>('/api/validate', async (req) => {
    try {
      const c = compileCondition(one(req.query, 'where'));
      return { ok: true, kinds: c ? [...c.kinds] : ['file', 'net', 'process'] };
    } catch (err) {
      if (err instanceof ConditionRejected) return { ok: false, ...err.detail };
      throw err;
    }
  });

  app.get<Q>('/api/live', (req, reply) => {
    let filter;
    try {
      const cond = compileCondition(one(req.query, 'where'));
      filter = { kinds: new Set(kinds(req.query)), hosts: new Set(list(req.query, 'hosts')), cond, events: one(req.query, 'events') !== '0' };
    } catch (err) {
      fail(reply, err);
      return;
    }
    const stream = openSse(reply, o.headers);
    const detach = o.hub.attach(filter, (type, data) => stream.send(type, data));
    if (!detach) {
      stream.send('status', { error: 'too many live pages are open (--max-clients)' });
      reply.raw.end();
      return;
    }
    stream.onClose(detach);
  });

  app.get('/api/hosts', async () => ({ hosts: o.hosts.rows(), now: String(BigInt(Date.now()) * 1_000_000n) }));

  app.get<Q>('/api/alerts', async (req, reply) => {
    try {
      const r = range(req.query, o.maxRangeMs);
      const q: AlertQuery = {
        ...r,
        severities: list(req.query, 'severity'),
        rules: list(req.query, 'rule'),
        hosts: list(req.query, 'hosts'),
        limit: count(req.query, 'limit', 200, MAX_PAGE),
      };
      for (const s of q.severities) if (!(SEVERITIES as readonly string[]).includes(s)) throw new BadRequest(`severity: "${s}" is not one of ${SEVERITIES.join(', ')}`);
      if (o.store.available() && one(req.query, 'source') !== 'live') return await o.store.alerts(q);
      return o.alerts.query(q);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get<Q>('/api/search', async (req, reply) => {
    try {
      const f = filterOf(req.query); // a bad request is a 400 whether or not there is a store
      needStore();
      return await o.store.search(f, count(req.query, 'limit', 100, MAX_PAGE), one(req.query, 'cursor'));
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get<Q>('/api/search/histogram', async (req, reply) => {
    try {
      const f = filterOf(req.query);
      needStore();
      return await o.store.histogram(f, count(req.query, 'buckets', 60, 500));
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get<Q>('/api/search/top', async (req, reply) => {
    try {
      const field = one(req.query, 'field') ?? '';
      if (!TOP_FIELDS.includes(field)) throw new BadRequest(`field: "${field}" is not one of ${TOP_FIELDS.join(', ')}`);
      const f = filterOf(req.query);
      needStore();
      return await o.store.top(f, field, count(req.query, 'n', 10, 100));
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get<Q>('/api/search/export', async (req, reply) => {
    let f: StoreFilter;
    let format: 'csv' | 'jsonl';
    let limit: number;
    try {
      f = filterOf(req.query);
      needStore();
      const fmt = one(req.query, 'format') ?? 'csv';
      if (fmt !== 'csv' && fmt !== 'jsonl') throw new BadRequest(`format: "${fmt}" is not csv or jsonl`);
      format = fmt;
      limit = count(req.query, 'limit', MAX_EXPORT, MAX_EXPORT);
    } catch (err) {
      return fail(reply, err);
    }
    reply.hijack();
    const res = reply.raw;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    res.writeHead(200, {
      ...o.headers,
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="ebpf-audit-${stamp}.${format === 'csv' ? 'csv' : 'jsonl'}"`,
      'cache-control': 'no-store',
    });
    const write = (chunk: string): Promise<void> =>
      new Promise((resolve, reject) => {
        if (res.destroyed) return reject(new Error('the client went away'));
        if (res.write(chunk)) resolve();
        else res.once('drain', resolve);
      });
    try {
      await o.store.export(f, format, limit, write);
    } catch (err) {
      app.log.warn({ err }, 'export ended early');
    }
    res.end();
  });

  app.get<Q>('/api/process', async (req, reply) => {
    try {
      const host = one(req.query, 'host');
      const pid = one(req.query, 'pid');
      const start = one(req.query, 'start');
      if (!host) throw new BadRequest('host: give a host id or name');
      if (!pid || !/^\d{1,10}$/.test(pid)) throw new BadRequest('pid: give a process id');
      if (start !== undefined && start !== '' && !/^\d{1,20}$/.test(start)) throw new BadRequest('start: the process start time in ns since boot');
      needStore();
      const story = await o.store.story({ host, pid: Number(pid), startNs: start ? BigInt(start) : undefined }, count(req.query, 'limit', 1000, 5000));
      if (!story) return reply.code(404).send({ error: `no process ${pid} on ${host} in the store` });
      return story;
    } catch (err) {
      return fail(reply, err);
    }
  });
}
