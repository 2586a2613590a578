/** Option parsing shared by the CLIs: each bad value becomes a ConfigError naming its flag. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { secretOption } from './cli-config';
import { ConfigError } from './errors';
import { DEFAULT_BROKERS, DEFAULT_TOPIC_PREFIX, parseBrokers, type KafkaSecurity } from './kafka';
import { LOG_LEVELS, type LogLevel } from './logger';
import { validateTopicPrefix } from './topics';
import type { SchemaRegistryConfig } from '../schemas/registry-client';
import { SUBJECT_STRATEGIES, type SubjectStrategy } from '../schemas/subjects';

/** Commander collector for a repeatable, comma-separated list option. */
export const collect = (value: string, previous: string[]): string[] =>
  previous.concat(
    value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s),
  );

/**
 * --brokers and --topic-prefix. EBPF_AUDIT_BROKERS, like every EBPF_AUDIT_<OPTION>, is applied by
 * the configuration layer (cli-config.ts), between the flag and the config file.
 */
export function addKafkaOptions(cmd: Command): Command {
  return cmd
    .option('--brokers <list>', 'Kafka bootstrap brokers, host:port[,host:port] (env EBPF_AUDIT_BROKERS)', DEFAULT_BROKERS)
    .option('--topic-prefix <prefix>', 'topics are <prefix>.file, .net, .process, .stats, .alerts and .schemas', DEFAULT_TOPIC_PREFIX);
}

/**
 * The Kafka options and the schema registry, the same on every command that writes or reads
 * events. `_envBrokers` is ignored (the configuration layer applies EBPF_AUDIT_BROKERS) and stays
 * only for callers written before it.
 */
export function addConnectionOptions(cmd: Command, _envBrokers?: string): Command {
  return addKafkaOptions(cmd)
    .option('--schema-registry <url>', 'Confluent-compatible schema registry (http[s]://host:port[/path]): write the Confluent framing, read it')
    .option('--schema-registry-user <name>', 'basic-auth user for the schema registry (env EBPF_AUDIT_SCHEMA_REGISTRY_USER)')
    .option(
      '--schema-registry-password-file <file>',
      'file holding its password (else env EBPF_AUDIT_SCHEMA_REGISTRY_PASSWORD or "schema-registry-password:" in the config file; never a flag)',
    )
    .addOption(secretOption('--schema-registry-password <password>', 'schema registry password: environment or config file only'))
    .option('--schema-registry-ca <file>', 'PEM CA certificate(s) to verify an https schema registry with (default: the system CAs)');
}

/** The schema registry flags that addConnectionOptions adds. */
export interface SchemaRegistryFlags {
  schemaRegistry?: string;
  schemaRegistryUser?: string;
  schemaRegistryPasswordFile?: string;
  /** From EBPF_AUDIT_SCHEMA_REGISTRY_PASSWORD or the config file only (a secret option). */
  schemaRegistryPassword?: string;
  schemaRegistryCa?: string;
}

/**
 * The schema registry options (EBPF_AUDIT_SCHEMA_REGISTRY_USER and _PASSWORD already applied by
 * the configuration layer) -> SchemaRegistryConfig; undefined without --schema-registry.
 */
