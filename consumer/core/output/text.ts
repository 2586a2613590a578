/** Text for terminals: the console timestamp and field escaping shared by tail and detect. */

export function formatTimestamp(timeNs: bigint): string {
  // From the decimal digits, without BigInt division (a tenth of a text line's cost).
  if (timeNs >= 1_000_000_000n) {
    const digits = timeNs.toString();
    return `${digits.slice(0, -9)}.${digits.slice(-9)}`;
  }
  const s = timeNs / 1_000_000_000n;
  const ns = timeNs % 1_000_000_000n;
  return `${s}.${ns.toString().padStart(9, '0')}`;
}

/**
 * Make a field safe inside "...": a hostile file or process name can neither end the quoted field,
 * forge a second line, nor send terminal escape sequences. Backslash, quote, C0/C1 controls, DEL,
 * and bidi/line separators are escaped; U+FFFD (invalid UTF-8 from the kernel) shows as \ufffd.
 */
export function escapeField(s: string): string {
  // Most fields are short and plain: a loop over them is cheaper than the regex call.
  if (s.length < 64) {
    let plain = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
        plain = false;
        break;
      }
    }
    if (plain) return s;
  }
  return s.replace(/[\\"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '"') return '\\"';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
