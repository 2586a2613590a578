/**
 * The store worker thread: opens the store read-only and answers the console's queries one at a
 * time (store-client.ts sends them), so SQLite's synchronous calls never block the HTTP server.
 * An export sends its chunks one by one, each after the previous one was written to the client.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StoreError, type StoreFilter } from './store-backend';
import type { WorkerReply, WorkerRequest } from './store-client';
import { openStoreQueries, type StoreQueries } from './store-queries';

const port = parentPort!;
const dir = (workerData as { dir: string }).dir;
let queries: StoreQueries | undefined;
/** Export acknowledgements: the chunk was written, send the next (or stop). */
const acks = new Map<number, (go: boolean) => void>();

const reply = (m: WorkerReply): void => port.postMessage(m);

async function handle(req: WorkerRequest): Promise<unknown> {
  // Opened on first use: the store directory may appear after the console started.
  queries ??= openStoreQueries(dir);
  const b = { deadlineMs: req.deadlineMs };
  const a = req.args;
  switch (req.op) {
    case 'search':
      return queries.search(a[0] as StoreFilter, a[1] as number, a[2] as string | undefined, b);
    case 'histogram':
      return queries.histogram(a[0] as StoreFilter, a[1] as number, b);
    case 'top':
      return queries.top(a[0] as StoreFilter, a[1] as string, a[2] as number, b);
    case 'alerts':
      return queries.alerts(a[0] as Parameters<StoreQueries['alerts']>[0], b);
    case 'story':
      return queries.story(a[0] as Parameters<StoreQueries['story']>[0], a[1] as number);
    case 'lastEvents':
      return queries.lastEvents();
    case 'export': {
      const chunks = queries.exportChunks(a[0] as StoreFilter, a[1] as 'csv' | 'jsonl', a[2] as number, b);
      for (;;) {
        const next = chunks.next();
        if (next.done) return next.value;
        reply({ id: req.id, chunk: next.value });
        const go = await new Promise<boolean>((resolve) => acks.set(req.id, resolve));
        acks.delete(req.id);
        if (!go) return { rows: 0, more: true };
      }
    }
    default:
      throw new StoreError(400, `unknown store operation "${req.op}"`);
  }
}

port.on('message', (m: WorkerRequest | { ack: number } | { cancel: number }) => {
  if ('ack' in m) return acks.get(m.ack)?.(true);
  if ('cancel' in m) return acks.get(m.cancel)?.(false);
  handle(m).then(
    (result) => reply({ id: m.id, ok: true, result }),
    (err: unknown) => {
      if (err instanceof StoreError) reply({ id: m.id, ok: false, status: err.statusCode, error: err.message, col: err.col });
      else reply({ id: m.id, ok: false, status: 500, error: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
    },
  );
});
