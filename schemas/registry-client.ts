/**
 * A client for the Confluent Schema Registry REST API (also served by Apicurio, Redpanda, Karapace):
 * register a writer schema under a subject, fetch a schema by id. HTTP only; caching, framing and
 * retry policy belong to the callers. Errors say whether a retry can help: the registry being
 * away (connection refused, timeout, 5xx, 429) is retriable; its refusal (409 incompatible, 422
 * invalid, 401/403, 404) is not, and carries the registry's own message.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { AuditError } from '../common/errors';

/** Where the registry is and how to reach it; the secrets were read from files or the environment. */
export interface SchemaRegistryConfig {
  /** Base URL, e.g. http://127.0.0.1:8081 or https://host/apis/ccompat/v7 (no credentials in it). */
  url: string;
  username?: string;
  password?: string;
  /** PEM CA certificate(s) that verify an https registry (default: the system CAs). */
  ca?: string;
  timeoutMs?: number;
}

export class RegistryError extends AuditError {
  constructor(
    message: string,
    /** HTTP status, or undefined when no answer came. */
    readonly status: number | undefined,
    /** The registry's error_code (Confluent: 40403 schema not found, 409 incompatible...). */
    readonly errorCode: number | undefined,
    opts: { retriable: boolean; cause?: unknown },
  ) {
    super(message, opts);
  }
}

export interface RegistryClient {
  readonly url: string;
  /** Register (or look up, if already there) an Avro schema under a subject; its global id. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema text (Avro JSON) with this id. */
  schemaById(id: number): Promise<string>;
  /** The subject's compatibility level, or the global one (BACKWARD, FULL, NONE ...). */
  compatibility(subject?: string): Promise<string>;
  setCompatibility(level: string, subject?: string): Promise<void>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export function createRegistryClient(cfg: SchemaRegistryConfig): RegistryClient {
  const base = new URL(cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`schema registry URL must be http or https, got ${base.protocol}`);
  const lib = base.protocol === 'https:' ? https : http;
  const agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true, ca: cfg.ca }) : new http.Agent({ keepAlive: true });
  const auth = cfg.username !== undefined ? `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}` : undefined;
  const timeoutMs = cfg.timeoutMs ?? 10000;
  const shown = base.href.replace(/\/$/, '');

  function request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { accept: `${CONTENT_TYPE}, application/json` };
    if (payload) Object.assign(headers, { 'content-type': CONTENT_TYPE, 'content-length': payload.length });
    if (auth) headers.authorization = auth;
    const what = `${method} ${shown}/${path}`;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new RegistryError(`${what}: ${err.message}`, undefined, undefined, { retriable: true, cause: err })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json);
          const { message, error_code: code } = (json ?? {}) as { message?: string; error_code?: number };
          const retriable = status >= 500 || status === 408 || status === 429;
          reject(new RegistryError(`${what}: HTTP ${status}: ${message ?? (text.slice(0, 300) || res.statusMessage)}`, status, code, { retriable }));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // TLS verification failures are configuration, not an outage: retrying will not help.
        const tls = /certificate|self.signed|unable to verify|SSL|TLS/i.test(`${err.code ?? ''} ${err.message}`);
        reject(new RegistryError(`${what}: ${err.code ?? err.message}${err.code ? ` (${err.message})` : ''}`, undefined, undefined, { retriable: !tls, cause: err }));
      });
      req.end(payload);
    });
  }

  const subjectPath = (subject: string): string => `subjects/${encodeURIComponent(subject)}`;

  return {
    url: shown,
    async register(subject, schema) {
      const r = (await request('POST', `${subjectPath(subject)}/versions`, { schema, schemaType: 'AVRO' })) as { id?: unknown };
      if (typeof r?.id !== 'number') throw new RegistryError(`POST ${shown}/${subjectPath(subject)}/versions: no id in the answer`, 200, undefined, { retriable: false });
      return r.id;
    },
    async schemaById(id) {
      const r = (await request('GET', `schemas/ids/${id}`)) as { schema?: unknown; schemaType?: unknown };
      if (typeof r?.schema !== 'string') throw new RegistryError(`GET ${shown}/schemas/ids/${id}: no schema in the answer`, 200, undefined, { retriable: false });
      if (r.schemaType !== undefined && r.schemaType !== 'AVRO') throw new RegistryError(`schema ${id} is ${String(r.schemaType)}, not Avro`, 200, undefined, { retriable: false });
      return r.schema;
    },
    async compatibility(subject) {
      const r = (await request('GET', subject === undefined ? 'config' : `config/${encodeURIComponent(subject)}`)) as { compatibilityLevel?: string; compatibility?: string };
      return r?.compatibilityLevel ?? r?.compatibility ?? '';
    },
    async setCompatibility(level, subject) {
      await request('PUT', subject === undefined ? 'config' : `config/${encodeURIComponent(subject)}`, { compatibility: level });
    },
  };
}
