/**
 * The web console's HTTP side against the real broker, through the CLI: security headers and a CSP
 * without inline script on the page and the API, the Host check, read-only methods, bounded query
 * parameters, the live stream (server-sent events) carrying events published to Kafka, a login by
 * token (Bearer, or as a browser's Basic password) with 401/429 otherwise, and HTTPS with a
 * certificate made here by openssl.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { withAdmin } from '../../common/admin';
import { createKafka } from '../../common/kafka';
import { createLogger } from '../../common/logger';
import { topicFor } from '../../common/topics';
import { createSchemaRegistry } from '../../schemas/registry';
import { BROKERS, CONSUMER_CLI, needsBroker, uniquePrefix } from '../helpers/env';
import { start } from '../helpers/proc';
import { fileEvent } from '../helpers/samples';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(url: string, opts: { headers?: Record<string, string>; method?: string; ca?: string } = {}): Promise<Res> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The first SSE messages of a stream until `done` says enough. */
function stream(url: string, done: (events: { type: string; data: unknown }[]) => boolean, timeoutMs = 30000): Promise<{ type: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; data: unknown }[] = [];
    const req = http.get(url, (res) => {
      let buf = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(msg)?.[1];
          const data = /^data: (.*)$/m.exec(msg)?.[1];
          if (type && data) events.push({ type, data: JSON.parse(data) });
        }
        if (done(events)) {
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    setTimeout(() => {
      req.destroy();
      reject(new Error(`stream: not done within ${timeoutMs} ms; got ${JSON.stringify(events).slice(0, 500)}`));
    }, timeoutMs).unref();
  });
}

function startWeb(prefix: string, extra: string[], env: Record<string, string> = {}) {
  const web = start(process.execPath, [CONSUMER_CLI, 'web', '--brokers', BROKERS, '--topic-prefix', prefix, '--listen', '127.0.0.1:0', '--db', '/nonexistent-store', ...extra], {
    env,
  });
  return web;
}
const urlOf = async (web: ReturnType<typeof start>): Promise<string> => /(https?:\/\/127\.0\.0\.1:\d+\/)/.exec(await web.waitForLine(/^ebpf-audit web console: http/, 30000))![1];

test('headers, Host check, methods, bounded parameters, and events from Kafka on the live stream', { timeout: 120000 }, async (t) => {
  if (await needsBroker(t)) return;
  const prefix = uniquePrefix('web-http');
  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'web-http-test', logger: createLogger({ name: 'test', level: 'silent' }) });
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: ['file', 'net', 'process', 'alerts', 'stats', 'schemas'].map((k) => ({ topic: `${prefix}.${k}`, numPartitions: 1 })) }),
  );
  const web = startWeb(prefix, []);
  t.after(() => web.stop('SIGKILL'));
  const url = await urlOf(web);
  await web.waitForLine(/\.file".*"msg":"subscribed"/, 60000, 'stderr');

  const page = await get(url);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.doesNotMatch(page.body, /<script>|\son[a-z]+=/, 'no inline script or handler in the page');
  const js = await get(`${url}assets/app.js`);
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal((await get(`${url}assets/..%2F..%2Fpackage.json`)).status, 404);
  const status = await get(`${url}api/status`);
  assert.equal(JSON.parse(status.body).topicPrefix, prefix);
  assert.match(String(status.headers['content-security-policy']), /default-src 'none'/);

  assert.equal((await get(`${url}api/status`, { headers: { host: 'evil.example:80' } })).status, 421, 'DNS rebinding guard');
  assert.equal((await get(`${url}api/status`, { method: 'POST' })).status, 405);
  assert.equal((await get(`${url}api/search?since=100d`)).status, 400);
  assert.equal((await get(`${url}api/search`)).status, 503, 'no store: said so');
  assert.match(JSON.parse((await get(`${url}api/search/top?field=secret`)).body).error, /field/);
  assert.deepEqual(JSON.parse((await get(`${url}api/validate?where=${encodeURIComponent('proc.name = cat and')}`)).body).ok, false);
  assert.equal(JSON.parse((await get(`${url}api/validate?where=${encodeURIComponent('open_write')}`)).body).ok, true, "the default pack's macros");
  assert.equal((await get(`${url}api/live?where=${encodeURIComponent('file.pth = 1')}`)).status, 400);

  // The live stream, filtered to one path: events published to Kafka arrive as rows.
  const registry = createSchemaRegistry();
  const producer = kafka.producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  const live = stream(`${url}api/live?where=${encodeURIComponent('file.path = /etc/wanted')}`, (evs) =>
    evs.some((e) => e.type === 'batch' && (e.data as { rows: unknown[] }).rows.length > 0),
  );
  await new Promise((r) => setTimeout(r, 500));
  const send = (p: string) =>
    producer.send({
      topic: topicFor(prefix, 'file'),
      messages: [{ key: 'host-1', value: registry.encode('file', { ...fileEvent, time_ns: BigInt(Date.now()) * 1_000_000n, path: p }) }],
    });
  const pump = setInterval(() => void send('/etc/unwanted').then(() => send('/etc/wanted')), 300);
  const got = await live.finally(() => clearInterval(pump));
  const rows = got.filter((e) => e.type === 'batch').flatMap((e) => (e.data as { rows: { detail: string }[] }).rows);
  assert.ok(rows.length > 0 && rows.every((r) => r.detail === '/etc/wanted'), JSON.stringify(rows));
  assert.equal(await web.stop('SIGINT'), 0);
});

test('login by token and HTTPS: 401 without, 200 with Bearer or Basic, 429 after many wrong ones', { timeout: 120000 }, async (t) => {
  if (await needsBroker(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-web-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { cwd: dir, stdio: 'ignore' },
  );
  const token = 'a-test-token-that-is-long-enough';
  fs.writeFileSync(path.join(dir, 'token'), `${token}\n`, { mode: 0o600 });
  const web = startWeb(uniquePrefix('web-auth'), [
    '--auth-token-file',
    path.join(dir, 'token'),
    '--https-cert',
    path.join(dir, 'cert.pem'),
    '--https-key',
    path.join(dir, 'key.pem'),
  ]);
  t.after(() => web.stop('SIGKILL'));
  const url = await urlOf(web);
  assert.match(url, /^https:/);
  const ca = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const none = await get(`${url}api/status`, { ca });
  assert.equal(none.status, 401);
  assert.match(String(none.headers['www-authenticate']), /^Basic realm="ebpf-audit"/);
  assert.equal((await get(url, { ca })).status, 401, 'the page too');
  assert.equal((await get(`${url}api/status`, { ca, headers: { authorization: `Bearer ${token}` } })).status, 200);
  const basic = await get(`${url}api/status`, { ca, headers: { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` } });
  assert.equal(basic.status, 200);
  assert.match(String(basic.headers['strict-transport-security']), /max-age=/);
  for (let i = 0; i < 20; i++) assert.equal((await get(`${url}api/status`, { ca, headers: { authorization: `Bearer wrong-${i}` } })).status, 401);
  assert.equal((await get(`${url}api/status`, { ca, headers: { authorization: `Bearer ${token}` } })).status, 429);
  assert.doesNotMatch(web.stderr(), new RegExp(token), 'the token is never logged');
  assert.match(web.stderr(), /"msg":"wrong credentials"/);
  assert.equal(await web.stop('SIGINT'), 0);
});
