/**
 * Where undelivered messages live, as an explicit state machine: every transition of the
 * publisher goes through `nextState`, so the table below is the whole story.
 *
 *   memory     Kafka takes messages: they wait in memory (bounded in count and in age) and go out
 *              in batches. The spool is empty.
 *   spooling   Kafka is away, slow or behind: memory was moved to the spool, new messages are
 *              appended to it, and sends from it are retried at a growing interval.
 *   replaying  Kafka takes messages again: the spool is sent back to back, in order; new
 *              messages still go behind it on disk until it is empty.
 *   closed     Stopped: nothing is sent; what memory held is in the spool.
 */
export type DeliveryState = 'memory' | 'spooling' | 'replaying' | 'closed';

export type DeliveryEvent =
  /** A send failed for a reason that may pass (broker away, leader moving, timeout). */
  | 'sendFailed'
  /** The oldest message in memory has waited longer than the bound without an acknowledgement. */
  | 'unacknowledged'
  /** The memory queue is full. */
  | 'queueFull'
  /** A send succeeded. */
  | 'sendOk'
  /** The spool is empty and nothing is in flight. */
  | 'caughtUp'
  | 'close';

const TRANSITIONS: Record<DeliveryState, Partial<Record<DeliveryEvent, DeliveryState>>> = {
  memory: { sendFailed: 'spooling', unacknowledged: 'spooling', queueFull: 'spooling', close: 'closed' },
  spooling: { sendOk: 'replaying', close: 'closed' },
  replaying: { sendFailed: 'spooling', caughtUp: 'memory', close: 'closed' },
  closed: {},
};

/** The state after `event`; the same state when the event changes nothing there. */
export function nextState(state: DeliveryState, event: DeliveryEvent): DeliveryState {
  return TRANSITIONS[state][event] ?? state;
}

/** Messages offered in this state go to the spool, behind what it holds (order). */
export const offersGoToSpool = (s: DeliveryState): boolean => s === 'spooling' || s === 'replaying';
