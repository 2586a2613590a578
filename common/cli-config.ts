/**
 * Configuration files and environment variables for every commander command, with no code per
 * command: a command's own options are its configuration keys. Each leaf command reads
 * /etc/ebpf-audit/<name>.yaml (or --config FILE, or $EBPF_AUDIT_CONFIG) and EBPF_AUDIT_<KEY>
 * variables, where a key is an option's long name ("ring-buffer-mb", "publish" for --no-publish)
 * or a positional argument's name ("rule-files"). Precedence: flag > environment > file > default.
 * Values from the file and the environment go through the option's own parser, like a flag's;
 * errors name file:line:col (or the variable) and are ConfigErrors (exit 2).
 */
import * as path from 'node:path';
import { Command, CommanderError, Option, type Argument } from 'commander';
import { readConfigFile, type FileEntry } from './config-file';
import { renderConfig, type ConfigRow } from './config-print';
import { ConfigError, errorMessage } from './errors';

export const CONFIG_DIR = '/etc/ebpf-audit';
export const ENV_PREFIX = 'EBPF_AUDIT_';

export interface ConfigSetup {
  /** The process environment, passed in by the CLI file. */
  env: Record<string, string | undefined>;
  /** Directory of the default files (default /etc/ebpf-audit). */
  dir?: string;
  /** Base name of a leaf command's file: default its own name ("tail"), or the program's without "ebpf-audit-". */
  fileName?: (leaf: Command) => string;
  /** Where --print-config writes (default: stdout). */
  write?: (text: string) => void;
}

export type Origin = { kind: 'default' | 'flag' | 'env' | 'file'; where: string };

const secrets = new WeakSet<Option>();
const NOT_KEYS = new Set(['config', 'print-config', 'help', 'version']);

/**
 * An option whose value is a secret: never taken from argv (ps shows it), only from the file or
 * EBPF_AUDIT_<KEY>, and masked by --print-config. Hidden from --help for the same reason.
 */
export function secretOption(flags: string, description: string): Option {
  const o = new Option(flags, description).hideHelp();
  secrets.add(o);
  return o;
}

export const keyOf = (o: Option): string => (o.negate ? o.name().replace(/^no-/, '') : o.name());
export const envNameOf = (key: string): string => ENV_PREFIX + key.toUpperCase().replace(/-/g, '_');

/** The configuration of the command that ran (set before its action): used to locate errors. */
let resolvedLast: { origins: Map<string, Origin> } | undefined;

/** Parse argv with configuration support on every leaf command of `program`. */
export async function parseWithConfig(program: Command, argv: string[], setup: ConfigSetup): Promise<void> {
  const dir = setup.dir ?? CONFIG_DIR;
  const fileName = setup.fileName ?? ((leaf: Command) => (leaf === program ? program.name().replace(/^ebpf-audit-/, '') : leaf.name()));
  for (const leaf of leavesOf(program)) {
    const file = path.join(dir, `${fileName(leaf)}.yaml`);
    leaf
      .addOption(new Option('--config <file>', `configuration file (default: ${file}, if present; env ${ENV_PREFIX}CONFIG)`))
      .addOption(new Option('--print-config', 'print the effective configuration, secrets masked, and exit'))
      .addHelpText(
        'after',
        `\nConfiguration: any option can also be set in ${file}, the long option\n` +
          `name as key (YAML: "topic-prefix: x", lists as [a, b]), or as ${ENV_PREFIX}<NAME>\n` +
          `(${ENV_PREFIX}TOPIC_PREFIX=x). A flag wins over the environment, the environment over the\n` +
          'file, the file over the default.\n',
      );
  }
  const applied = new WeakSet<Command>();
  const apply = (leaf: Command): void => {
    if (applied.has(leaf)) return;
    applied.add(leaf);
    resolveConfig(leaf, { ...setup, dir, fileName });
  };
  program.hook('preAction', (_root, leaf) => apply(leaf));
  await program.parseAsync(argv);
  if (program.commands.length === 0) apply(program); // a program without an action: configure after parsing
}

