/** The producer's command line in the benchmarks that trace the open/close loop by its pid. */
import { BROKERS, PRODUCER_CLI, producerNodeFlags } from '../../helpers/env';

export function loopProducerArgv(opts: { prefix: string; ringMb: number; loopPid: number; spoolDir: string }): string[] {
  return [
    process.execPath,
    ...producerNodeFlags(), // as installed
    PRODUCER_CLI,
    '--brokers',
    BROKERS,
    '--topic-prefix',
    opts.prefix,
    '--ring-buffer-mb',
    String(opts.ringMb),
    '--include-pid',
    String(opts.loopPid),
    '--spool-dir',
    opts.spoolDir,
    '--log-level',
    'info',
  ];
}
