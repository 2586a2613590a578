/**
 * Counting marked events in Kafka without decoding: an event's path is an Avro string, stored as
 * its UTF-8 bytes, so a run-specific marker path is found in the raw message value. Reads the
 * topics from the beginning with a group of its own.
 */
import { testKafka } from './kafka';

/** How often each marker (every match of `re`, which must be global) appears across `topics`. */
export async function countMarkers(topics: string[], re: RegExp, done: (counts: Map<string, number>) => boolean, timeoutMs: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const consumer = testKafka('count-markers').consumer({ groupId: `test-markers-${process.pid}-${Date.now().toString(36)}` });
  await consumer.connect();
  try {
    // The producer creates its topics in the background: they may not exist yet.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await consumer.subscribe({ topics, fromBeginning: true });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          for (const m of (message.value ?? Buffer.alloc(0)).toString('latin1').matchAll(re)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
          if (done(counts)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return counts;
}