function leavesOf(cmd: Command): Command[] {
  return cmd.commands.length === 0 ? [cmd] : cmd.commands.flatMap(leavesOf);
}

/** A leaf command's options by key; a --foo/--no-foo pair is one key. */
function configurable(leaf: Command): Map<string, Option> {
  const byKey = new Map<string, Option>();
  for (const o of leaf.options) {
    const key = keyOf(o);
    if (!o.long || NOT_KEYS.has(key) || (byKey.has(key) && o.negate)) continue;
    byKey.set(key, o);
  }
  return byKey;
}

function resolveConfig(leaf: Command, setup: Required<Pick<ConfigSetup, 'dir' | 'fileName'>> & ConfigSetup): void {
  const options = configurable(leaf);
  const args = leaf.registeredArguments;
  const origins = new Map<string, Origin>();
  for (const [key, o] of options) {
    const source = leaf.getOptionValueSource(o.attributeName());
    if (source === 'cli' || source === 'implied') {
      if (secrets.has(o)) throw new ConfigError(`--${key} is never read from the command line (ps would show it): set ${envNameOf(key)} or "${key}:" in the config file`);
      origins.set(key, { kind: 'flag', where: `--${key}` });
    } else if (source === 'env') {
      origins.set(key, { kind: 'env', where: o.envVar ?? envNameOf(key) });
    }
  }
  args.forEach((a, i) => {
    if (i < leaf.args.length) origins.set(a.name(), { kind: 'flag', where: a.name() });
  });

  for (const [key, o] of options) {
    const name = envNameOf(key);
    const raw = setup.env[name];
    if (origins.has(key) || raw === undefined || raw === '') continue;
    leaf.setOptionValueWithSource(o.attributeName(), fromEnv(o, raw, name), 'env');
    origins.set(key, { kind: 'env', where: name });
  }

  const explicit = (leaf.getOptionValue('config') as string | undefined) ?? (setup.env[`${ENV_PREFIX}CONFIG`] || undefined);
  const file = explicit ?? path.join(setup.dir, `${setup.fileName(leaf)}.yaml`);
  const read = readConfigFile(file, explicit === undefined);
  for (const e of read?.entries ?? []) {
    const o = options.get(e.key);
    const argIndex = args.findIndex((a) => a.name() === e.key);
    if (!o && argIndex < 0) throw unknownKey(e, [...options.keys(), ...args.map((a) => a.name())], leaf);
    const value = o ? fromFile(o, e) : argFromFile(args[argIndex], e); // checked even when a flag overrides it
    if (origins.has(e.key)) continue;
    if (o) leaf.setOptionValueWithSource(o.attributeName(), value, 'config');
    else leaf.processedArgs[argIndex] = value;
    origins.set(e.key, { kind: 'file', where: e.where });
  }
  for (const key of [...options.keys(), ...args.map((a) => a.name())]) if (!origins.has(key)) origins.set(key, { kind: 'default', where: 'default' });
  resolvedLast = { origins };

  if (leaf.getOptionValue('printConfig') === true) {
    const rows: ConfigRow[] = [
      ...[...options].map(([key, o]) => ({ key, value: leaf.getOptionValue(o.attributeName()), origin: origins.get(key)!, secret: secrets.has(o) })),
      ...args.map((a, i) => ({ key: a.name(), value: leaf.processedArgs[i], origin: origins.get(a.name())!, secret: false })),
    ];
    (setup.write ?? ((s: string) => process.stdout.write(s)))(renderConfig({ command: commandPath(leaf), file, fileFound: read !== undefined, rows }));
    throw new CommanderError(0, 'ebpf-audit.printConfig', 'configuration printed');
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The value a flag would give: through the option's own parser, lists item by item. `label` names the source. */
function parsed(o: Option, items: string[], label: string): unknown {
  let value: unknown = o.parseArg && Array.isArray(o.defaultValue) ? [...(o.defaultValue as unknown[])] : o.parseArg ? o.defaultValue : undefined;
  for (const item of items) {
    try {
      if (o.parseArg) value = o.parseArg(item, value);
      else if (isList(o)) value = [...((value as unknown[] | undefined) ?? []), item];
      else value = item;
    } catch (err) {
      throw new ConfigError(`${label}: invalid value ${JSON.stringify(item)}: ${errorMessage(err)}`);
    }
  }
  return value;
}

const isList = (o: Option): boolean => o.variadic || Array.isArray(o.defaultValue);

function fromFile(o: Option, e: FileEntry): unknown {
  if (o.negate || o.isBoolean()) {
    if (typeof e.value !== 'boolean') throw new ConfigError(`${e.where}: ${e.key} must be true or false`);
    return e.value;
  }
  if (o.optional && e.value === true) return o.presetArg ?? true;
  if (Array.isArray(e.value) && !isList(o)) throw new ConfigError(`${e.where}: ${e.key} takes one value, not a list`);
  const items = (Array.isArray(e.value) ? e.value : [e.value]).map((v) => {
    if (typeof v === 'boolean') throw new ConfigError(`${e.where}: ${e.key} takes a value (${o.flags}), not ${v}`);
    return v;
  });
  return parsed(o, items, `${e.where}: ${e.key}`);
}

function argFromFile(a: Argument, e: FileEntry): unknown {
  const items = (Array.isArray(e.value) ? e.value : [e.value]).map((v) => String(v));
  if (!a.variadic && items.length !== 1) throw new ConfigError(`${e.where}: ${e.key} takes one value, not a list`);
  const value = a.variadic ? items : items[0];
  try {
    return a.parseArg ? (a.variadic ? items.reduce((prev: unknown, v) => a.parseArg!(v, prev), a.defaultValue) : a.parseArg(items[0], a.defaultValue)) : value;
  } catch (err) {
    throw new ConfigError(`${e.where}: ${e.key}: ${errorMessage(err)}`);
  }
}

function fromEnv(o: Option, raw: string, name: string): unknown {
  if (o.negate || o.isBoolean() || (o.optional && /^(true|false)$/i.test(raw))) {
    if (/^(1|true|yes|on)$/i.test(raw)) return o.optional ? (o.presetArg ?? true) : true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false (or 1/0, yes/no, on/off), got "${raw}"`);
  }
  // A list from the environment is comma-separated, as on the command line.
  const items =
    isList(o) && !o.parseArg
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s)
      : [raw];
  return parsed(o, items, name);
}

function unknownKey(e: FileEntry, keys: string[], leaf: Command): ConfigError {
  const near = keys.filter((k) => distance(k, e.key) <= 2 || k.replace(/-/g, '') === e.key.toLowerCase().replace(/[-_]/g, ''));
  const hint = near.length ? `; did you mean ${near.map((k) => `"${k}"`).join(' or ')}?` : `; the keys are the long options of "${commandPath(leaf)} --help"`;
  return new ConfigError(`${e.keyWhere}: unknown key "${e.key}"${hint}`);
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/**
 * A ConfigError from a command's own checks names the flag ("--ring-buffer-mb must be ...").
 * When that value came from the file or the environment, say so: "producer.yaml:4:17:
 * ring-buffer-mb must be ..." or "EBPF_AUDIT_RING_BUFFER_MB must be ...".
 */
export function locateConfigError(err: unknown): unknown {
  if (!(err instanceof ConfigError) || !resolvedLast) return err;
  const origins = resolvedLast.origins;
  let first: string | undefined;
  const message = err.message.replace(/--([a-z0-9][a-z0-9-]*)/g, (flag: string, name: string) => {
    const origin = origins.get(name) ?? origins.get(name.replace(/^no-/, ''));
    if (!origin || origin.kind === 'flag' || origin.kind === 'default') return flag;
    if (origin.kind === 'env') return origin.where;
    first ??= origin.where;
    return name.replace(/^no-/, '');
  });
  if (message === err.message) return err;
  return new ConfigError(first && !message.startsWith(first) ? `${first}: ${message}` : message, { cause: err });
}
