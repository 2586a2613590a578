/**
 * The HTTP security rules every response follows, apart from routing: response headers (a
 * Content-Security-Policy that allows no inline script, no framing, no sniffing, no referrer), the
 * Host check that keeps a loopback console unreachable through DNS rebinding, and which methods
 * exist at all (the console only reads: GET and HEAD).
 */
import * as net from 'node:net';

/** Scripts, styles and connections only from the console itself; nothing inline, nothing framed. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(https: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
  if (https) h['strict-transport-security'] = 'max-age=31536000';
  return h;
}

/** The name part of a Host header: "127.0.0.1:8480" -> "127.0.0.1", "[::1]:80" -> "::1". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function loopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  return name === '::1';
}

/**
 * Without credentials the console trusts whoever reaches it on loopback, so it must not answer a
 * page of another site whose name was made to resolve to 127.0.0.1 (DNS rebinding): the Host
 * header must be a loopback name, the listen address or a name given with --allowed-host.
 */
export function hostAllowed(header: string | undefined, listenHost: string, allowed: readonly string[]): boolean {
  if (!header) return false;
  const name = hostName(header);
  return loopbackName(name) || name === listenHost.toLowerCase() || allowed.includes(name);
}
