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
import { parseWithConfig, secretOption } from '../common/cli-config';
import { runMain } from '../common/cli-main';
import { addConnectionOptions, addSecurityOptions, addSubjectStrategyOption, collect, logLevelOption } from '../common/cli-options';
import { createKafka } from '../common/kafka';
import { createLogger, type Logger } from '../common/logger';
import { createSchemaRegistry } from '../schemas/registry';
import { createRegistryClient, type RegistryClient } from '../schemas/registry-client';
import { commonConfig, detectConfig, detectRules, tailConfig, type CommonConfig, type CommonFlags, type CredentialEnv, type DetectFlags, type TailFlags } from './config';
import type { runSearch as RunSearch } from './search/run-search';
import { searchRequest, type SearchFlags } from './search/search-options';
import type { runStore as RunStore } from './store/store';
import { storeChoices, type StoreFlags } from './store/store-options';
import { createOpenSearchClient, openSearchConnection, type OpenSearchFlags } from './store/opensearch/connection';
import type { openSearchBackend as OpenSearchBackend } from './store/opensearch/os-backend';
import type { runOpenSearchStore as RunOpenSearchStore } from './store/opensearch/opensearch-store';
import {
  addBackendOptions,
  addOpenSearchStoreOptions,
  backendOption,
  indexPrefixOption,
  openSearchStoreChoices,
  type OpenSearchStoreFlags,
} from './store/opensearch/opensearch-options';
import { checkReport } from './detect/check-report';
import { runDetect } from './detect/detect';
import { SEVERITIES } from './rules/loader';
import { runTail } from './tail/tail';
import type { createStoreClient as CreateStoreClient } from './web/store-client';
import type { runWeb as RunWeb } from './web/web';
import { DEFAULT_LISTEN, webConfig, type WebFlags } from './web/web-config';

