/**
 * Who may use the console. With credentials configured, every request (pages, API, stream) must
 * carry them as HTTP Basic (what a browser prompts for and then sends by itself, EventSource
 * included) or as `Authorization: Bearer <token>` (scripts). The token also works as a Basic
 * password with any user name, so a browser can log in with it. Secrets are compared as SHA-256
 * digests in constant time. Failed attempts are counted per address, and past a limit the address
 * is refused for a minute, so a password cannot be guessed at network speed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebAuth } from './web-config';

export type AuthResult = 'ok' | 'missing' | 'wrong' | 'throttled';

export interface Authenticator {
  /** `header`: the Authorization header; `from`: the client address (for throttling). */
  check(header: string | undefined, from: string): AuthResult;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const same = (a: Buffer, b: Buffer): boolean => timingSafeEqual(a, b);

/** Failures an address may have within the window before it is refused until the window ends. */
const MAX_FAILURES = 20;
const WINDOW_MS = 60_000;
/** Addresses remembered at most: the table stays bounded under a spray of sources. */
const MAX_ADDRESSES = 10_000;

export function createAuthenticator(auth: WebAuth, now: () => number = Date.now): Authenticator {
  const user = auth.user === undefined ? undefined : digest(auth.user);
  const password = auth.password === undefined ? undefined : digest(auth.password);
  const token = auth.token === undefined ? undefined : digest(auth.token);
  const failures = new Map<string, { n: number; since: number }>();

  function valid(header: string): boolean {
    const sp = header.indexOf(' ');
    const scheme = header.slice(0, sp).toLowerCase();
    const value = header.slice(sp + 1).trim();
    if (scheme === 'bearer') return token !== undefined && same(digest(value), token);
    if (scheme !== 'basic') return false;
    const text = Buffer.from(value, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return false;
    const u = digest(text.slice(0, colon));
    const p = digest(text.slice(colon + 1));
    // Both comparisons always run: the time taken does not tell which part was wrong.
    const asUser = user !== undefined && password !== undefined && same(u, user) && same(p, password);
    const asToken = token !== undefined && same(p, token);
    return asUser || asToken;
  }

  return {
    check(header, from) {
      const t = now();
      const f = failures.get(from);
      if (f && t - f.since > WINDOW_MS) failures.delete(from);
      else if (f && f.n >= MAX_FAILURES) return 'throttled';
      if (!header) return 'missing';
      if (valid(header)) return 'ok';
      if (failures.size >= MAX_ADDRESSES) failures.delete(failures.keys().next().value!);
      const cur = failures.get(from);
      if (cur) cur.n++;
      else failures.set(from, { n: 1, since: t });
      return 'wrong';
    },
  };
}
