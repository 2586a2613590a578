#!/usr/bin/env node
/**
 * ebpf-audit-topics: create or check the project's topics (events, stats, alerts, schemas). Exit codes:
 * 0 done / as specified, 1 a topic differs (check) or Kafka failed, 2 bad usage.
 */
import { Command } from 'commander';
import { parseWithConfig } from '../common/cli-config';
import { runMain } from '../common/cli-main';
import { addKafkaOptions, addSecurityOptions, brokersOption, securityOption, topicPrefixOption, type SecurityFlags } from '../common/cli-options';
import { createKafka } from '../common/kafka';
import { createLogger } from '../common/logger';
import { checkTopics, ensureTopics, topicSpecs, type TopicSettings } from '../common/topic-admin';
import { intOption } from './config';

interface Options {
  brokers: string;
  topicPrefix: string;
  partitions: string;
  replicationFactor: string;
  retentionHours: string;
}

function settings(o: Options): { brokers: string[]; prefix: string; s: TopicSettings } {
  return {
    brokers: brokersOption(o.brokers),
    prefix: topicPrefixOption(o.topicPrefix),
    s: {
      partitions: intOption('partitions', o.partitions, 1, 10000),
      replicationFactor: intOption('replication-factor', o.replicationFactor, 1, 32),
      retentionMs: intOption('retention-hours', o.retentionHours, 1, 876000) * 3_600_000,
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const logger = createLogger({ name: 'ebpf-audit-topics', level: 'warn' });
  const program = new Command('ebpf-audit-topics')
    .description('Create or check the ebpf-audit topics: <prefix>.file/.net/.process/.stats/.alerts (retention) and <prefix>.schemas (compacted)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  for (const name of ['create', 'check'] as const) {
    const cmd = program
      .command(name)
      .description(name === 'create' ? 'create the missing topics' : 'report topics that are missing or differ; exit 1 if any')
      .option('--partitions <n>', 'partitions of the event, stats and alerts topics', '6')
      .option('--replication-factor <n>', 'replicas of every topic', '1')
      .option('--retention-hours <n>', 'retention of the event, stats and alerts topics', '168')
      .exitOverride();
    addKafkaOptions(cmd); // topics carry no messages: no schema registry options
    addSecurityOptions(cmd).action(async (o: Options & SecurityFlags) => {
      const { brokers, prefix, s } = settings(o);
      const security = securityOption(o);
      const kafka = createKafka({ brokers, clientId: 'ebpf-audit-topics', logger, security });
      const specs = topicSpecs(prefix, s);
      if (name === 'create') {
        const created = await ensureTopics(kafka, specs, logger);
        process.stdout.write(`created: ${created.length ? created.join(' ') : '(none: all exist)'}\n`);
      }
      const problems = await checkTopics(kafka, specs);
      for (const p of problems) process.stdout.write(`${p}\n`);
      if (problems.length === 0) process.stdout.write(`ok: ${specs.length} topics as specified\n`);
      code = problems.length ? 1 : 0;
    });
  }
  await parseWithConfig(program, argv, { env: process.env, fileName: () => 'topics' });
  return code;
}

runMain('ebpf-audit-topics', () => main(process.argv));
