/**
 * Deletes the topics that earlier test and benchmark runs left on the broker: every test and
 * benchmark names its topics `test-...-<ms36>.<kind>` / `bench-...-<ms36>.<kind>` (its start
 * time in base 36, test/helpers/env.ts uniquePrefix). Without this the local broker collects
 * thousands of partitions over many runs, and its start-up and every metadata request slow down.
 * Only topics older than the cut-off are deleted, so runs going on at the same time keep theirs.
 *   node dist/test/prune-topics.js [hours=2]
 */
import { withAdmin } from '../common/admin';
import { testKafka } from './helpers/kafka';

const NAME = /^(?:test|bench)-(?:.*-)?([0-9a-z]{8})\.[a-z]+$/;

async function main(): Promise<void> {
  const hours = Number(process.argv[2] ?? 2);
  if (!(hours >= 0)) throw new Error(`hours must be a number >= 0, not ${process.argv[2]}`);
  const cutoff = Date.now() - hours * 3_600_000;
  const deleted = await withAdmin(testKafka('prune-topics'), async (admin) => {
    const old = (await admin.listTopics()).filter((t) => {
      const m = NAME.exec(t);
      const ms = m ? parseInt(m[1], 36) : NaN;
      return ms > Date.UTC(2025, 0, 1) && ms < cutoff;
    });
    for (let i = 0; i < old.length; i += 200) await admin.deleteTopics({ topics: old.slice(i, i + 200), timeout: 60_000 });
    return old.length;
  });
  process.stderr.write(`prune-topics: deleted ${deleted} test and benchmark topics older than ${hours} h\n`);
}

main().catch((err) => {
  // Housekeeping only: a failure here must not fail the run; say it and go on.
  process.stderr.write(`prune-topics: ${err instanceof Error ? err.message : String(err)}\n`);
});
