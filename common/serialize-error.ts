/**
 * pino's serializer for the `err` field of a log line: an error logs its class (`type`), its
 * message and stack with those of its causes appended (pino's own serializer does that), and its
 * own scalar fields (code, errno, syscall, statusCode, topic, retriable...). Nested errors
 * (kafkajs's originalError, an aggregate's errors) are serialized the same way.
 *
 * Never its nested objects: an OpenSearch client error's `meta` holds the request it sent, with
 * the Authorization header (basic auth or API key) and the whole bulk body; a client error may
 * hold its connection or its options. And no field whose name says it holds a credential.
 */
import pino from 'pino';

/** Field names that can hold a credential. */
const SECRET = /pass|secret|token|auth|sasl|credential|cookie|api.?key|^key$|^cert$/i;
/** How deep nested errors are followed (a cycle stops there too). */
const MAX_DEPTH = 4;
/** At most this many errors of an aggregate are kept. */
const MAX_ERRORS = 20;

type Scalar = string | number | boolean | bigint | null;
type ErrorLike = { message: string; stack?: string; [k: string]: unknown };

const isErrorLike = (v: unknown): v is ErrorLike => typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string';
const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v);

/** An object's own scalar fields, and its nested errors, leaving out any that may hold a secret. */
function fields(obj: Record<string, unknown>, out: Record<string, unknown>, depth: number): Record<string, unknown> {
  for (const key in obj) {
    // message and stack are in `out` with the causes'; name is `type`.
    if (key === 'cause' || key === 'message' || key === 'stack' || key === 'name' || SECRET.test(key)) continue;
    const v = obj[key];
    // kafkajs's protocol errors have a `type` (UNKNOWN_TOPIC_OR_PARTITION) beside pino's (the class).
    const as = key === 'type' ? 'errorType' : key;
    if (isScalar(v)) out[as] = typeof v === 'bigint' ? String(v) : v;
    else if (depth < MAX_DEPTH && isErrorLike(v)) out[as] = record(v, depth + 1);
    else if (depth < MAX_DEPTH && Array.isArray(v) && v.length > 0 && v.every(isErrorLike)) out[as] = v.slice(0, MAX_ERRORS).map((e) => record(e, depth + 1));
  }
  return out;
}

function record(err: ErrorLike, depth: number): Record<string, unknown> {
  const std = pino.stdSerializers.err(err as unknown as Error);
  const out: Record<string, unknown> = { type: std.type, message: std.message, stack: std.stack };
  // An OpenSearch ResponseError's status is a getter over its meta.
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') out.statusCode = status;
  return fields(err, out, depth);
}

export function serializeError(err: unknown): unknown {
  if (isErrorLike(err)) return record(err, 0);
  // Something thrown that is not an error: its class and scalar fields, as for an error.
  if (typeof err === 'object' && err !== null) return fields(err as Record<string, unknown>, { type: err.constructor?.name ?? 'Object' }, 0);
  return err;
}
