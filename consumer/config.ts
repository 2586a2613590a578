/**
 * The consumer commands' typed configuration, built from their CLI options by cli.ts and validated
 * here: every bad value is a ConfigError naming its flag (exit 2). Rule selection and --where are
 * resolved here too, so a command starts with compiled rules and filters or not at all.
 */
import {
  brokersOption,
  logLevelOption,
  schemaRegistryOption,
  securityOption,
  subjectStrategyOption,
  topicPrefixOption,
  type SchemaRegistryFlags,
  type SecurityFlags,
} from '../common/cli-options';
import { ConfigError } from '../common/errors';
import type { KafkaSecurity } from '../common/kafka';
import type { LogLevel } from '../common/logger';
import type { SchemaRegistryConfig } from '../schemas/registry-client';
import type { SubjectStrategy } from '../schemas/subjects';
import { EVENT_KINDS, type AuditEvent, type EventKind } from '../schemas/types';
import { parseSince } from './core/input/since';
import { parseDuration } from './rules/aggregate';
import { checkReport } from './detect/check-report';
import { compileExpression, DEFAULT_RULES, loadRules, readRuleFile, SEVERITIES, type LoadedRules, type Severity } from './rules/loader';
import { createProcessTree } from './rules/process-tree';
import { createTailFilter } from './tail/filter';

/** The options every consumer command has: where Kafka is, which topics, logs, security, the schema registry. */
export interface CommonFlags extends SecurityFlags, SchemaRegistryFlags {
  brokers: string;
  topicPrefix: string;
  clientId: string;
  logLevel: string;
}

export interface CommonConfig {
  brokers: string[];
  topicPrefix: string;
  clientId: string;
  logLevel: LogLevel;
  security: KafkaSecurity;
  /** --schema-registry and its credentials; undefined without it. */
  schemaRegistry?: SchemaRegistryConfig;
}

/** SASL credentials from the environment, read by the CLI file. */
export type CredentialEnv = { username?: string; password?: string };

export function commonConfig(o: CommonFlags, env: CredentialEnv): CommonConfig {
  return {
    brokers: brokersOption(o.brokers),
    topicPrefix: topicPrefixOption(o.topicPrefix),
    clientId: o.clientId,
    logLevel: logLevelOption(o.logLevel),
    security: securityOption(o, env),
    schemaRegistry: schemaRegistryOption(o),
  };
}

/** Where reading starts: --from-beginning, --since, or (neither) new events only. */
export interface StartConfig {
  fromBeginning: boolean;
  sinceMs?: number;
}

