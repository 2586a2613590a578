/**
 * The web command's typed configuration, built from its CLI options and validated here: every bad
 * value is a ConfigError naming its flag (exit 2). The security rules live here too: a listen
 * address off loopback needs credentials, credentials come from files or the environment, and
 * HTTPS needs both a certificate and a key.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { ConfigError } from '../../common/errors';
import { parseDuration } from '../rules/aggregate';
import { commonConfig, type CommonConfig, type CommonFlags } from '../config';

export interface WebFlags extends CommonFlags {
  listen: string;
  db: string;
  authUser?: string;
  authPasswordFile?: string;
  /** Only from EBPF_AUDIT_AUTH_PASSWORD or the config file (secretOption). */
  authPassword?: string;
  authTokenFile?: string;
  /** Only from EBPF_AUDIT_AUTH_TOKEN or the config file (secretOption). */
  authToken?: string;
  httpsCert?: string;
  httpsKey?: string;
  queryTimeout: string;
  maxRange: string;
  maxClients: string;
  allowedHost: string[];
}

export interface WebAuth {
  user?: string;
  password?: string;
  token?: string;
}

export interface WebConfig extends CommonConfig {
  host: string;
  port: number;
  /** True when the address is a loopback one (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
  storeDir: string;
  auth?: WebAuth;
  https?: { cert: string; key: string };
  queryTimeoutMs: number;
  maxRangeMs: number;
  maxClients: number;
  /** Host header names accepted besides loopback names and the listen address (DNS rebinding guard). */
  allowedHosts: string[];
}

export const DEFAULT_LISTEN = '127.0.0.1:8480';
export const DEFAULT_STORE_DIR = '/var/lib/ebpf-audit/store';

/** host:port, [v6]:port or a bare port (loopback). */
export function parseListen(value: string): { host: string; port: number } {
  const bare = /^(\d{1,5})$/.exec(value);
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(bare ? bare[1] : m?.[3]);
  if ((!bare && !m) || port > 65535) throw new ConfigError(`--listen: "${value}" is not HOST:PORT, [IPV6]:PORT or PORT`);
  if (bare) return { host: '127.0.0.1', port };
  if (m![1] !== undefined && !net.isIPv6(m![1])) throw new ConfigError(`--listen: "${m![1]}" is not an IPv6 address`);
  return { host: m![1] ?? m![2], port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

function readSecret(flag: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (!value) throw new ConfigError(`${flag} ${file}: the file is empty`);
  return value;
}

function authOf(o: WebFlags): WebAuth | undefined {
  if (o.authPasswordFile && o.authPassword) throw new ConfigError('--auth-password-file and auth-password (environment or file) exclude each other');
  if (o.authTokenFile && o.authToken) throw new ConfigError('--auth-token-file and auth-token (environment or file) exclude each other');
  const password = o.authPasswordFile ? readSecret('--auth-password-file', o.authPasswordFile) : o.authPassword || undefined;
  const token = o.authTokenFile ? readSecret('--auth-token-file', o.authTokenFile) : o.authToken || undefined;
  if (password !== undefined && !o.authUser) throw new ConfigError('a password needs --auth-user');
  if (o.authUser && password === undefined) throw new ConfigError('--auth-user needs --auth-password-file or EBPF_AUDIT_AUTH_PASSWORD');
  // A short secret is guessable over the network; refuse it rather than hope.
  if (token !== undefined && token.length < 16) throw new ConfigError('the auth token must be at least 16 characters');
  if (password !== undefined && password.length < 8) throw new ConfigError('the auth password must be at least 8 characters');
  if (password === undefined && token === undefined) return undefined;
  return { user: o.authUser, password, token };
}

function positive(flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new ConfigError(`--${flag}: "${v}" is not a positive whole number`);
  return Number(v);
}

export function webConfig(o: WebFlags): WebConfig {
  const common = commonConfig(o, {});
  const { host, port } = parseListen(o.listen);
  const loopback = isLoopback(host);
  const auth = authOf(o);
  if (!loopback && !auth) {
    throw new ConfigError(
      `--listen ${o.listen} is not a loopback address: set credentials (--auth-token-file or EBPF_AUDIT_AUTH_TOKEN, or --auth-user with --auth-password-file or EBPF_AUDIT_AUTH_PASSWORD)`,
    );
  }
  if (!!o.httpsCert !== !!o.httpsKey) throw new ConfigError('--https-cert and --https-key go together');
  const https = o.httpsCert && o.httpsKey ? { cert: readSecret('--https-cert', o.httpsCert), key: readSecret('--https-key', o.httpsKey) } : undefined;
  const maxRangeMs = parseDuration(o.maxRange);
  if (!maxRangeMs) throw new ConfigError(`--max-range: "${o.maxRange}" is not a duration such as 7d or 12h`);
  for (const h of o.allowedHost) if (!/^[A-Za-z0-9.:[\]-]+$/.test(h)) throw new ConfigError(`--allowed-host: "${h}" is not a host name or address`);
  return {
    ...common,
    host,
    port,
    loopback,
    storeDir: o.db,
    auth,
    https,
    queryTimeoutMs: positive('query-timeout', o.queryTimeout) * 1000,
    maxRangeMs,
    maxClients: positive('max-clients', o.maxClients),
    allowedHosts: o.allowedHost.map((h) => h.toLowerCase()),
  };
}
