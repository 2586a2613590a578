/**
 * Buffered line output to stdout that respects backpressure and treats a closed pipe as the end
 * of the job, not a crash (`tail | head -3` must exit cleanly; the original tool died here).
 */
import type { ByteOut } from './json-bytes';
import { withGetters } from '../../../common/with-getters';

export interface LineWriter {
  /** Queue a line; the returned promise (if any) resolves when the stream can take more. */
  write(line: string): void | Promise<void>;
  /** The same for a line already encoded: bytes [0, length) of `src`, no newline. */
  writeBytes(src: Buffer, length: number): void | Promise<void>;
  /**
   * For a line encoded in place: the output chunk as a ByteOut at its end, with room for `size`
   * bytes (it may grow); undefined once the stream has closed. Nothing is written until `commit`.
   */
  lineOut(size: number): ByteOut | undefined;
  /** The line written into lineOut's ByteOut (no newline) is done. */
  commit(o: ByteOut): void | Promise<void>;
  /** Write out what is buffered. */
  flush(): void | Promise<void>;
  readonly closed: boolean;
  readonly lines: number;
}

const FLUSH_BYTES = 64 * 1024;
/** Lines are encoded into a chunk as they come (a third cheaper than joining strings at flush). */
const CHUNK_BYTES = FLUSH_BYTES + 16 * 1024;
/** Buffer's UTF-8 writer without write()'s argument parsing (a third of its cost per line). */
interface Utf8Writable {
  utf8Write(s: string, offset: number): number;
}

export function createLineWriter(opts: { stream: NodeJS.WritableStream; onClosed: () => void }): LineWriter {
  const { stream } = opts;
  let chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let bytes = 0;
  let closed = false;
  let lines = 0;
  let scheduled = false;
  /** Set while the stream is over its high-water mark: every write() returns it. */
  let draining: Promise<void> | undefined;
  let drainWaiters: (() => void)[] = [];

  const close = (): void => {
    if (closed) return;
    closed = true;
    bytes = 0;
    drainWaiters.splice(0).forEach((w) => w());
    opts.onClosed();
  };
  // Not events.once(): it rejects when 'error' (EPIPE) fires while waiting, and EPIPE is an end here.
  const drained = (): Promise<void> =>
    new Promise<void>((resolve) => {
      drainWaiters.push(resolve);
      stream.once('drain', () => {
        drainWaiters = drainWaiters.filter((w) => w !== resolve);
        resolve();
      });
    });
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') close();
    else throw err;
  });
  // A pipe whose reader left may be destroyed without an error reaching us: closed all the same.
  stream.on('close', close);

  function flush(): void | Promise<void> {
    scheduled = false;
    if (closed || bytes === 0) return;
    // The stream may hold on to what it is given: hand the chunk over and start a new one.
    const out = chunk.subarray(0, bytes);
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    bytes = 0;
    let ok: boolean;
    try {
      ok = stream.write(out);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return close();
      throw err;
    }
    if (!ok && !closed && !draining) {
      draining = drained().then(() => {
        draining = undefined;
      });
    }
    return draining;
  }

  /** Room for `size` more bytes in the chunk; false when the stream has closed. */
  function room(size: number): boolean {
    if (bytes + size > chunk.length) {
      void flush(); // its wait, if any, is what `written` returns
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
    }
    return !closed;
  }

  function written(): void | Promise<void> {
    chunk[bytes++] = 0x0a;
    lines++;
    if (bytes >= FLUSH_BYTES) return flush();
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return draining;
  }

  /** lineOut's view of the chunk (one object, reused). */
  const out: ByteOut = { buf: chunk, pos: 0 };

  return withGetters<LineWriter, 'closed' | 'lines'>(
    {
      lineOut(size) {
        if (closed || !room(size + 1)) return undefined;
        out.buf = chunk;
        out.pos = bytes;
        return out;
      },
      commit(o) {
        if (closed) return;
        // It grew: the bigger buffer holds the chunk's lines too (ByteOut's grow copies them).
        chunk = o.buf;
        bytes = o.pos;
        if (!room(1)) return;
        return written();
      },
      write(line) {
        if (closed) return;
        // A UTF-16 code unit takes at most 3 bytes of UTF-8.
        if (!room(3 * line.length + 1)) return;
        bytes += (chunk as unknown as Utf8Writable).utf8Write(line, bytes);
        return written();
      },
      writeBytes(src, length) {
        if (closed || !room(length + 1)) return;
        src.copy(chunk, bytes, 0, length);
        bytes += length;
        return written();
      },
      flush,
    },
    { closed: () => closed, lines: () => lines },
  );
}