/*
 * The store, search and web commands' modules, loaded when their command runs: they bring the
 * OpenSearch client, fastify and SQLite, whose loading cost `tail` and `detect` 0.3-0.9 s of CPU
 * at every start (a profile of `detect` over 1M events had 4.6% of its CPU in require).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  runSearch: (): typeof RunSearch => (require('./search/run-search') as { runSearch: typeof RunSearch }).runSearch,
  runStore: (): typeof RunStore => (require('./store/store') as { runStore: typeof RunStore }).runStore,
  openSearchBackend: (): typeof OpenSearchBackend => (require('./store/opensearch/os-backend') as { openSearchBackend: typeof OpenSearchBackend }).openSearchBackend,
  runOpenSearchStore: (): typeof RunOpenSearchStore => (require('./store/opensearch/opensearch-store') as { runOpenSearchStore: typeof RunOpenSearchStore }).runOpenSearchStore,
  createStoreClient: (): typeof CreateStoreClient => (require('./web/store-client') as { createStoreClient: typeof CreateStoreClient }).createStoreClient,
  runWeb: (): typeof RunWeb => (require('./web/web') as { runWeb: typeof RunWeb }).runWeb,
};
/* eslint-enable @typescript-eslint/no-require-imports */

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
    .option('--check', 'validate the rule files (and the default pack), list skipped rules and warnings, and exit: 0 when valid, 2 with file:line:column otherwise', false)
    .option('--strict', 'a rule skipped for what is not available here (a field, an event type, a source) is an error: exit 2', false)
    .option('--no-default-rules', 'do not load the default rule pack')
    .option('--disable <ids>', 'switch rules off by id (comma-separated, repeatable)', collect, [])
    .option('--min-severity <level>', `run only rules of this severity or higher: ${SEVERITIES.join(', ')}`, 'info')
    .option('--learning-period <duration>', "learning period of every first_seen rule (e.g. 10m), replacing the rule files' values")
    .option('--from-beginning', 'a group without committed offsets starts at the oldest retained event (default: new events only)')
    .option('--since <time>', 'start at a time: ISO 8601 or back from now (30s, 10m, 2h, 1d)')
    .option('--group <name>', 'consumer group: instances in one group share the partitions (default: <prefix>-detect)')
    .option('--output <format>', 'alerts on stdout: text, json or none', 'text')
    .option('--no-publish', 'do not publish alerts to Kafka (print only)')
    .option('--stats-interval <seconds>', 'seconds between stats log lines', '60')
    .option('--order-wait <ms>', 'how long a file or net event may wait for the process topic to be read up to its time (0: no ordering across kinds)', '1000')
    .option('--until-end', 'exit once the topics are read up to where they ended at start (a batch run over history)', false)
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-detect-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'info')
    .exitOverride();
  addConnectionOptions(detect);
  addSubjectStrategyOption(detect);
  addSecurityOptions(detect).action(async (files: string[], o: DetectFlags) => {
    const loaded = detectRules(files, o);
    if (o.check) {
      process.stdout.write(`${checkReport(loaded).join('\n')}\n`);
      return;
    }
    const c = detectConfig(o, saslEnv());
    const { logger, kafka, registryClient } = connect('ebpf-audit-detect', c);
    for (const sk of loaded.skipped) logger.warn({ rule: sk.id, at: `${sk.pos.file}:${sk.pos.line}:${sk.pos.col}` }, `rule skipped: ${sk.reason}`);
    for (const w of loaded.warnings) logger.warn({ at: `${w.pos.file}:${w.pos.line}:${w.pos.col}` }, w.message);
    await runDetect(
      { ...c, kafka, logger, registry: createSchemaRegistry(), registryClient, rules: loaded.rules, hostnames: [...loaded.env.hostnames], out: process.stdout },
      stopSignal(),
    );
  });

  const store = program
    .command('store')
    .description('write every event and alert of the topics into the store (SQLite, or OpenSearch with --backend opensearch), nothing lost or doubled')
    .option('--db <dir>', 'store directory: meta.db and one events-YYYY-MM-DD.db per day', DEFAULT_STORE_DIR)
    .option('--retention <duration>', 'drop days older than this: 7d, 36h, 2w (default: keep)')
    .option('--max-size <bytes>', 'drop the oldest days while the store is larger: 20GB, 500MB (default: no cap)')
    .option('--group <name>', 'consumer group (default: <prefix>-store, or <prefix>-store-opensearch); SQLite keeps its offsets in the store, OpenSearch in the group')
    .option('--stats-interval <seconds>', 'seconds between stats log lines', '60')
    .option('--until-end', 'exit once the topics are read up to where they ended at start', false)
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-store-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'info')
    .exitOverride();
  addBackendOptions(store);
  addOpenSearchStoreOptions(store);
  addConnectionOptions(store);
  addSecurityOptions(store).action(async (o: CommonFlags & StoreFlags & OpenSearchStoreFlags) => {
    const c = commonConfig(o, saslEnv());
    if (backendOption(o.backend) === 'opensearch') {
      // Its own default group: a SQLite store and an OpenSearch store of the same topics must not
      // split the partitions between them.
      const groupId = o.group ?? `${c.topicPrefix}-store-opensearch`;
      const os = openSearchStoreChoices(o, c.topicPrefix);
      const { logger, kafka, registryClient } = connect('ebpf-audit-store', c);
      const client = createOpenSearchClient(os.connection);
      await lazy.runOpenSearchStore()({ ...c, ...os, client, kafka, logger, registry: createSchemaRegistry(), registryClient, groupId, untilEnd: o.untilEnd }, stopSignal());
      await client.close();
      return;
    }
    const choices = storeChoices(o);
    const { logger, kafka, registryClient } = connect('ebpf-audit-store', c);
    await lazy.runStore()(
      { ...c, ...choices, kafka, logger, registry: createSchemaRegistry(), registryClient, groupId: o.group ?? `${c.topicPrefix}-store`, untilEnd: o.untilEnd },
      stopSignal(),
    );
  });

  const search = program
    .command('search')
    .description("search the store: events matching a condition, counts, top values, histograms, a process's story, retro-hunts")
    .option('--db <dir>', 'store directory (written by `store`)', DEFAULT_STORE_DIR)
    .option('--since <time>', 'from this time: ISO 8601 (2026-11-24T10:00:00Z) or back from now (30s, 10m, 2h, 1d)')
    .option('--until <time>', 'up to this time, same forms as --since')
    .option('--where <expr>', "a condition in the rules' language, with the default pack's macros and lists")
    .option('--kind <kinds>', 'only these kinds: file, net, process (comma-separated, repeatable)', collect, [])
    .option('--host <ids>', 'only these hosts (id or name)', collect, [])
    .option('--limit <n>', 'at most this many events, alerts or timeline entries', '1000')
    .option('--output <format>', 'text (the documented lines), json, ecs or csv', 'text')
    .option('--count', 'print the number of matching events', false)
    .option('--top <fields>', 'the most frequent values of a field; FIELD,FIELD: values of the first ranked by distinct values of the second')
    .option('--top-n <n>', 'how many --top values', '10')
    .option('--histogram <interval>', 'matching events per interval: 10s, 1m, 1h')
    .option('--process <host:pid[@start]>', "a process's lineage, then its files, connections, children and alerts in time order")
    .option('--rule <ids>', 'retro-hunt: what these stateless rules would have raised (comma-separated, repeatable)', collect, [])
    .option('--rules <file>', 'retro-hunt with the rules of a YAML file (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--timeout <seconds>', 'give up after this long (exit 1)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'warn')
    .exitOverride();
  addBackendOptions(search).action(async (o: SearchFlags & OpenSearchFlags & { logLevel: string; backend: string; indexPrefix?: string }) => {
    const req = searchRequest(o);
    const logger = createLogger({ name: 'ebpf-audit-search', level: logLevelOption(o.logLevel) });
    if (backendOption(o.backend) === 'opensearch') {
      const client = createOpenSearchClient(openSearchConnection(o));
      const indexPrefix = indexPrefixOption(o.indexPrefix, 'ebpf-audit');
      code = await lazy.runSearch()(req, process.stdout, logger, () => lazy.openSearchBackend()({ client, indexPrefix }));
      return;
    }
    code = await lazy.runSearch()(req, process.stdout, logger);
  });

  const web = program
    .command('web')
    .description('a web console: live events and alerts, search, process view and hosts, over HTTP(S)')
    .option('--listen <address>', 'HOST:PORT to serve on; an address off loopback requires credentials', DEFAULT_LISTEN)
    .option('--db <dir>', 'the store directory (written by `ebpf-audit-consumer store`) for search, alert history and the process view', DEFAULT_STORE_DIR)
    .option('--auth-user <name>', 'user name for HTTP Basic login (with --auth-password-file or EBPF_AUDIT_AUTH_PASSWORD)')
    .option('--auth-password-file <file>', 'file holding the password of --auth-user (else env EBPF_AUDIT_AUTH_PASSWORD or "auth-password:" in the config file)')
    .addOption(secretOption('--auth-password <password>', 'password: environment or config file only'))
    .option('--auth-token-file <file>', 'file holding an access token: "Authorization: Bearer TOKEN", or the password of a browser login (else env EBPF_AUDIT_AUTH_TOKEN)')
    .addOption(secretOption('--auth-token <token>', 'access token: environment or config file only'))
    .option('--https-cert <file>', 'serve HTTPS with this PEM certificate (chain)')
    .option('--https-key <file>', 'PEM private key of --https-cert')
    .option('--allowed-host <names>', 'Host header names accepted besides loopback ones when there is no login (DNS rebinding guard)', collect, [])
    .option('--query-timeout <seconds>', 'time budget of one store query', '10')
    .option('--max-range <duration>', 'longest time range a query may cover', '31d')
    .option('--max-clients <n>', 'live streams open at once', '32')
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-web-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'info')
    .exitOverride();
  addConnectionOptions(web);
  addSecurityOptions(web).action(async (o: WebFlags) => {
    const c = webConfig(o);
    const { logger, kafka } = connect('ebpf-audit-web', c);
    const backend = lazy.createStoreClient()({ dir: c.storeDir, logger, timeoutMs: c.queryTimeoutMs });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (require('../../package.json') as { version: string }).version;
    await lazy.runWeb()({ ...c, kafka, logger, registry: createSchemaRegistry(), store: backend, out: process.stdout, version }, stopSignal());
  });

  await parseWithConfig(program, argv, { env: process.env });
  return code;
}

runMain('ebpf-audit-consumer', () => main(process.argv));
