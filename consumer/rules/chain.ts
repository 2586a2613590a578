/** A chain of `and` or `or` as one closure: see allOf. */
import type { Predicate } from './compile';

/**
 * All of the tests, in order, stopping at the first false. The parser nests `a and b and c` as
 * ((a and b) and c): a closure per pair cost a call per level on every event; one closure per
 * chain, with the usual lengths written out, calls each test directly.
 */
export function allOf(p: Predicate[]): Predicate {
  const [a, b, c, d, e] = p;
  switch (p.length) {
    case 2:
      return (ev, x) => a(ev, x) && b(ev, x);
    case 3:
      return (ev, x) => a(ev, x) && b(ev, x) && c(ev, x);
    case 4:
      return (ev, x) => a(ev, x) && b(ev, x) && c(ev, x) && d(ev, x);
    case 5:
      return (ev, x) => a(ev, x) && b(ev, x) && c(ev, x) && d(ev, x) && e(ev, x);
  }
  return (ev, x) => {
    for (let i = 0; i < p.length; i++) if (!p[i](ev, x)) return false;
    return true;
  };
}

/** Any of the tests, in order, stopping at the first true (as allOf). */
export function anyOf(p: Predicate[]): Predicate {
  const [a, b, c, d, e] = p;
  switch (p.length) {
    case 2:
      return (ev, x) => a(ev, x) || b(ev, x);
    case 3:
      return (ev, x) => a(ev, x) || b(ev, x) || c(ev, x);
    case 4:
      return (ev, x) => a(ev, x) || b(ev, x) || c(ev, x) || d(ev, x);
    case 5:
      return (ev, x) => a(ev, x) || b(ev, x) || c(ev, x) || d(ev, x) || e(ev, x);
  }
  return (ev, x) => {
    for (let i = 0; i < p.length; i++) if (p[i](ev, x)) return true;
    return false;
  };
}
