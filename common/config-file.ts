/**
 * A command's configuration file: a YAML mapping of option names to values, read with the
 * position of every key and value so that each error names file:line:column.
 */
import * as fs from 'node:fs';
import type { Node } from 'yaml';
import { ConfigError } from './errors';
import { yaml } from './yaml-lazy';

/**
 * A value from the file: a scalar, or a list of scalars. Numbers keep their text as written
 * ("1.10" stays "1.10", "0755" stays "0755"): the command parses them like the same flag.
 */
export type FileValue = string | boolean | (string | boolean)[];

export interface FileEntry {
  key: string;
  value: FileValue;
  /** "file:line:col" of the value (of the key when the value is empty). */
  where: string;
  /** "file:line:col" of the key. */
  keyWhere: string;
}

export interface ConfigFile {
  path: string;
  entries: FileEntry[];
}

/** undefined when `optional` and the file does not exist; a ConfigError for anything unreadable or malformed. */
export function readConfigFile(file: string, optional: boolean): ConfigFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    throw new ConfigError(`config file ${file}: ${code === 'ENOENT' ? 'not found' : (code ?? (err as Error).message)}`);
  }
  return { path: file, entries: parseConfigText(file, text) };
}

/** Only blank lines and comments: no entries, without loading the YAML parser. */
const NOTHING_SET = /^(?:[ \t]*(?:#[^\r\n]*)?(?:\r?\n|$))*$/;

export function parseConfigText(file: string, text: string): FileEntry[] {
  if (NOTHING_SET.test(text)) return [];
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false });
  const at = (offset: number | undefined): string => {
    const p = lines.linePos(offset ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
  const first = doc.errors[0];
  if (first) throw new ConfigError(`${at(first.pos[0])}: ${first.message.split('\n')[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return []; // empty file: all defaults
  if (!isMap(root)) throw new ConfigError(`${at(root.range?.[0])}: expected a mapping of option names to values (key: value)`);
  const entries: FileEntry[] = [];
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      throw new ConfigError(`${at(keyNode?.range?.[0])}: keys must be option names such as "topic-prefix"`);
    }
    const key = keyNode.value;
    const valueNode = pair.value as Node | null;
    const empty = valueNode === null || (isScalar(valueNode) && valueNode.value === null);
    const where = at(empty ? keyNode.range?.[0] : valueNode.range?.[0]);
    const value = isSeq(valueNode)
      ? valueNode.items.map((item) => scalarOf(item as Node | null, at((item as Node | null)?.range?.[0] ?? valueNode.range?.[0]), key))
      : scalarOf(valueNode, where, key);
    entries.push({ key, value, where, keyWhere: at(keyNode.range?.[0]) });
  }
  return entries;
}

function scalarOf(node: Node | null, where: string, key: string): string | boolean {
  if (yaml().isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number' || typeof v === 'bigint') return node.source ?? String(v);
    if (v === null) throw new ConfigError(`${where}: ${key} has no value (remove the key to use the default)`);
  }
  throw new ConfigError(`${where}: ${key} must be a string, number or boolean`);
}
