/**
 * A server-sent events stream on a hijacked fastify reply: named messages of JSON, a comment every
 * 15 s so proxies keep the connection, and a congestion signal (the socket's own buffer) instead
 * of a queue of our own: when the page does not read, the caller sends less, nothing piles up.
 */
import type { FastifyReply } from 'fastify';

export interface SseStream {
  /** Send one message; false when the connection is congested or closed (the message may be dropped). */
  send(type: string, data: unknown): boolean;
  closed(): boolean;
  onClose(fn: () => void): void;
}

/** Bytes the socket may hold unsent before the stream counts as congested. */
const HIGH_WATER = 512 * 1024;

export function openSse(reply: FastifyReply, headers: Record<string, string>): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Tell the browser how long to wait before it reconnects by itself.
  res.write('retry: 2000\n\n');
  let closed = false;
  const ping = setInterval(() => {
    if (!closed && res.writableLength < HIGH_WATER) res.write(': ping\n\n');
  }, 15_000);
  ping.unref();
  const handlers: (() => void)[] = [];
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    for (const h of handlers) h();
  };
  res.on('close', close);
  res.on('error', close);
  return {
    send(type, data) {
      if (closed || res.writableLength > HIGH_WATER) return false;
      // JSON has no raw newlines, so one data line carries the message.
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    closed: () => closed,
    onClose(fn) {
      if (closed) fn();
      else handlers.push(fn);
    },
  };
}
