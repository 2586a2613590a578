/** IPv4 addresses as 32-bit numbers: the store's columns, the rules' aggregate keys and address tests share one parser. */

/**
 * A dotted-quad IPv4 address as its 32-bit number; -1 for anything else (IPv6, v4-mapped, '',
 * or a form that would not print back the same: leading zeros). The store keeps such addresses as
 * numbers (the others through its addrs dictionary); the rules' aggregates key on them.
 */
export const ipv4Number = (s: string): number => parseIpv4(s, false);

/**
 * The same, with parts of up to three digits allowed leading zeros ("010.0.0.1" is 10.0.0.1): what
 * the rules' address and CIDR tests match an event's address as, so that a condition matches
 * such strings as it always has.
 */
export const ipv4NumberLenient = (s: string): number => parseIpv4(s, true);

function parseIpv4(s: string, leadingZeros: boolean): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (!leadingZeros && digits === 1 && part === 0)) return -1; // too long, or a leading zero
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : -1;
}

/** The dotted quad of a 32-bit number (ipv4Number's inverse). */
export const ipv4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
