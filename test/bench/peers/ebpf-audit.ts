/**
 * ebpf-audit's producer as a peer: the loop's events are counted in Kafka (topic offsets). With
 * `quota`, the producer runs inside that CPU quota group (the shipped unit's CPUQuota=).
 */
import * as path from 'node:path';
import { topicFor } from '../../../common/topics';
import { testKafka } from '../../helpers/kafka';
import { start, type Running } from '../../helpers/proc';
import type { CpuQuotaGroup } from '../lib/cpu-quota';
import { loopProducerArgv } from '../lib/producer-argv';
import type { Peer } from './peer';

export function ebpfAudit(opts: { work: string; prefix: string; ringMb: number; name?: string; quota?: CpuQuotaGroup }): Peer {
  let producer: Running | undefined;
  let round = 0;
  let prefix = opts.prefix;
  const admin = testKafka('bench-peers').admin();
  let connected = false;
  let throttled0 = 0;
  const inKafka = async (): Promise<number> => {
    if (!connected) await admin.connect();
    connected = true;
    const offs = await admin.fetchTopicOffsets(topicFor(prefix, 'file'));
    return offs.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  };
  const pid = (): number => producer!.child.pid!;
  return {
    name: opts.name ?? 'ebpf-audit',
    cpuPids: () => [pid()],
    rssPid: pid,
    bpfPid: pid,
    async start(ctx) {
      // Topics and spool of their own in each round: a round counts only its own events.
      prefix = `${opts.prefix}-${++round}`;
      throttled0 = opts.quota?.throttledPeriods() ?? 0;
      const argv = loopProducerArgv({ prefix, ringMb: opts.ringMb, loopPid: ctx.loopPid, spoolDir: path.join(opts.work, `spool-${round}`) });
      const [cmd, ...args] = opts.quota ? opts.quota.wrap(argv) : argv;
      producer = start(cmd, args);
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
      const throttled = opts.quota ? `, quota used up in ${opts.quota.throttledPeriods() - throttled0} periods of 100 ms` : '';
      return { delivered: await inKafka(), remark: `lost ${lost} (final stats)${throttled}` };
    },
    async cleanup() {
      if (producer && producer.child.exitCode === null && producer.child.signalCode === null) await producer.stop('SIGKILL');
      if (connected) await admin.disconnect();
      connected = false;
      opts.quota?.remove();
    },
  };
}