export function startConfig(o: { since?: string; fromBeginning?: boolean }): StartConfig {
  if (o.since === undefined) return { fromBeginning: o.fromBeginning === true };
  if (o.fromBeginning) throw new ConfigError('--since and --from-beginning exclude each other');
  try {
    return { fromBeginning: false, sinceMs: parseSince(o.since) };
  } catch (err) {
    throw new ConfigError(`--since: ${(err as Error).message}`);
  }
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const names = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}` : allowed[0];
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`--${flag} must be ${names}, got "${value}"`);
  return value as T;
}

export interface TailFlags extends CommonFlags {
  fromBeginning?: boolean;
  since?: string;
  group?: string;
  output: string;
  kind: string[];
  host: string[];
  pid: string[];
  comm: string[];
  exe: string[];
  pathPrefix: string[];
  where?: string;
  untilEnd: boolean;
}

export const TAIL_OUTPUTS = ['text', 'json', 'ecs'] as const;
export type TailOutput = (typeof TAIL_OUTPUTS)[number];

export interface TailConfig extends CommonConfig, StartConfig {
  groupId?: string;
  output: TailOutput;
  kinds: EventKind[];
  filter?: (ev: AuditEvent) => boolean;
  untilEnd: boolean;
}

export function tailConfig(o: TailFlags, env: CredentialEnv): TailConfig {
  const common = commonConfig(o, env);
  const start = startConfig(o);
  const output = oneOf('output', o.output, TAIL_OUTPUTS);
  for (const k of o.kind) oneOf('kind', k, EVENT_KINDS);
  const pids = o.pid.map((p) => {
    if (!/^\d+$/.test(p)) throw new ConfigError(`--pid: "${p}" is not a process id`);
    return Number(p);
  });
  const flags = createTailFilter({ hosts: o.host, pids, comms: o.comm, exes: o.exe, pathPrefixes: o.pathPrefix });
  let filter = flags;
  let kinds = o.kind.length ? (o.kind as EventKind[]) : [...EVENT_KINDS];
  if (o.where !== undefined) {
    // The rules' language, with the default pack's macros and lists (open_write, shell_binaries ...).
    const { env: rulesEnv } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const where = compileExpression(o.where, rulesEnv);
    const procs = createProcessTree({ maxProcesses: 65536 });
    filter = (ev) => {
      procs.observe(ev);
      return (!flags || flags(ev)) && where.pred(ev, procs);
    };
    kinds = kinds.filter((k) => where.kinds.has(k)); // no need to read topics that cannot match
    if (kinds.length === 0) throw new ConfigError(`--where "${o.where}" can never match an event of the selected kinds`);
  }
  return { ...common, ...start, groupId: o.group, output, kinds, filter, untilEnd: o.untilEnd };
}

export interface DetectFlags extends CommonFlags {
  check: boolean;
  strict?: boolean;
  defaultRules: boolean;
  disable: string[];
  minSeverity: string;
  learningPeriod?: string;
  fromBeginning?: boolean;
  since?: string;
  group?: string;
  output: string;
  publish: boolean;
  statsInterval: string;
  orderWait: string;
  untilEnd: boolean;
  subjectStrategy?: string;
}

export const ALERT_OUTPUTS = ['text', 'json', 'none'] as const;

/** The rule files in load order: the default pack (unless --no-default-rules), then the user's. */
export function detectRules(files: string[], o: Pick<DetectFlags, 'learningPeriod' | 'defaultRules' | 'disable' | 'minSeverity' | 'strict'>): LoadedRules {
  let learningMs: number | undefined;
  if (o.learningPeriod !== undefined) {
    learningMs = parseDuration(o.learningPeriod);
    if (learningMs === undefined) throw new ConfigError(`--learning-period: "${o.learningPeriod}" is not a duration such as 30s, 10m or 1h`);
  }
  if (!o.defaultRules && files.length === 0) throw new ConfigError('no rules: give rule files or drop --no-default-rules');
  const loaded = loadRules([...(o.defaultRules ? [DEFAULT_RULES] : []), ...files].map(readRuleFile), { learningMs });
  const ids = new Set([...loaded.rules, ...loaded.skipped].map((r) => r.id));
  for (const id of o.disable) if (!ids.has(id)) throw new ConfigError(`--disable: no rule "${id}"`);
  const min = SEVERITIES.indexOf(oneOf('min-severity', o.minSeverity, SEVERITIES) as Severity);
  const rules = loaded.rules.map((r) => ({ ...r, enabled: r.enabled && !o.disable.includes(r.id) && SEVERITIES.indexOf(r.severity) >= min }));
  // --strict: a rule skipped for what is not available here is an error, as a bad rule is.
  if (o.strict && loaded.skipped.length) {
    throw new ConfigError(
      `--strict: ${loaded.skipped.length} rule(s) skipped:\n${checkReport({ ...loaded, rules })
        .filter((l) => l.startsWith('skipped'))
        .join('\n')}`,
    );
  }
  return { ...loaded, rules };
}

export interface DetectConfig extends CommonConfig, StartConfig {
  groupId: string;
  output: (typeof ALERT_OUTPUTS)[number];
  publish: boolean;
  statsIntervalMs: number;
  /** How long a file/net event may wait for the process topic (0: no ordering across kinds). */
  orderWaitMs: number;
  untilEnd: boolean;
  subjectStrategy: SubjectStrategy;
}

/** Everything but the rules, which detectRules loads (also for --check, which needs no Kafka). */
export function detectConfig(o: DetectFlags, env: CredentialEnv): DetectConfig {
  const common = commonConfig(o, env);
  const output = oneOf('output', o.output, ALERT_OUTPUTS);
  if (!/^\d+$/.test(o.statsInterval) || Number(o.statsInterval) < 1) throw new ConfigError(`--stats-interval: "${o.statsInterval}" is not a whole number of seconds`);
  if (!/^\d+$/.test(o.orderWait) || Number(o.orderWait) > 60_000) throw new ConfigError(`--order-wait: "${o.orderWait}" is not a whole number of milliseconds from 0 to 60000`);
  return {
    ...common,
    ...startConfig(o),
    groupId: o.group ?? `${common.topicPrefix}-detect`,
    output,
    publish: o.publish,
    statsIntervalMs: Number(o.statsInterval) * 1000,
    orderWaitMs: Number(o.orderWait),
    untilEnd: o.untilEnd,
    subjectStrategy: subjectStrategyOption(o.subjectStrategy ?? 'topic'),
  };
}
