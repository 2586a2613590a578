/**
 * How many bytes the memory queue may hold. An overloaded producer (Kafka healthy, acknowledging,
 * but slower than the kernel writes) must not push its oldest message past the age bound, or the
 * whole queue goes to the spool and every event then costs a disk write and a replay on top
 * (the CPU per event doubled, delivery halved). So the queue holds what Kafka acknowledges in half
 * the bound at the rate measured on saturated requests, and the rest waits in the kernel ring
 * buffer, whose loss the kernel counts when it fills. Like Kafka's own producer (buffer.memory,
 * then the caller blocks) or Falco's and Tetragon's readers (they stop reading, the ring fills).
 *
 * The rate is sampled only from requests cut short by a limit while more was waiting: a request
 * that took all there was says how busy the host is, not how fast Kafka is, so an idle spell
 * never lowers the cap and a burst after it is not throttled. Before the first such request the
 * cap is the floor, enough for a request in flight and a full one behind it.
 */
import { withGetters } from '../../common/with-getters';

export interface QueueCapOptions {
  /** The hard cap, whatever Kafka's rate. */
  maxBytes: number;
  /** The least cap: a request in flight and the next one ready. */
  floorBytes: number;
  /** With a spool: the age bound the queue must drain within (ms); none: the cap is maxBytes. */
  boundMs?: number;
}

export interface QueueCap {
  /** A request of `bytes` was acknowledged `ms` after it was sent; `saturated`: more was waiting when it was cut. */
  acknowledged(bytes: number, ms: number, saturated: boolean): void;
  /** The cap now, in bytes. */
  bytes(): number;
  /** Kafka's measured rate on saturated requests, bytes per second (0: none yet). */
  readonly rate: number;
}

/** Weight of the newest request in the moving averages: a few requests to follow a change. */
const ALPHA = 0.25;

export function createQueueCap(opts: QueueCapOptions): QueueCap {
  const floor = Math.min(opts.floorBytes, opts.maxBytes);
  // Bytes and time are averaged apart and divided: an average of per-request rates would be
  // pulled up by the quick requests (a request's rate is bytes over time), and the cap with it.
  let bytesAvg = 0;
  let msAvg = 0;
  let rate = 0;
  let cap = opts.boundMs === undefined ? opts.maxBytes : floor;
  return withGetters<QueueCap, 'rate'>(
    {
      acknowledged(bytes, ms, saturated) {
        if (opts.boundMs === undefined || !saturated) return;
        ms = Math.max(0.1, ms);
        if (rate === 0) [bytesAvg, msAvg] = [bytes, ms];
        else [bytesAvg, msAvg] = [bytesAvg + ALPHA * (bytes - bytesAvg), msAvg + ALPHA * (ms - msAvg)];
        rate = (bytesAvg * 1000) / msAvg;
        cap = Math.min(opts.maxBytes, Math.max(floor, (rate * opts.boundMs) / 2000));
      },
      bytes: () => cap,
    },
    { rate: () => rate },
  );
}
