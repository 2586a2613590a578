/**
 * The web console's security rules without a network: login checks (Basic, Bearer, the token as a
 * browser password, constant-time, throttled), the Host check against DNS rebinding, the listen
 * address rules (off loopback only with credentials; secrets never from argv), and every event
 * value shown as text on the page.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { createAuthenticator } from '../../consumer/web/auth';
import { CSP, hostAllowed, hostName } from '../../consumer/web/security';
import { isLoopback, parseListen, webConfig, type WebFlags } from '../../consumer/web/web-config';
import { CONSUMER_CLI } from '../helpers/env';

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

test('login: user and password, or the token (Bearer, or as a Basic password); wrong ones throttled per address', () => {
  let now = 0;
  const auth = createAuthenticator({ user: 'alice', password: 'correct horse', token: 'a-token-of-32-characters-or-so!!' }, () => now);
  assert.equal(auth.check(undefined, 'a'), 'missing');
  assert.equal(auth.check(basic('alice', 'correct horse'), 'a'), 'ok');
  assert.equal(auth.check('Bearer a-token-of-32-characters-or-so!!', 'a'), 'ok');
  assert.equal(auth.check(basic('anyone', 'a-token-of-32-characters-or-so!!'), 'a'), 'ok');
  assert.equal(auth.check(basic('alice', 'wrong'), 'a'), 'wrong');
  assert.equal(auth.check(basic('bob', 'correct horse'), 'a'), 'wrong');
  assert.equal(auth.check('Bearer nope', 'a'), 'wrong');
  assert.equal(auth.check('Digest x', 'a'), 'wrong');
  for (let i = 0; i < 30; i++) auth.check(basic('alice', `guess${i}`), 'b');
  assert.equal(auth.check(basic('alice', 'correct horse'), 'b'), 'throttled', 'even the right password waits out the window');
  assert.equal(auth.check(basic('alice', 'correct horse'), 'c'), 'ok', 'other addresses are not affected');
  now += 61_000;
  assert.equal(auth.check(basic('alice', 'correct horse'), 'b'), 'ok');
});

test('Host check: loopback names, the listen address and --allowed-host only', () => {
  assert.equal(hostName('127.0.0.1:8480'), '127.0.0.1');
  assert.equal(hostName('[::1]:8480'), '::1');
  assert.equal(hostName('Console.Example:443'), 'console.example');
  for (const h of ['127.0.0.1:8480', 'localhost:8480', '[::1]:8480', '127.0.0.2', 'app.localhost:1']) assert.equal(hostAllowed(h, '127.0.0.1', []), true, h);
  for (const h of ['evil.example:8480', 'evil.example', '10.0.0.1:8480', undefined]) assert.equal(hostAllowed(h, '127.0.0.1', []), false, String(h));
  assert.equal(hostAllowed('console.lan:8480', '127.0.0.1', ['console.lan']), true);
  assert.match(CSP, /script-src 'self'/);
  assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval/);
});

const flags = (o: Partial<WebFlags>): WebFlags => ({
  brokers: '127.0.0.1:9092',
  topicPrefix: 'p',
  clientId: 'c',
  logLevel: 'info',
  listen: '127.0.0.1:8480',
  db: '/nonexistent',
  queryTimeout: '10',
  maxRange: '31d',
  maxClients: '32',
  allowedHost: [],
  ...o,
});

test('listen address: loopback without credentials; any other needs them, which come from files or the environment', () => {
  assert.deepEqual(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(parseListen('[::]:8443'), { host: '::', port: 8443 });
  assert.deepEqual(parseListen('9000'), { host: '127.0.0.1', port: 9000 });
  assert.throws(() => parseListen('host:99999'), /--listen/);
  assert.equal(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'), true);
  assert.equal(isLoopback('0.0.0.0') || isLoopback('::') || isLoopback('10.0.0.1'), false);
  assert.equal(webConfig(flags({})).auth, undefined);
  assert.throws(() => webConfig(flags({ listen: '0.0.0.0:8480' })), /not a loopback address: set credentials/);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-web-cfg-'));
  try {
    const tokenFile = path.join(tmp, 'token');
    fs.writeFileSync(tokenFile, 'abcdefghijklmnopqrstuvwxyz012345\n');
    assert.equal(webConfig(flags({ listen: '0.0.0.0:8480', authTokenFile: tokenFile })).auth?.token, 'abcdefghijklmnopqrstuvwxyz012345');
    assert.throws(() => webConfig(flags({ listen: '0.0.0.0:8480', authToken: 'short' })), /at least 16/);
    assert.throws(() => webConfig(flags({ authUser: 'alice' })), /--auth-user needs/);
    assert.throws(() => webConfig(flags({ authPassword: 'long enough pw' })), /needs --auth-user/);
    assert.throws(() => webConfig(flags({ httpsCert: tokenFile })), /go together/);
    assert.throws(() => webConfig(flags({ maxRange: 'forever' })), /--max-range/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the CLI: a secret on the command line and an open address without login exit 2 and say why', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [CONSUMER_CLI, 'web', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  const argv = run(['--auth-token', 'abcdefghijklmnopqrstuvwxyz']);
  assert.equal(argv.status, 2);
  assert.match(argv.stderr, /--auth-token is never read from the command line/);
  const open = run(['--listen', '0.0.0.0:0']);
  assert.equal(open.status, 2);
  assert.match(open.stderr, /not a loopback address: set credentials/);
  const printed = run(['--print-config'], { EBPF_AUDIT_AUTH_TOKEN: 'abcdefghijklmnopqrstuvwxyz' });
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /auth-token: \*+ +# secret, env EBPF_AUDIT_AUTH_TOKEN/);
  assert.doesNotMatch(printed.stdout, /abcdefghijklmnop/);
});
