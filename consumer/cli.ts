#!/usr/bin/env node
/**
 * ebpf-audit-consumer: read the event topics. `tail` prints the documented console lines;
 * `detect` runs detection rules and publishes alerts; `store` keeps every event in SQLite and
 * `search` queries it.
 * Only wiring here: options to typed values, signals to an AbortController, errors to exit codes
 * (2: bad usage, 1: runtime failure). Logs go to stderr, console lines to stdout.
 */
import * as os from 'node:os';
import { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { parseWithConfig } from '../common/cli-config';
import { runMain } from '../common/cli-main';
import { addConnectionOptions, addSecurityOptions, addSubjectStrategyOption, collect, logLevelOption } from '../common/cli-options';
import { createKafka } from '../common/kafka';
import { createLogger, type Logger } from '../common/logger';
import { createSchemaRegistry } from '../schemas/registry';
import { createRegistryClient, type RegistryClient } from '../schemas/registry-client';
import { commonConfig, detectConfig, detectRules, tailConfig, type CommonConfig, type CommonFlags, type CredentialEnv, type DetectFlags, type TailFlags } from './config';
import { runSearch } from './search/run-search';
import { searchRequest, type SearchFlags } from './search/search-options';
import { runStore } from './store/store';
import { storeChoices, type StoreFlags } from './store/store-options';
import { runDetect } from './detect/detect';
import { SEVERITIES } from './rules/loader';
import { runTail } from './tail/tail';

/** The logger, Kafka client and (with --schema-registry) registry client of a command. */
function connect(name: string, c: CommonConfig): { logger: Logger; kafka: Kafka; registryClient?: RegistryClient } {
  const logger = createLogger({ name, level: c.logLevel });
  const registryClient = c.schemaRegistry && createRegistryClient(c.schemaRegistry);
  return { logger, kafka: createKafka({ brokers: c.brokers, clientId: c.clientId, logger, security: c.security }), registryClient };
}

/** SASL credentials come from the environment (or files), never argv. */
const saslEnv = (): CredentialEnv => ({ username: process.env.EBPF_AUDIT_SASL_USERNAME, password: process.env.EBPF_AUDIT_SASL_PASSWORD });

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

const DEFAULT_STORE_DIR = '/var/lib/ebpf-audit/store';

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('ebpf-audit-consumer')
    .description('Read ebpf-audit events from Kafka')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const tail = program
    .command('tail')
    .description('print events as the documented console lines')
    .option('--from-beginning', 'start at the oldest retained event (default: only new events)')
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
  addConnectionOptions(tail);
  addSecurityOptions(tail).action(async (o: TailFlags) => {
    const c = tailConfig(o, saslEnv());
    const { logger, kafka, registryClient } = connect('ebpf-audit-tail', c);
    // A terminal gets a one-line summary at the end, as ping does; scripts get the final log line.
    const summaryTo = process.stderr.isTTY ? process.stderr : undefined;
    await runTail({ ...c, kafka, logger, registry: createSchemaRegistry(), registryClient, out: process.stdout, summaryTo }, stopSignal());
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
    .option('--from-beginning', 'a group without committed offsets starts at the oldest retained event (default: new events only)')
    .option('--since <time>', 'start at a time: ISO 8601 or back from now (30s, 10m, 2h, 1d)')
    .option('--group <name>', 'consumer group: instances in one group share the partitions (default: <prefix>-detect)')
    .option('--output <format>', 'alerts on stdout: text, json or none', 'text')
    .option('--no-publish', 'do not publish alerts to Kafka (print only)')
    .option('--stats-interval <seconds>', 'seconds between stats log lines', '60')
    .option('--until-end', 'exit once the topics are read up to where they ended at start (a batch run over history)', false)
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-detect-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'info')
    .exitOverride();
  addConnectionOptions(detect);
  addSubjectStrategyOption(detect);
  addSecurityOptions(detect).action(async (files: string[], o: DetectFlags) => {
    const loaded = detectRules(files, o);
    if (o.check) {
      const on = loaded.rules.filter((r) => r.enabled).length;
      process.stdout.write(`ok: ${loaded.rules.length} rules (${on} enabled), ${loaded.macros} macros, ${loaded.lists} lists\n`);
      return;
    }
    const c = detectConfig(o, saslEnv());
    const { logger, kafka, registryClient } = connect('ebpf-audit-detect', c);
    await runDetect({ ...c, kafka, logger, registry: createSchemaRegistry(), registryClient, rules: loaded.rules, out: process.stdout }, stopSignal());
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
  addConnectionOptions(store);
  addSecurityOptions(store).action(async (o: CommonFlags & StoreFlags) => {
    const c = commonConfig(o, saslEnv());
    const choices = storeChoices(o);
    const { logger, kafka, registryClient } = connect('ebpf-audit-store', c);
    await runStore({ ...c, ...choices, kafka, logger, registry: createSchemaRegistry(), registryClient, groupId: o.group ?? `${c.topicPrefix}-store`, untilEnd: o.untilEnd }, stopSignal());
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

  await parseWithConfig(program, argv, { env: process.env });
  return code;
}

runMain('ebpf-audit-consumer', () => main(process.argv));
