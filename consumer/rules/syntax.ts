/**
 * The condition language, after Falco's: tokens and a recursive-descent parser to an AST.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | FIELD OP value | FIELD "exists" | MACRO
 *   value   := STRING | WORD | "(" item ("," item)* ")" | LIST          (lists for in/pmatch)
 *
 * Words are runs of anything but blanks, quotes, parentheses, commas and = < > !, so paths,
 * globs, addresses and CIDRs (/etc/*.conf, 10.0.0.0/8, fd00::/8) need no quotes. Every node keeps
 * its offset in the condition text so errors point at the exact column.
 */

export class SyntaxError_ extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export type Tok =
  | { t: 'word'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: '('; at: number }
  | { t: ')'; at: number }
  | { t: ','; at: number }
  | { t: 'end'; at: number };

const WORD_STOP = /[\s()",'=<>!]/;

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, at: i });
      i++;
    } else if (c === '"' || c === "'") {
      const at = i;
      let v = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      if (i >= src.length) throw new SyntaxError_('unterminated string', at);
      i++;
      out.push({ t: 'str', v, at });
    } else if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = src.slice(i, i + 2);
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
        out.push({ t: 'op', v: two === '==' ? '=' : two, at: i });
        i += 2;
      } else if (c === '!') {
        throw new SyntaxError_('"!" must be followed by "=" (use "not" to negate)', i);
      } else {
        out.push({ t: 'op', v: c, at: i });
        i++;
      }
    } else {
      const at = i;
      while (i < src.length && !WORD_STOP.test(src[i])) i++;
      out.push({ t: 'word', v: src.slice(at, i), at });
    }
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

/** Word operators; symbolic ones come from the tokenizer. */
export const WORD_OPS = new Set(['in', 'startswith', 'endswith', 'contains', 'icontains', 'glob', 'pmatch', 'exists']);
const LIST_OPS = new Set(['in', 'pmatch']);

export interface ValueItem {
  /** A quoted string or a bare word. */
  v: string;
  quoted: boolean;
  at: number;
}

export type Node =
  | { n: 'and' | 'or'; left: Node; right: Node; at: number }
  | { n: 'not'; arg: Node; at: number }
  | { n: 'ref'; name: string; at: number }
  | { n: 'cmp'; field: string; fieldAt: number; op: string; opAt: number; values: ValueItem[]; list: boolean; at: number };

const KEYWORDS = new Set(['and', 'or', 'not']);

export function parseCondition(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p];
  const next = (): Tok => toks[p++];
  const isWord = (tok: Tok, v: string): boolean => tok.t === 'word' && tok.v === v;

  function describe(tok: Tok): string {
    if (tok.t === 'end') return 'the end of the condition';
    if (tok.t === 'word' || tok.t === 'op') return `"${tok.v}"`;
    if (tok.t === 'str') return `string "${tok.v}"`;
    return `"${tok.t}"`;
  }

  function orExpr(): Node {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      const at = next().at;
      left = { n: 'or', left, right: andExpr(), at };
    }
    return left;
  }

  function andExpr(): Node {
    let left = unary();
    while (isWord(peek(), 'and')) {
      const at = next().at;
      left = { n: 'and', left, right: unary(), at };
    }
    return left;
  }

  function item(): ValueItem {
    const tok = next();
    if (tok.t === 'word' && !KEYWORDS.has(tok.v)) return { v: tok.v, quoted: false, at: tok.at };
    if (tok.t === 'str') return { v: tok.v, quoted: true, at: tok.at };
    throw new SyntaxError_(`expected a value, found ${describe(tok)}`, tok.at);
  }

  function unary(): Node {
    const tok = next();
    if (isWord(tok, 'not')) return { n: 'not', arg: unary(), at: tok.at };
    if (tok.t === '(') {
      const e = orExpr();
      const close = next();
      if (close.t !== ')') throw new SyntaxError_(`expected ")" to close a "(", found ${describe(close)}`, close.at);
      return e;
    }
    if (tok.t !== 'word' || KEYWORDS.has(tok.v)) throw new SyntaxError_(`expected a field, a macro, "not" or "(", found ${describe(tok)}`, tok.at);
    const opTok = peek();
    const op = opTok.t === 'op' ? opTok.v : opTok.t === 'word' && WORD_OPS.has(opTok.v) ? opTok.v : undefined;
    if (op === undefined) return { n: 'ref', name: tok.v, at: tok.at };
    next();
    const cmp = { n: 'cmp' as const, field: tok.v, fieldAt: tok.at, op, opAt: opTok.at, at: tok.at };
    if (op === 'exists') return { ...cmp, values: [], list: false };
    if (LIST_OPS.has(op)) {
      if (peek().t === '(') {
        next();
        const values: ValueItem[] = [];
        if (peek().t !== ')') {
          values.push(item());
          while (peek().t === ',') {
            next();
            values.push(item());
          }
        }
        const close = next();
        if (close.t !== ')') throw new SyntaxError_(`expected "," or ")" in the list, found ${describe(close)}`, close.at);
        return { ...cmp, values, list: true };
      }
      // A bare word after in/pmatch names a list (resolved with the rule file's lists).
      const name = next();
      if (name.t !== 'word') throw new SyntaxError_(`"${op}" takes a list: "(a, b)" or a list name, found ${describe(name)}`, name.at);
      return { ...cmp, values: [{ v: name.v, quoted: false, at: name.at }], list: false };
    }
    return { ...cmp, values: [item()], list: false };
  }

  const root = orExpr();
  const rest = peek();
  if (rest.t !== 'end') throw new SyntaxError_(`unexpected ${describe(rest)}: expected "and", "or" or the end`, rest.at);
  return root;
}
