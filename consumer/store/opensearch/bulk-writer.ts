/**
 * Documents to OpenSearch with the bulk API, nothing lost and memory bounded.
 *
 * Documents gather into a request until it holds `maxBytes`; then it is sent while the next one
 * fills, with at most `maxInFlight` requests out at once. When that many are out and the next is
 * full, `add` returns a promise: the caller (the Kafka consumer) waits, so a slow or absent cluster
 * slows consumption instead of growing memory. `flush` sends what is gathered and resolves once
 * every document added so far is acknowledged: only then may the caller commit its offsets.
 *
 * A request that fails as a whole (no answer, 429, 5xx) is sent again, with exponential backoff
 * and no limit but the caller's stop. Of a partial failure only the failed items are sent again. An
 * item the cluster refuses for good (a 400: the mapping rejects it) is counted, logged with the
 * document, and dropped: retrying cannot help and must not hold up the partition.
 */
import type { Client } from '@opensearch-project/opensearch';
import { errorMessage } from '../../../common/errors';
import type { Logger } from '../../../common/logger';

export interface BulkWriterOptions {
  client: Client;
  logger: Logger;
  /** A request is sent once it holds this many bytes of NDJSON. */
  maxBytes?: number;
  maxInFlight?: number;
  /** Backoff between tries of a failed request: starts at minBackoffMs, doubles, up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Aborting it ends every wait: flush rejects with StoppedError, nothing is reported done. */
  stop: AbortSignal;
}

export interface BulkStats {
  /** Documents acknowledged (created or overwritten). */
  indexed: number;
  /** Of those, documents that already existed: a redelivery overwrote itself. */
  overwritten: number;
  /** Refused for good (mapping): logged and dropped. */
  rejected: number;
  requests: number;
  /** Requests (or their failed items) sent again. */
  retries: number;
  inFlight: number;
  /** Bytes gathered or out, not yet acknowledged. */
  pendingBytes: number;
}

export interface BulkWriter {
  /** Gather one document; a returned promise means: wait before adding more. */
  add(index: string, id: string, sourceJson: string): void | Promise<void>;
  /** Send what is gathered; resolves when everything added so far is acknowledged. */
  flush(): Promise<void>;
  stats(): BulkStats;
}

export class StoppedError extends Error {
  constructor() {
    super('stopped before the documents were acknowledged');
  }
}

interface Item {
  action: string;
  source: string;
  bytes: number;
}

interface BulkItemResult {
  status: number;
  result?: string;
  error?: { type?: string; reason?: string; caused_by?: { reason?: string } };
}

/** Item statuses that trying again can fix: overload, a moving shard, a full disk being freed, a missing index about to be created. */
function retriable(status: number): boolean {
  return status === 429 || status >= 500 || status === 408 || status === 403 || status === 404 || status === 409;
}

export function createBulkWriter(opts: BulkWriterOptions): BulkWriter {
  const log = opts.logger.child({ component: 'bulk' });
  const maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
  const maxInFlight = opts.maxInFlight ?? 2;
  const minBackoff = opts.minBackoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const stats: BulkStats = { indexed: 0, overwritten: 0, rejected: 0, requests: 0, retries: 0, inFlight: 0, pendingBytes: 0 };
  let gathered: Item[] = [];
  let gatheredBytes = 0;
  const out = new Set<Promise<void>>();
  /** A send that failed for good (stopped): flush reports it. */
  let broken: unknown;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (opts.stop.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        opts.stop.removeEventListener('abort', done);
        resolve();
      }
      opts.stop.addEventListener('abort', done, { once: true });
    });

  /** One request until every item is acknowledged or rejected for good. */
  async function deliver(items: Item[]): Promise<void> {
    let todo = items;
    let backoff = minBackoff;
    let attempt = 0;
    while (todo.length) {
      if (opts.stop.aborted) throw new StoppedError();
      if (attempt++ > 0) stats.retries++;
      stats.requests++;
      let results: BulkItemResult[];
      try {
        const body = todo.map((it) => `${it.action}\n${it.source}\n`).join('');
        const res = await opts.client.bulk({ body, filter_path: 'errors,items.*.status,items.*.result,items.*.error' } as never);
        const b = res.body as unknown as { errors: boolean; items: Record<string, BulkItemResult>[] };
        results = b.items.map((i) => Object.values(i)[0]);
        if (results.length !== todo.length) throw new Error(`bulk answered ${results.length} items for ${todo.length}`);
      } catch (err) {
        const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
        if (status === 401) throw Object.assign(new Error(`OpenSearch refused the credentials (401): ${errorMessage(err)}`), { fatal: true });
        log.warn({ err, status, docs: todo.length, attempt, retryInMs: backoff }, 'bulk request failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        continue;
      }
      const again: Item[] = [];
      let firstError: BulkItemResult['error'] | undefined;
      let firstStatus = 0;
      for (let i = 0; i < results.length; i++) {
        const r = results[i];
        if (r.status >= 200 && r.status < 300) {
          stats.indexed++;
          stats.pendingBytes -= todo[i].bytes;
          if (r.result === 'updated') stats.overwritten++;
        } else if (retriable(r.status)) {
          again.push(todo[i]);
          firstError ??= r.error;
          firstStatus ||= r.status;
        } else {
          stats.rejected++;
          stats.pendingBytes -= todo[i].bytes;
          log.error(
            { status: r.status, error: r.error, action: JSON.parse(todo[i].action), document: todo[i].source, rejected: stats.rejected },
            'document rejected by OpenSearch; skipped',
          );
        }
      }
      if (again.length) {
        log.warn({ failed: again.length, of: todo.length, status: firstStatus, error: firstError, attempt, retryInMs: backoff }, 'bulk items failed; retrying them');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
      todo = again;
    }
  }

  function send(): void {
    if (!gathered.length) return;
    const items = gathered;
    gathered = [];
    gatheredBytes = 0;
    stats.inFlight++;
    const p: Promise<void> = deliver(items)
      .catch((err: unknown) => {
        broken ??= err;
      })
      .finally(() => {
        stats.inFlight--;
        out.delete(p);
      });
    out.add(p);
  }

  /** Wait until a request slot is free (or the stop). */
  async function room(): Promise<void> {
    while (out.size >= maxInFlight && !opts.stop.aborted && broken === undefined) await Promise.race(out);
    if (gatheredBytes >= maxBytes) send();
  }

  return {
    add(index, id, sourceJson) {
      const action = `{"index":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}`;
      const bytes = Buffer.byteLength(sourceJson) + action.length + 2;
      gathered.push({ action, source: sourceJson, bytes });
      gatheredBytes += bytes;
      stats.pendingBytes += bytes;
      if (gatheredBytes < maxBytes) return;
      if (out.size < maxInFlight) return send();
      return room();
    },
    async flush() {
      send();
      while (out.size) await Promise.race(out);
      if (broken !== undefined) {
        const err = broken;
        if (!(err instanceof StoppedError)) broken = undefined;
        throw err;
      }
      if (opts.stop.aborted) throw new StoppedError();
    },
    stats: () => ({ ...stats, inFlight: out.size }),
  };
}
