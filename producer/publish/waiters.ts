/** Promises that settle once a condition holds, re-checked whenever `notify` is called. */
import { withGetters } from '../../common/with-getters';

export interface Waiters {
  /** How many are waiting. */
  readonly count: number;
  notify(): void;
  /**
   * Resolves with the first value `settled` returns other than undefined (checked now and on each
   * notify); rejects with `timeoutError()` after timeoutMs.
   */
  wait<T>(settled: () => T | undefined, timeoutMs: number, timeoutError: () => Error): Promise<T>;
}

export function createWaiters(): Waiters {
  const checks = new Set<() => void>();
  return withGetters<Waiters, 'count'>(
    {
      notify: () => checks.forEach((c) => c()),
      wait(settled, timeoutMs, timeoutError) {
        const now = settled();
        if (now !== undefined) return Promise.resolve(now);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            checks.delete(check);
            reject(timeoutError());
          }, timeoutMs);
          const check = (): void => {
            const r = settled();
            if (r === undefined) return;
            clearTimeout(timer);
            checks.delete(check);
            resolve(r);
          };
          checks.add(check);
        });
      },
    },
    { count: () => checks.size },
  );
}
