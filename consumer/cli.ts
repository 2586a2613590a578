#!/usr/bin/env node
/**
 * ebpf-audit-consumer: read the event topics. `tail` prints the documented console lines.
 * Only wiring here: options to typed values, signals to an AbortController, errors to exit codes
 * (2: bad usage, 1: runtime failure). Logs go to stderr, console lines to stdout.
 */
import * as os from 'node:os';
import { Command, CommanderError } from 'commander';
import { ConfigError, errorMessage } from '../common/errors';
import { createKafka, DEFAULT_BROKERS, DEFAULT_TOPIC_PREFIX, parseBrokers } from '../common/kafka';
import { createLogger, LOG_LEVELS, type LogLevel } from '../common/logger';
import { validateTopicPrefix } from '../common/topics';
import { createSchemaRegistry } from '../schemas/registry';
import { runTail } from './tail/tail';

interface CommonOptions {
  brokers: string;
  topicPrefix: string;
  clientId: string;
  logLevel: string;
}

function common(o: CommonOptions): { brokers: string[]; topicPrefix: string; clientId: string; logLevel: LogLevel } {
  let brokers: string[];
  try {
    brokers = parseBrokers(o.brokers);
  } catch (err) {
    throw new ConfigError(`--brokers: ${(err as Error).message}`);
  }
  let topicPrefix: string;
  try {
    topicPrefix = validateTopicPrefix(o.topicPrefix);
  } catch (err) {
    throw new ConfigError(`--topic-prefix: ${(err as Error).message}`);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(o.logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${o.logLevel}"`);
  }
  return { brokers, topicPrefix, clientId: o.clientId, logLevel: o.logLevel as LogLevel };
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
  const program = new Command('ebpf-audit-consumer')
    .description('Read ebpf-audit events from Kafka')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('tail')
    .description('print events as the documented console lines')
    .option('--brokers <list>', 'Kafka bootstrap brokers, host:port[,host:port] (env EBPF_AUDIT_BROKERS)', process.env.EBPF_AUDIT_BROKERS || DEFAULT_BROKERS)
    .option('--topic-prefix <prefix>', 'read <prefix>.file, <prefix>.net, <prefix>.process', DEFAULT_TOPIC_PREFIX)
    .option('--from-beginning', 'start at the oldest retained event (default: only new events)', false)
    .option('--group <name>', 'consumer group to share work and keep offsets (default: an ephemeral group)')
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-tail-${os.hostname()}`)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (logs go to stderr)', 'warn')
    .exitOverride()
    .action(async (o: CommonOptions & { fromBeginning: boolean; group?: string }) => {
      const c = common(o);
      const logger = createLogger({ name: 'ebpf-audit-tail', level: c.logLevel });
      const kafka = createKafka({ brokers: c.brokers, clientId: c.clientId, logger });
      await runTail(
        { kafka, logger, registry: createSchemaRegistry(), topicPrefix: c.topicPrefix, fromBeginning: o.fromBeginning, groupId: o.group, out: process.stdout },
        stopSignal(),
      );
    });

  await program.parseAsync(argv);
  return 0;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    process.stderr.write(`ebpf-audit-consumer: ${errorMessage(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
