/** ebpf-audit's producer as a peer: the loop's events are counted in Kafka (topic offsets). */
import * as path from 'node:path';
import { topicFor } from '../../../common/topics';
import { BROKERS, PRODUCER_CLI, producerNodeFlags } from '../../helpers/env';
import { testKafka } from '../../helpers/kafka';
import { start, type Running } from '../../helpers/proc';
import type { Peer } from './peer';

export function ebpfAudit(opts: { work: string; prefix: string; ringMb: number }): Peer {
  let producer: Running | undefined;
  let round = 0;
  let prefix = opts.prefix;
  const admin = testKafka('bench-peers').admin();
  let connected = false;
  const inKafka = async (): Promise<number> => {
    if (!connected) await admin.connect();
    connected = true;
    const offs = await admin.fetchTopicOffsets(topicFor(prefix, 'file'));
    return offs.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  };
  const pid = (): number => producer!.child.pid!;
  return {
    name: 'ebpf-audit',
    cpuPids: () => [pid()],
    rssPid: pid,
    bpfPid: pid,
    async start(ctx) {
      // Topics and spool of their own in each round: a round counts only its own events.
      prefix = `${opts.prefix}-${++round}`;
      producer = start(process.execPath, [
        ...producerNodeFlags(), // as installed
        PRODUCER_CLI,
        '--brokers',
        BROKERS,
        '--topic-prefix',
        prefix,
        '--ring-buffer-mb',
        String(opts.ringMb),
        '--include-pid',
        String(ctx.loopPid),
        '--spool-dir',
        path.join(opts.work, `spool-${round}`),
        '--log-level',
        'info',
      ]);
      await producer.waitForLine(/"msg":"capturing"/, 60000, 'stderr');
    },
    delivered: inKafka,
    async stop() {
      await producer!.stop('SIGINT', 60000);
      const finalLine = producer!
        .stderr()
        .split('\n')
        .find((l) => l.includes('"final stats"'));
      const lost = finalLine ? JSON.parse(finalLine).stats.lost : 'no final stats';
      return { delivered: await inKafka(), remark: `lost ${lost} (final stats)` };
    },
    async cleanup() {
      if (producer && producer.child.exitCode === null && producer.child.signalCode === null) await producer.stop('SIGKILL');
      if (connected) await admin.disconnect();
      connected = false;
    },
  };
}
