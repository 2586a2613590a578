/**
 * --print-config: the effective configuration as a YAML file that the command would read back
 * (unset options and secrets are comments), each line saying where its value came from. Strings
 * are YAML-quoted, so control characters print escaped.
 */
import { yaml } from './yaml-lazy';
import type { Origin } from './cli-config';

export interface ConfigRow {
  key: string;
  value: unknown;
  origin: Origin;
  secret: boolean;
}

const MASK = '********';

function yamlValue(v: unknown): string {
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v; // read back as the same text
  return yaml().stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

function originText(o: Origin): string {
  switch (o.kind) {
    case 'default':
      return 'default';
    case 'flag':
      return 'flag';
    case 'env':
      return `env ${o.where}`;
    case 'file':
      return `file ${o.where}`;
  }
}

export function renderConfig(c: { command: string; file: string; fileFound: boolean; rows: ConfigRow[] }): string {
  const body = c.rows.map((r) => {
    const unset = r.value === undefined;
    if (r.secret) return { text: `# ${r.key}: ${r.value === undefined ? '(unset)' : MASK}`, note: r.value === undefined ? '' : `secret, ${originText(r.origin)}` };
    if (unset) return { text: `# ${r.key}: (unset)`, note: '' };
    return { text: `${r.key}: ${yamlValue(r.value)}`, note: originText(r.origin) };
  });
  const width = Math.min(48, Math.max(...body.map((b) => b.text.length)));
  const lines = body.map((b) => (b.note ? `${b.text.padEnd(width)}  # ${b.note}` : b.text));
  return [
    `# ${c.command}: effective configuration (a flag wins over the environment, the file, the default)`,
    `# config file: ${yaml().stringify(c.file).trimEnd()}${c.fileFound ? '' : ' (not present)'}`,
    ...lines,
    '',
  ].join('\n');
}
