#!/usr/bin/env node
/**
 * ebpf-audit-consumer: read the event topics. `tail` prints the documented console lines.
 * Only wiring here: options to typed values, signals to an AbortController, errors to exit codes
 * (2: bad usage, 1: runtime failure). Logs go to stderr, console lines to stdout.
 */
import * as os from 'node:os';
import { Command, CommanderError } from 'commander';
import { ConfigError, errorMessage } from '../common/errors';
import { addConnectionOptions, addSecurityOptions, brokersOption, collect, logLevelOption, securityOption, topicPrefixOption, type SecurityFlags } from '../common/cli-options';
import { createKafka } from '../common/kafka';
import { createLogger, type LogLevel } from '../common/logger';
import { EVENT_KINDS } from '../common/topics';
import type { EventKind } from '../schemas/types';
import { createTailFilter } from './tail/filter';
import { parseSince } from './core/since';
import { createSchemaRegistry } from '../schemas/registry';
import { runTail, type TailOutput } from './tail/tail';


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
}

function tailChoices(o: TailFlags): { output: TailOutput; kinds: EventKind[]; filter: ReturnType<typeof createTailFilter>; sinceMs?: number } {
  let sinceMs: number | undefined;
  if (o.since !== undefined) {
    if (o.fromBeginning) throw new ConfigError('--since and --from-beginning exclude each other');
    try {
      sinceMs = parseSince(o.since);
    } catch (err) {
      throw new ConfigError(`--since: ${(err as Error).message}`);
    }
  }
  if (!['text', 'json', 'ecs'].includes(o.output)) throw new ConfigError(`--output must be text, json or ecs, got "${o.output}"`);
  for (const k of o.kind) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new ConfigError(`--kind must be ${EVENT_KINDS.join(', ')}, got "${k}"`);
  const pids = o.pid.map((p) => {
    if (!/^\d+$/.test(p)) throw new ConfigError(`--pid: "${p}" is not a process id`);
    return Number(p);
  });
  return {
    sinceMs,
    output: o.output as TailOutput,
    kinds: o.kind.length ? (o.kind as EventKind[]) : [...EVENT_KINDS],
    filter: createTailFilter({ hosts: o.host, pids, comms: o.comm, exes: o.exe, pathPrefixes: o.pathPrefix }),
  };
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
    .exitOverride();
  addConnectionOptions(tail, process.env.EBPF_AUDIT_BROKERS);
  addSecurityOptions(tail).action(async (o: CommonOptions & TailFlags & SecurityFlags) => {
      const c = common(o);
      const choices = tailChoices(o);
      const security = securityOption(o, { username: process.env.EBPF_AUDIT_SASL_USERNAME, password: process.env.EBPF_AUDIT_SASL_PASSWORD });
      const logger = createLogger({ name: 'ebpf-audit-tail', level: c.logLevel });
      const kafka = createKafka({ brokers: c.brokers, clientId: c.clientId, logger, security });
      await runTail(
        {
          kafka, logger, registry: createSchemaRegistry(), topicPrefix: c.topicPrefix, fromBeginning: o.fromBeginning, groupId: o.group, out: process.stdout,
          ...choices,
        },
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
