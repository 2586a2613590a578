/**
 * Places in rule files: a file's text with its line counter, locators that map offsets in a
 * scalar's value (a condition, an output) back to the file, and joined texts (an appended
 * condition) that keep each part's own map.
 */
import type { Scalar } from 'yaml';
import type { Locator, Position } from './errors';
import type { Text } from './reader';

export interface FileCtx {
  file: string;
  src: string;
  /** The file position of a character offset. */
  pos(offset: number): Position;
}

/**
 * Map offsets in a scalar's value to the file. Walks the value and its source text together:
 * equal characters advance both; quotes, escapes, indentation and line folds exist only in the
 * source and are skipped. Exact for one-line and literal scalars, right to the token for folded ones.
 */
export function scalarLocator(c: FileCtx, node: Scalar): Locator {
  const [start, end] = node.range ?? [0, 0];
  const text = c.src.slice(start, end);
  const value = String(node.value);
  let first = 0;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') first = text.indexOf('\n') + 1;
  else if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') first = 1;
  return (offset) => {
    let v = 0;
    let j = first;
    while (j < text.length && (v < offset || (/\s/.test(text[j]) && !/\s/.test(value[v] ?? '')))) {
      if (v < offset && text[j] === value[v]) {
        v++;
        j++;
      } else if (text[j] === '\\' || /\s/.test(text[j]) || (node.type === 'QUOTE_SINGLE' && text[j] === "'")) j++;
      else if (v < offset) v++;
      else break;
    }
    return c.pos(start + j);
  };
}

/** Texts joined by a space (Falco appends conditions and outputs this way), each part keeping its map. */
export function joinTexts(a: Text, b: Text): Text {
  const cut = a.value.length + 1;
  return { value: `${a.value} ${b.value}`, loc: (offset) => (offset < cut ? a.loc(offset) : b.loc(offset - cut)) };
}

/** A locator for text made up here (an exception's condition): every offset is the entry's place. */
export function fixedLocator(pos: Position): Locator {
  return () => pos;
}
