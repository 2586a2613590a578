/**
 * The lexing primitives of the rule language, after Falco's parser (libsinsp/filter/parser.cpp):
 * a cursor over the source that matches regular expressions, literals, keywords and quoted strings
 * in place. Falco lexes by context (what may come next), so the grammar in syntax.ts drives this.
 */

export class SyntaxError_ extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export const RX = {
  field: /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y,
  ident: /[a-zA-Z]+[a-zA-Z0-9_]*/y,
  argBare: /[^\][\s"']+/y,
  hex: /0[xX][0-9a-fA-F]+/y,
  num: /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y,
  bare: /[^()"'\s=,]+/y,
  word: /[^\s()",]+/y,
};

/** A cursor over the source with Falco's lexing primitives. */
export class Lexer {
  pos = 0;
  constructor(readonly src: string) {}

  blank(): boolean {
    const start = this.pos;
    while (this.pos < this.src.length && ' \t\b\r\n'.includes(this.src[this.pos])) this.pos++;
    return this.pos > start;
  }

  lit(s: string): boolean {
    if (!this.src.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  /** A keyword or word operator: s followed by a blank (or by one of `then`). */
  word(s: string, then = ''): boolean {
    if (!this.src.startsWith(s, this.pos)) return false;
    const c = this.src[this.pos + s.length];
    if (c !== undefined && !/\s/.test(c) && !then.includes(c)) return false;
    this.pos += s.length;
    return true;
  }

  re(rx: RegExp): string | undefined {
    rx.lastIndex = this.pos;
    const m = rx.exec(this.src);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  quoted(): string | undefined {
    const q = this.src[this.pos];
    if (q !== '"' && q !== "'") return undefined;
    const at = this.pos;
    let out = '';
    for (let i = at + 1; i < this.src.length; i++) {
      const c = this.src[i];
      if (c === q) {
        this.pos = i + 1;
        return out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[++i];
      // Falco's escapes (libsinsp/filter/escaping.cpp).
      const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '\\': '\\', '/': '/', ' ': '\\' };
      if (e in simple) out += simple[e];
      else if (e === q) out += q;
      else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(this.src.slice(i + 1, i + 3))) {
        out += String.fromCharCode(parseInt(this.src.slice(i + 1, i + 3), 16));
        i += 2;
      } else throw new SyntaxError_(`unsupported escape "\\${e ?? ''}" in a ${q === '"' ? 'double' : 'single'}-quoted string`, i - 1);
    }
    throw new SyntaxError_('unterminated string', at);
  }

  /** What is at the cursor, for error messages. */
  describe(): string {
    if (this.pos >= this.src.length) return 'the end of the condition';
    RX.word.lastIndex = this.pos;
    const m = RX.word.exec(this.src);
    return `"${m ? m[0] : this.src[this.pos]}"`;
  }

  fail(msg: string, at = this.pos): never {
    throw new SyntaxError_(msg, at);
  }
}
