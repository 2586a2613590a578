/**
 * The OpenSearch connection shared by `store` and `search`: nodes, TLS CA and credentials, read
 * from files, the environment or the config file (secret options), never from argv. The official client
 * (@opensearch-project/opensearch) keeps a pool of the nodes given: a node that stops answering is
 * set aside and tried again later, and a request goes to the next one.
 */
import * as fs from 'node:fs';
import type { Client } from '@opensearch-project/opensearch';
import type { Command } from 'commander';
import { ConfigError } from '../../../common/errors';
import { collect } from '../../../common/cli-options';
import { secretOption } from '../../../common/cli-config';

export const DEFAULT_OPENSEARCH_URL = 'http://127.0.0.1:9200';

export interface OpenSearchConnection {
  nodes: string[];
  /** PEM CA that verifies the nodes' certificates (default: the system CAs). */
  ca?: string;
  username?: string;
  password?: string;
  /** Sent as `Authorization: ApiKey <key>`. */
  apiKey?: string;
  requestTimeoutMs?: number;
}

export interface OpenSearchFlags {
  opensearchUrl: string[];
  opensearchCa?: string;
  opensearchUsername?: string;
  opensearchPasswordFile?: string;
  /** From the environment or the config file only (a secret option). */
  opensearchPassword?: string;
  opensearchApiKeyFile?: string;
  opensearchApiKey?: string;
}

export function addOpenSearchOptions(cmd: Command): Command {
  return cmd
    .option('--opensearch-url <urls>', `OpenSearch nodes, comma-separated, repeatable (default ${DEFAULT_OPENSEARCH_URL})`, collect, [])
    .option('--opensearch-ca <file>', 'PEM CA certificate(s) to verify the OpenSearch nodes with (default: the system CAs)')
    .option('--opensearch-username <name>', 'basic auth user')
    .option(
      '--opensearch-password-file <file>',
      'file holding the basic auth password (else env EBPF_AUDIT_OPENSEARCH_PASSWORD or "opensearch-password:" in the config file; never a flag)',
    )
    .addOption(secretOption('--opensearch-password <password>', 'basic auth password: environment or config file only'))
    .option('--opensearch-api-key-file <file>', 'file holding an API key, sent as "Authorization: ApiKey <key>" (else env EBPF_AUDIT_OPENSEARCH_API_KEY)')
    .addOption(secretOption('--opensearch-api-key <key>', 'API key: environment or config file only'));
}

function readFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const firstLine = (s: string): string => s.replace(/\r?\n$/, '');

export function openSearchConnection(o: OpenSearchFlags): OpenSearchConnection {
  const urls = o.opensearchUrl.length ? o.opensearchUrl : [DEFAULT_OPENSEARCH_URL];
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new ConfigError(`--opensearch-url: "${u}" is not a URL such as https://search-1:9200`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--opensearch-url: "${u}" must be http:// or https://`);
    // Credentials in a URL would show in `ps` and in logs.
    if (url.username || url.password)
      throw new ConfigError('--opensearch-url: no credentials in the URL; use --opensearch-username with --opensearch-password-file, or --opensearch-api-key-file');
  }
  const c: OpenSearchConnection = { nodes: urls };
  if (o.opensearchCa) c.ca = readFile('--opensearch-ca', o.opensearchCa);
  const username = o.opensearchUsername;
  const password = o.opensearchPasswordFile ? firstLine(readFile('--opensearch-password-file', o.opensearchPasswordFile)) : o.opensearchPassword;
  const apiKey = o.opensearchApiKeyFile ? firstLine(readFile('--opensearch-api-key-file', o.opensearchApiKeyFile)) : o.opensearchApiKey;
  if (apiKey && (o.opensearchUsername || o.opensearchPasswordFile))
    throw new ConfigError('--opensearch-api-key-file and basic auth (--opensearch-username/--opensearch-password-file) exclude each other');
  if (apiKey) c.apiKey = apiKey;
  else if (username || password) {
    if (!username) throw new ConfigError('an OpenSearch password needs --opensearch-username');
    if (!password) throw new ConfigError('--opensearch-username needs --opensearch-password-file or EBPF_AUDIT_OPENSEARCH_PASSWORD');
    c.username = username;
    c.password = password;
  }
  return c;
}

export function createOpenSearchClient(c: OpenSearchConnection): Client {
  // Loaded here, not at import: the client is ~0.2 s of CPU to load, and this module's options
  // are imported by every consumer command.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client: OpenSearchClient } = require('@opensearch-project/opensearch') as typeof import('@opensearch-project/opensearch');
  return new OpenSearchClient({
    nodes: c.nodes,
    ssl: c.ca ? { ca: c.ca } : undefined,
    auth: c.username !== undefined && c.password !== undefined ? { username: c.username, password: c.password } : undefined,
    headers: c.apiKey ? { authorization: `ApiKey ${c.apiKey}` } : undefined,
    requestTimeout: c.requestTimeoutMs ?? 60_000,
    // Connection errors try the next node; the bulk writer retries everything else itself.
    maxRetries: Math.max(1, c.nodes.length - 1),
    suggestCompression: false,
  });
}
