/**
 * The JSON shapes of the /api endpoints, shared by the server and the page (the page imports this
 * file for its types only). Nanosecond times are decimal strings: they exceed 2^53.
 * Every string here comes from events as captured: the page renders them as text, never as HTML.
 */

export type Kind = 'file' | 'net' | 'process';

/** One event, in the console line's fields. */
export interface EventRow {
  kind: Kind;
  /** openat, connect, accept, exec, exit, setuid ... */
  type: string;
  /** Wall-clock time, ns since the Unix epoch. */
  time: string;
  host: string;
  hostId: string;
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  /** Process start time, ns since boot: with host and pid it names one process. */
  start: string;
  comm: string;
  exe: string;
  /** The path, address:port, unix socket path, program run, exit status or privilege change. */
  detail: string;
  /** exec: argv. */
  args?: string[];
  /** The errno name of a failed attempt, else ''. */
  error: string;
  container: string;
}

export interface AlertRow {
  time: string;
  rule: string;
  severity: string;
  description: string;
  message: string;
  tags: string[];
  host: string;
  hostId: string;
  count: number;
  /** The triggering event (for an aggregate: the one that crossed the threshold). */
  event?: EventRow;
}

/** One message of the live stream (GET /api/live, server-sent events named by `type`). */
export interface LiveBatch {
  rows: EventRow[];
  /** Events that arrived from Kafka since the last batch, matching or not. */
  arrived: number;
  /** Of those, events that matched this stream's filter. */
  matched: number;
  /** Matched events not sent to keep the page responsive (a uniform sample is sent). */
  sampled: number;
  /** Milliseconds the batch covers. */
  ms: number;
}

export interface HostRow {
  host: string;
  hostId: string;
  /** Last event seen from Kafka (ns string), or from the store when the console started after it. */
  lastEvent?: string;
  lastStats?: string;
  statsIntervalS?: number;
  /** Events per second over the last minute, as they arrived from Kafka. */
  rates: Record<Kind, number>;
  /** The producer's cumulative counters from its last stats message. */
  kernel?: { emitted: number; ringFull: number; stashFull: number; truncated: number; filtered: number };
  delivery?: { sent: number; lost: number; queueDrops: number; spoolDrops: number; rejected: number; queued: number; spoolBytes: number };
  /** What the last two stats messages say was lost in between: kernel drops, delivery drops. */
  recentDrops?: { kernel: number; delivery: number };
  final?: boolean;
  status: 'ok' | 'silent' | 'lossy' | 'stopped';
}

export interface ProcInfoRow {
  host: string;
  hostId: string;
  pid: number;
  ppid: number;
  uid: number;
  start: string;
  comm: string;
  exe: string;
  cmdline?: string;
  first: string;
  exec?: string;
  exit?: string;
  exitCode?: number;
  signal?: number;
}

export type StoryRow =
  | { t: string; what: 'event'; event: EventRow }
  | { t: string; what: 'child'; child: ProcInfoRow }
  | { t: string; what: 'alert'; alert: { rule: string; severity: string; message: string; count: number } };

export interface ProcessStoryResponse {
  process: ProcInfoRow;
  others: ProcInfoRow[];
  lineage: ProcInfoRow[];
  end: { at: 'init' } | { at: 'unknown'; pid: number };
  timeline: StoryRow[];
  more: boolean;
}

export interface SearchResponse {
  rows: EventRow[];
  /** Cursor of the next page, when there is one. */
  next?: string;
  tookMs: number;
}

export interface HistogramResponse {
  bucketMs: number;
  buckets: { t: number; n: number }[];
  total: number;
  tookMs: number;
}

export interface TopResponse {
  field: string;
  rows: { value: string; events: number }[];
  tookMs: number;
}

export interface AlertsResponse {
  alerts: AlertRow[];
  /** Alerts per rule over the whole range (not only the listed ones). */
  byRule: { rule: string; severity: string; n: number }[];
  more: boolean;
  source: 'store' | 'live';
}

/** A condition that does not compile: the message and where (1-based column in the condition). */
export interface ConditionError {
  error: string;
  col?: number;
}

export interface StatusResponse {
  version: string;
  topicPrefix: string;
  store: { dir: string; available: boolean; days: number };
  live: { clients: number; received: number; malformed: number };
  auth: boolean;
}
