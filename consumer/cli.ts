#!/usr/bin/env node
/**
 * ebpf-audit-consumer: read the event topics. `tail` prints the documented console lines;
 * `detect` runs detection rules and publishes alerts.
 * Only wiring here: options to typed values, signals to an AbortController, errors to exit codes
 * (2: bad usage, 1: runtime failure). Logs go to stderr, console lines to stdout.
 */
import * as os from 'node:os';
import { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { ConfigError } from '../common/errors';
import { runMain } from '../common/cli-main';
import { addConnectionOptions, addSecurityOptions, brokersOption, collect, logLevelOption, securityOption, topicPrefixOption, type SecurityFlags } from '../common/cli-options';
import { createKafka } from '../common/kafka';
import { createLogger, type Logger, type LogLevel } from '../common/logger';
import { EVENT_KINDS } from '../common/topics';
import type { EventKind } from '../schemas/types';
import { createTailFilter } from './tail/filter';
import { parseSince } from './core/input/since';
import { createSchemaRegistry } from '../schemas/registry';
import { runTail, type TailOutput } from './tail/tail';
import { parseDuration } from './rules/aggregate';
import { compileExpression, DEFAULT_RULES, loadRules, readRuleFile, SEVERITIES, type Rule, type Severity } from './rules/loader';
import { createProcessLookup } from './rules/process-lookup';
import { runDetect } from './detect/detect';
import type { AlertOutput } from './detect/alert-sink';
import { runStore } from './store/store';
import { storeChoices, type StoreFlags } from './store/store-options';
import { runSearch } from './search/run-search';
import { searchRequest, type SearchFlags } from './search/search-options';


interface TailFlags {
  fromBeginning: boolean;
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

/** --since as ms since the epoch (undefined: not given); it and --from-beginning exclude each other. */
function sinceOption(o: { since?: string; fromBeginning: boolean }): number | undefined {
  if (o.since === undefined) return undefined;
  if (o.fromBeginning) throw new ConfigError('--since and --from-beginning exclude each other');
  try {
    return parseSince(o.since);
  } catch (err) {
    throw new ConfigError(`--since: ${(err as Error).message}`);
  }
}

function tailChoices(o: TailFlags): { output: TailOutput; kinds: EventKind[]; filter: ReturnType<typeof createTailFilter>; sinceMs?: number } {
  const sinceMs = sinceOption(o);
  if (!['text', 'json', 'ecs'].includes(o.output)) throw new ConfigError(`--output must be text, json or ecs, got "${o.output}"`);
  for (const k of o.kind) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new ConfigError(`--kind must be ${EVENT_KINDS.join(', ')}, got "${k}"`);
  const pids = o.pid.map((p) => {
    if (!/^\d+$/.test(p)) throw new ConfigError(`--pid: "${p}" is not a process id`);
    return Number(p);
  });
  const flags = createTailFilter({ hosts: o.host, pids, comms: o.comm, exes: o.exe, pathPrefixes: o.pathPrefix });
  let filter = flags;
  let kinds = o.kind.length ? (o.kind as EventKind[]) : [...EVENT_KINDS];
  if (o.where !== undefined) {
    // The rules' language, with the default pack's macros and lists (open_write, shell_binaries ...).
    const { env } = loadRules([readRuleFile(DEFAULT_RULES)]);
    const where = compileExpression(o.where, env);
    const procs = createProcessLookup(65536);
    filter = (ev) => {
      procs.observe(ev);
      return (!flags || flags(ev)) && where.pred(ev, procs);
    };
    kinds = kinds.filter((k) => where.kinds.has(k)); // no need to read topics that cannot match
    if (kinds.length === 0) throw new ConfigError(`--where "${o.where}" can never match an event of the selected kinds`);
  }
  return { sinceMs, output: o.output as TailOutput, kinds, filter };
}

const DEFAULT_STORE_DIR = '/var/lib/ebpf-audit/store';

interface DetectFlags {
  check: boolean;
  defaultRules: boolean;
  disable: string[];
  minSeverity: string;
  learningPeriod?: string;
  fromBeginning: boolean;
  since?: string;
  group?: string;
  output: string;
  publish: boolean;
  statsInterval: string;
  untilEnd: boolean;
}

/** The rule files in load order: the default pack (unless --no-default-rules), then the user's. */
function detectRules(files: string[], o: DetectFlags): { rules: Rule[]; macros: number; lists: number } {
  let learningMs: number | undefined;
  if (o.learningPeriod !== undefined) {
    learningMs = parseDuration(o.learningPeriod);
    if (learningMs === undefined) throw new ConfigError(`--learning-period: "${o.learningPeriod}" is not a duration such as 30s, 10m or 1h`);
  }
  if (!o.defaultRules && files.length === 0) throw new ConfigError('no rules: give rule files or drop --no-default-rules');
  const loaded = loadRules([...(o.defaultRules ? [DEFAULT_RULES] : []), ...files].map(readRuleFile), { learningMs });
  const ids = new Set(loaded.rules.map((r) => r.id));
  for (const id of o.disable) if (!ids.has(id)) throw new ConfigError(`--disable: no rule "${id}"`);
  const min = SEVERITIES.indexOf(o.minSeverity as Severity);
  if (min < 0) throw new ConfigError(`--min-severity must be one of ${SEVERITIES.join(', ')}, got "${o.minSeverity}"`);
  const rules = loaded.rules.map((r) => ({ ...r, enabled: r.enabled && !o.disable.includes(r.id) && SEVERITIES.indexOf(r.severity) >= min }));
  return { ...loaded, rules };
}

interface CommonOptions {
  brokers: string;
  topicPrefix: string;
  clientId: string;
  logLevel: string;
}

function common(o: CommonOptions): { brokers: string[]; topicPrefix: string; clientId: string; logLevel: LogLevel } {
  return { brokers: brokersOption(o.brokers), topicPrefix: topicPrefixOption(o.topicPrefix), clientId: o.clientId, logLevel: logLevelOption(o.logLevel) };
}

/** The logger and Kafka client of a command; SASL credentials come from the environment or files, never argv. */
function connect(name: string, c: ReturnType<typeof common>, o: SecurityFlags): { logger: Logger; kafka: Kafka } {
  const security = securityOption(o, { username: process.env.EBPF_AUDIT_SASL_USERNAME, password: process.env.EBPF_AUDIT_SASL_PASSWORD });
  const logger = createLogger({ name, level: c.logLevel });
  return { logger, kafka: createKafka({ brokers: c.brokers, clientId: c.clientId, logger, security }) };
}

function stopSignal(): AbortSignal {
  const ctl = new AbortController();
  let n = 0;
  const on = (): void => {
    if (++n > 1) process.exit(130); // a second Ctrl+C: do not wait for Kafka
    ctl.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return ctl.signal;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('ebpf-audit-consumer')
    .description('Read ebpf-audit events from Kafka')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const tail = program
    .command('tail')
    .description('print events as the documented console lines')
    .option('--from-beginning', 'start at the oldest retained event (default: only new events)', false)
    .option('--since <time>', 'start at a time: ISO 8601 (2026-11-24T10:00:00Z) or back from now (30s, 10m, 2h, 1d)')
    .option('--group <name>', 'consumer group to share work and keep offsets (default: an ephemeral group)')
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-tail-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'warn')
    .option('--output <format>', 'text (the documented lines), json (one object per line) or ecs (Elastic Common Schema)', 'text')
    .option('--kind <kinds>', 'only these kinds: file, net, process (comma-separated, repeatable)', collect, [])
    .option('--host <ids>', 'only these hosts (id or name)', collect, [])
    .option('--pid <pids>', 'only these process ids', collect, [])
    .option('--comm <names>', 'only these command names', collect, [])
    .option('--exe <paths>', 'only these executables', collect, [])
    .option('--path-prefix <prefixes>', 'only file events (and execs) under these paths', collect, [])
    .option('--where <expr>', 'only events matching a condition in the rules\' language, e.g. "evt.failed = true and proc.name = cat"')
    .option('--until-end', 'exit once the topics are read up to where they ended at start (with --from-beginning or --since: print history, then exit)', false)
    .exitOverride();
  addConnectionOptions(tail, process.env.EBPF_AUDIT_BROKERS);
  addSecurityOptions(tail).action(async (o: CommonOptions & TailFlags & SecurityFlags) => {
      const c = common(o);
      const choices = tailChoices(o);
      const { logger, kafka } = connect('ebpf-audit-tail', c, o);
      await runTail(
        {
          kafka, logger, registry: createSchemaRegistry(), topicPrefix: c.topicPrefix, fromBeginning: o.fromBeginning, groupId: o.group, out: process.stdout, untilEnd: o.untilEnd,
          ...choices,
        },
        stopSignal(),
      );
    });

  const detect = program
    .command('detect')
    .description('run detection rules on the event topics; print alerts and publish them to <prefix>.alerts')
    .argument('[rule-files...]', 'YAML rule files, loaded after the default pack (they may use its lists and macros, override or disable its rules)')
    .option('--check', 'validate the rule files (and the default pack) and exit: 0 when valid, 2 with file:line:column otherwise', false)
    .option('--no-default-rules', 'do not load the default rule pack')
    .option('--disable <ids>', 'switch rules off by id (comma-separated, repeatable)', collect, [])
    .option('--min-severity <level>', `run only rules of this severity or higher: ${SEVERITIES.join(', ')}`, 'info')
    .option('--learning-period <duration>', 'learning period of every first_seen rule (e.g. 10m), replacing the rule files\' values')
    .option('--from-beginning', 'a group without committed offsets starts at the oldest retained event (default: new events only)', false)
    .option('--since <time>', 'start at a time: ISO 8601 or back from now (30s, 10m, 2h, 1d)')
    .option('--group <name>', 'consumer group: instances in one group share the partitions (default: <prefix>-detect)')
    .option('--output <format>', 'alerts on stdout: text, json or none', 'text')
    .option('--no-publish', 'do not publish alerts to Kafka (print only)')
    .option('--stats-interval <seconds>', 'seconds between stats log lines', '60')
    .option('--until-end', 'exit once the topics are read up to where they ended at start (a batch run over history)', false)
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-detect-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'info')
    .exitOverride();
  addConnectionOptions(detect, process.env.EBPF_AUDIT_BROKERS);
  addSecurityOptions(detect).action(async (files: string[], o: CommonOptions & DetectFlags & SecurityFlags) => {
    const loaded = detectRules(files, o);
    if (o.check) {
      const on = loaded.rules.filter((r) => r.enabled).length;
      process.stdout.write(`ok: ${loaded.rules.length} rules (${on} enabled), ${loaded.macros} macros, ${loaded.lists} lists\n`);
      return;
    }
    const c = common(o);
    if (!['text', 'json', 'none'].includes(o.output)) throw new ConfigError(`--output must be text, json or none, got "${o.output}"`);
    if (!/^\d+$/.test(o.statsInterval) || Number(o.statsInterval) < 1) throw new ConfigError(`--stats-interval: "${o.statsInterval}" is not a whole number of seconds`);
    const sinceMs = sinceOption(o);
    const { logger, kafka } = connect('ebpf-audit-detect', c, o);
    await runDetect(
      {
        kafka, logger, registry: createSchemaRegistry(), topicPrefix: c.topicPrefix, groupId: o.group ?? `${c.topicPrefix}-detect`, fromBeginning: o.fromBeginning, sinceMs,
        rules: loaded.rules, output: o.output as AlertOutput, publish: o.publish, out: process.stdout, statsIntervalMs: Number(o.statsInterval) * 1000, untilEnd: o.untilEnd,
      },
      stopSignal(),
    );
  });

  const store = program
    .command('store')
    .description('write every event and alert of the topics into the SQLite store, exactly once')
    .option('--db <dir>', 'store directory: meta.db and one events-YYYY-MM-DD.db per day', DEFAULT_STORE_DIR)
    .option('--retention <duration>', 'drop days older than this: 7d, 36h, 2w (default: keep)')
    .option('--max-size <bytes>', 'drop the oldest days while the store is larger: 20GB, 500MB (default: no cap)')
    .option('--group <name>', 'consumer group (default: <prefix>-store); offsets are kept in the store, not the group')
    .option('--stats-interval <seconds>', 'seconds between stats log lines', '60')
    .option('--until-end', 'exit once the topics are read up to where they ended at start', false)
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-store-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'info')
    .exitOverride();
  addConnectionOptions(store, process.env.EBPF_AUDIT_BROKERS);
  addSecurityOptions(store).action(async (o: CommonOptions & StoreFlags & SecurityFlags) => {
    const c = common(o);
    const choices = storeChoices(o);
    const { logger, kafka } = connect('ebpf-audit-store', c, o);
    await runStore(
      { kafka, logger, registry: createSchemaRegistry(), topicPrefix: c.topicPrefix, groupId: o.group ?? `${c.topicPrefix}-store`, untilEnd: o.untilEnd, ...choices },
      stopSignal(),
    );
  });

  program
    .command('search')
    .description('search the store: events matching a condition, counts, top values, histograms, a process\'s story, retro-hunts')
    .option('--db <dir>', 'store directory (written by `store`)', DEFAULT_STORE_DIR)
    .option('--since <time>', 'from this time: ISO 8601 (2026-11-24T10:00:00Z) or back from now (30s, 10m, 2h, 1d)')
    .option('--until <time>', 'up to this time, same forms as --since')
    .option('--where <expr>', 'a condition in the rules\' language, with the default pack\'s macros and lists')
    .option('--kind <kinds>', 'only these kinds: file, net, process (comma-separated, repeatable)', collect, [])
    .option('--host <ids>', 'only these hosts (id or name)', collect, [])
    .option('--limit <n>', 'at most this many events, alerts or timeline entries', '1000')
    .option('--output <format>', 'text (the documented lines), json, ecs or csv', 'text')
    .option('--count', 'print the number of matching events', false)
    .option('--top <fields>', 'the most frequent values of a field; FIELD,FIELD: values of the first ranked by distinct values of the second')
    .option('--top-n <n>', 'how many --top values', '10')
    .option('--histogram <interval>', 'matching events per interval: 10s, 1m, 1h')
    .option('--process <host:pid[@start]>', 'a process\'s lineage, then its files, connections, children and alerts in time order')
    .option('--rule <ids>', 'retro-hunt: what these stateless rules would have raised (comma-separated, repeatable)', collect, [])
    .option('--rules <file>', 'retro-hunt with the rules of a YAML file (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--timeout <seconds>', 'give up after this long (exit 1)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'warn')
    .exitOverride()
    .action(async (o: SearchFlags & { logLevel: string }) => {
      const req = searchRequest(o);
      const logger = createLogger({ name: 'ebpf-audit-search', level: logLevelOption(o.logLevel) });
      code = await runSearch(req, process.stdout, logger);
    });

  await program.parseAsync(argv);
  return code;
}

runMain('ebpf-audit-consumer', () => main(process.argv));
