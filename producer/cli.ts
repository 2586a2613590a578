#!/usr/bin/env -S node --max-semi-space-size=4 --single-threaded-gc
/**
 * ebpf-audit-producer: capture file opens, connects, exec and exit with eBPF and publish them to
 * Kafka. This file only wires options to a typed config, signals to an AbortController, and
 * errors to exit codes (2: bad usage or config, 1: runtime failure).
 *
 * The first line's Node flags are the producer's: a young generation of 8 MiB instead of 32
 * (README: Memory budget), and V8's garbage collection on the main thread only. An agent shares
 * the host's cores with its workload; V8's parallel and concurrent GC ran on four helper threads
 * (a fifth of the producer's CPU samples), which the scheduler put on the workload's core while the
 * producer's main thread kept the other one busy. With the collector on the main thread the
 * producer uses about one core, its CPU per event is the same or lower, and the monitored open
 * loop kept 74% of its rate where it kept 68% (README: Performance). Only Node's command line
 * sets these, so the packages' wrapper (deploy/debian/build.sh), the quickstart and the
 * benchmarks take the flags from this line.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { parseWithConfig } from '../common/cli-config';
import { addConnectionOptions, addSecurityOptions, addSubjectStrategyOption, collect } from '../common/cli-options';
import { runMain } from '../common/cli-main';
import { createLogger, type Logger } from '../common/logger';
import { buildProducerConfig, type RawProducerOptions } from './config';
import { runProducer } from './run';

const DEFAULT_OBJECT = path.resolve(__dirname, '../../bpf/build/ebpf-audit.bpf.o');

async function main(argv: string[]): Promise<number> {
  const program = new Command('ebpf-audit-producer')
    .description(
      'Capture file opens, network connects, exec and exit with eBPF and publish them to Kafka (Avro). Run as root, or with CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE (README: Least privilege).',
    )
    .option('--client-id <id>', 'Kafka client id', `ebpf-audit-producer-${os.hostname()}`)
    .option('--host-id <id>', 'host identity and Kafka key (default: /etc/machine-id)')
    .option('--host-name <name>', "host name in events (default: the system's; in a pod, give the node's)")
    .option('--proc-root <dir>', "the host's /proc (in a container: where it is mounted, with the host's PID namespace)", '/proc')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'info')
    .option('--bpf-object <file>', 'compiled BPF object', DEFAULT_OBJECT)
    .option('--syscall-hooks <set>', 'auto (tp_btf raw tracepoints, else per-syscall tracepoints), raw or tracepoint', 'auto')
    .option('--ring-buffer-mb <n>', 'kernel ring buffer size in MiB (power of two)', '16')
    .option('--drain-interval-ms <n>', 'how often the ring buffer is drained', '5')
    .option('--linger-ms <n>', 'longest wait to fill a Kafka batch', '5')
    .option('--batch-size <n>', 'most messages per Kafka request', '10000')
    .option('--max-queued <n>', 'most messages waiting for Kafka; beyond it the ring buffer holds them', '200000')
    .option('--max-queued-mb <n>', 'most MiB of encoded messages waiting for Kafka (less while Kafka is slower); beyond it the ring buffer holds them', '4')
    .option('--acks <n>', '-1 (all in-sync replicas), 1 (leader) or 0', '-1')
    .option('--compression <codec>', 'none, gzip, snappy, lz4 or zstd', 'none')
    .option('--include-pid <pids>', 'record only these processes (comma-separated, repeatable)', collect, [])
    .option('--exclude-pid <pids>', 'never record these processes', collect, [])
    .option('--include-uid <uids>', 'record only these user ids', collect, [])
    .option('--exclude-uid <uids>', 'never record these user ids', collect, [])
    .option('--include-comm <names>', 'record only these command names', collect, [])
    .option('--exclude-comm <names>', 'never record these command names', collect, [])
    .option('--include-path <prefixes>', 'record only file events under these path prefixes', collect, [])
    .option('--exclude-path <prefixes>', 'never record file events under these path prefixes', collect, [])
    .option('--only-failed', 'record only opens and connects that failed', false)
    .option('--only-successful', 'record only opens and connects that succeeded', false)
    .option('--filter-file <file>', 'JSON filter rules added to the flags; re-read on SIGHUP')
    .option('--spool-dir <dir>', 'where messages wait while Kafka is away (one producer per directory)', '/var/lib/ebpf-audit/spool')
    .option('--spool-max-mb <n>', 'spool size cap; beyond it messages are dropped and counted', '1024')
    .option('--spool-after-ms <n>', 'longest a message waits in memory unacknowledged before it is written to the spool', '1000')
    .option('--metrics-port <port>', 'serve Prometheus metrics on GET /metrics (0: any free port, logged)')
    .option('--metrics-host <address>', 'address the metrics endpoint listens on', '127.0.0.1')
    .option('--stats-interval <s>', 'seconds between stats log lines', '10')
    .option('--shutdown-timeout <s>', 'seconds to flush on SIGINT/SIGTERM', '10')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  addConnectionOptions(program);
  addSubjectStrategyOption(program);
  addSecurityOptions(program);
  await parseWithConfig(program, argv, { env: process.env });
  const raw = program.opts<RawProducerOptions>();
  const cfg = buildProducerConfig(raw);
  const logger = createLogger({ name: 'ebpf-audit-producer', level: cfg.logLevel });

  const ctl = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(130);
    }
    logger.info({ signal: sig }, 'signal received');
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reloads: (() => void)[] = [];
  process.on('SIGHUP', () => reloads.forEach((r) => r()));
  await runWithLogger(() => runProducer(cfg, logger, ctl.signal, (fn) => reloads.push(fn)), logger);
  return 0;
}

async function runWithLogger(fn: () => Promise<void>, logger: Logger): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logger.fatal({ err }, 'producer failed');
    throw Object.assign(err as Error, { logged: true });
  }
}

runMain('ebpf-audit-producer', () => main(process.argv));
