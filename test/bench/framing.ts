/**
 * Framing benchmark, in one process (no Kafka): Avro encode and decode of N events shaped like a
 * busy fleet (test/bench/workload.ts) in the single-object encoding and in the Confluent framing
 * (the id already known, as on the hot path), and decode of a mix of both in one stream.
 * Prints CPU nanoseconds per event (user + system, so other load on the machine counts less),
 * best of 5 runs.
 *   node dist/test/bench/framing.js [events=1000000]
 */
import { createSchemaRegistry } from '../../schemas/registry';
import { makeEvents } from './workload';

const N = Number(process.argv[2] ?? 1_000_000);
const events = makeEvents(N);
const single = createSchemaRegistry();
const confluent = createSchemaRegistry();
confluent.useRegistryId('file', 1);
confluent.useRegistryId('net', 2);
confluent.useRegistryId('process', 3);

function best(label: string, fn: () => void): void {
  let min = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    min = Math.min(min, (d.user + d.system) * 1000);
  }
  console.log(`${label.padEnd(38)} ${(min / N).toFixed(0).padStart(5)} ns/event  ${((N / min) * 1e3).toFixed(2)}M events per CPU second`);
}

const encode = (r: typeof single): Buffer[] => events.map((e) => r.encode(e.kind, e.event));
let singleBufs: Buffer[] = [];
let confluentBufs: Buffer[] = [];
best('encode, single-object', () => void (singleBufs = encode(single)));
best('encode, Confluent framing', () => void (confluentBufs = encode(confluent)));
const mixed = singleBufs.map((b, i) => (i % 2 ? confluentBufs[i] : b));
// One reader that knows both: ids as a consumer caches them after its first fetch.
const reader = createSchemaRegistry();
reader.useRegistryId('file', 1);
reader.useRegistryId('net', 2);
reader.useRegistryId('process', 3);
const decodeAll = (bufs: Buffer[]): void => bufs.forEach((b, i) => reader.decode(events[i].kind, b));
best('decode, single-object', () => decodeAll(singleBufs));
best('decode, Confluent framing (id cached)', () => decodeAll(confluentBufs));
best('decode, both framings alternating', () => decodeAll(mixed));