export function schemaRegistryOption(o: SchemaRegistryFlags): SchemaRegistryConfig | undefined {
  if (o.schemaRegistry === undefined) {
    const stray = o.schemaRegistryUser
      ? '--schema-registry-user'
      : o.schemaRegistryPasswordFile
        ? '--schema-registry-password-file'
        : o.schemaRegistryCa
          ? '--schema-registry-ca'
          : undefined;
    if (stray) throw new ConfigError(`${stray} needs --schema-registry`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(o.schemaRegistry);
  } catch {
    throw new ConfigError(`--schema-registry: "${o.schemaRegistry}" is not a URL such as http://127.0.0.1:8081`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--schema-registry: must be an http or https URL, got ${url.protocol}`);
  if (url.username || url.password)
    throw new ConfigError('--schema-registry: no credentials in the URL (they would show in ps); use --schema-registry-user and --schema-registry-password-file');
  if (url.search || url.hash) throw new ConfigError('--schema-registry: the URL takes no query or fragment');
  if (o.schemaRegistryCa && url.protocol !== 'https:') throw new ConfigError('--schema-registry-ca needs an https:// --schema-registry');
  const username = o.schemaRegistryUser;
  const password = o.schemaRegistryPasswordFile ? readSecretFile('--schema-registry-password-file', o.schemaRegistryPasswordFile).replace(/\r?\n$/, '') : o.schemaRegistryPassword;
  if (password !== undefined && password !== '' && !username) throw new ConfigError('a schema registry password needs --schema-registry-user (or EBPF_AUDIT_SCHEMA_REGISTRY_USER)');
  if (username && !password) throw new ConfigError('--schema-registry-user needs --schema-registry-password-file or EBPF_AUDIT_SCHEMA_REGISTRY_PASSWORD');
  return {
    url: url.href.replace(/\/$/, ''),
    username: username || undefined,
    password: username ? password : undefined,
    ca: o.schemaRegistryCa && readSecretFile('--schema-registry-ca', o.schemaRegistryCa),
  };
}

/** For the commands that write (producer, detect): under which subject their schemas are registered. */
export function addSubjectStrategyOption(cmd: Command): Command {
  return cmd.option(
    '--subject-strategy <name>',
    `with --schema-registry, the subject of each topic's schema: ${SUBJECT_STRATEGIES.join(', ')} (<topic>-value, the record name, <topic>-<record name>)`,
    'topic',
  );
}

export function subjectStrategyOption(value: string): SubjectStrategy {
  if (!(SUBJECT_STRATEGIES as readonly string[]).includes(value)) throw new ConfigError(`--subject-strategy must be ${SUBJECT_STRATEGIES.join(', ')}, got "${value}"`);
  return value as SubjectStrategy;
}

export function brokersOption(value: string): string[] {
  try {
    return parseBrokers(value);
  } catch (err) {
    throw new ConfigError(`--brokers: ${(err as Error).message}`);
  }
}

export function topicPrefixOption(value: string): string {
  try {
    return validateTopicPrefix(value);
  } catch (err) {
    throw new ConfigError(`--topic-prefix: ${(err as Error).message}`);
  }
}

export function logLevelOption(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return value as LogLevel;
}

export interface SecurityFlags {
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPasswordFile?: string;
  /** Only from EBPF_AUDIT_SASL_PASSWORD or the config file, never a flag (see secretOption). */
  saslPassword?: string;
}

/** The TLS and SASL flags, the same on every CLI. Secrets only from files or the environment. */
export function addSecurityOptions(cmd: Command): Command {
  return cmd
    .option('--tls', 'connect with TLS (implied by --tls-ca/--tls-cert)')
    .option('--tls-ca <file>', 'PEM CA certificate(s) to verify the brokers with (default: the system CAs)')
    .option('--tls-cert <file>', 'PEM client certificate, for brokers that require one')
    .option('--tls-key <file>', 'PEM private key of the client certificate')
    .option('--sasl-mechanism <name>', 'plain, scram-sha-256 or scram-sha-512')
    .option('--sasl-username <name>', 'SASL user (env EBPF_AUDIT_SASL_USERNAME)')
    .option('--sasl-password-file <file>', 'file holding the SASL password (else env EBPF_AUDIT_SASL_PASSWORD or "sasl-password:" in the config file; never a flag)')
    .addOption(secretOption('--sasl-password <password>', 'SASL password: environment or config file only'));
}

function readSecretFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Security options -> KafkaSecurity. The configuration layer already put EBPF_AUDIT_SASL_USERNAME
 * and EBPF_AUDIT_SASL_PASSWORD in `o`; `env` stays for callers that pass them explicitly.
 */
export function securityOption(o: SecurityFlags, env: { username?: string; password?: string } = {}): KafkaSecurity {
  const sec: KafkaSecurity = {};
  if (o.tls || o.tlsCa || o.tlsCert || o.tlsKey) {
    if (!!o.tlsCert !== !!o.tlsKey) throw new ConfigError('--tls-cert and --tls-key go together');
    sec.tls = {
      ca: o.tlsCa && readSecretFile('--tls-ca', o.tlsCa),
      cert: o.tlsCert && readSecretFile('--tls-cert', o.tlsCert),
      key: o.tlsKey && readSecretFile('--tls-key', o.tlsKey),
    };
  }
  if (o.saslMechanism !== undefined) {
    const mechanism = o.saslMechanism.toLowerCase();
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
      throw new ConfigError(`--sasl-mechanism must be plain, scram-sha-256 or scram-sha-512, got "${o.saslMechanism}"`);
    }
    const username = o.saslUsername ?? env.username;
    if (!username) throw new ConfigError('--sasl-mechanism needs --sasl-username (or EBPF_AUDIT_SASL_USERNAME)');
    const password = o.saslPasswordFile ? readSecretFile('--sasl-password-file', o.saslPasswordFile).replace(/\r?\n$/, '') : (o.saslPassword ?? env.password);
    if (!password) throw new ConfigError('--sasl-mechanism needs --sasl-password-file or EBPF_AUDIT_SASL_PASSWORD');
    sec.sasl = { mechanism, username, password };
  } else if (o.saslUsername || o.saslPasswordFile || o.saslPassword) {
    throw new ConfigError('--sasl-username/--sasl-password-file/--sasl-password need --sasl-mechanism');
  }
  return sec;
}
