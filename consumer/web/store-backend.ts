/**
 * What the console asks of the store (issue #8's SQLite store): the API routes see only this
 * interface, so the HTTP side does not depend on how queries run (in a worker thread, see
 * store-client.ts). Every request is bounded: a time window, a row limit, a deadline.
 */
import type { EventKind } from '../../schemas/types';
import type { AlertQuery } from './alert-ring';
import type { AlertsResponse, HistogramResponse, ProcessStoryResponse, SearchResponse, TopResponse } from './api-types';

export interface StoreFilter {
  where?: string;
  kinds: EventKind[];
  hosts: string[];
  sinceNs: bigint;
  untilNs: bigint;
}

export interface StoreBackend {
  /** False when the store directory does not exist (yet). */
  available(): boolean;
  search(f: StoreFilter, limit: number, cursor?: string): Promise<SearchResponse>;
  histogram(f: StoreFilter, buckets: number): Promise<HistogramResponse>;
  top(f: StoreFilter, field: string, n: number): Promise<TopResponse>;
  alerts(q: AlertQuery): Promise<AlertsResponse>;
  story(ref: { host: string; pid: number; startNs?: bigint }, limit: number): Promise<ProcessStoryResponse | undefined>;
  /** Calls `write` with chunks of CSV or JSON lines, awaiting each (backpressure). */
  export(f: StoreFilter, format: 'csv' | 'jsonl', limit: number, write: (chunk: string) => Promise<void>): Promise<{ rows: number; more: boolean }>;
  /** Each host's last stored event (for the hosts page after a restart of the console). */
  lastEvents(): Promise<{ hostId: string; host: string; ns: bigint }[]>;
  days(): number;
  close(): Promise<void>;
}

/** An API answer that is not a bug: a status code and a message for the page. */
export class StoreError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly col?: number,
  ) {
    super(message);
  }
}
