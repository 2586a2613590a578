/**
 * The distinct windows' tables with their memory from a pool (value-table.ts's TablePool) and each
 * with a typed array of its own, as before: the same stream of values into 8,000 keys' windows
 * (mass-file-access's shape on the consumer benchmark's workload: about 8 values per key per
 * window, pruned once per window), alternating in one process so both see the same machine.
 *   node dist/test/bench/value-tables.js [values=2000000] [rounds=7]
 */
import { TablePool, ValueTable } from '../../consumer/rules/value-table';
import { rng } from '../helpers/rng';

const N = Number(process.argv[2] ?? 2_000_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const KEYS = 8000;
const WINDOW_MS = 10_000;

/** A pool that is none: every table a new typed array, as before the pool. */
class NoPool extends TablePool {
  override take(capacity: number): Float64Array {
    return new Float64Array(2 * capacity).fill(NaN);
  }
  override give(): void {}
}

function stream(): { key: Uint32Array; value: Float64Array } {
  const r = rng(3);
  const key = new Uint32Array(N);
  const value = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    key[i] = Math.floor(r() * KEYS);
    value[i] = Math.floor(r() * 5000);
  }
  return { key, value };
}

function run(pool: () => TablePool, s: { key: Uint32Array; value: Float64Array }): { us: number; held: number } {
  const p = pool();
  const tables: ValueTable[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const t = i * 0.05; // one value per 50 us, as the workload's events
    const k = s.key[i];
    const table = (tables[k] ??= new ValueTable(t, p));
    table.set(s.value[i], t);
    if (t - table.prunedAt > WINDOW_MS) table.prune(t, WINDOW_MS);
  }
  const c = process.cpuUsage(c0);
  let held = 0;
  for (const t of tables) held += t?.size ?? 0;
  return { us: c.user + c.system, held };
}

const s = stream();
const pooled: number[] = [];
const own: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = run(() => new TablePool(), s);
  const b = run(() => new NoPool(), s);
  if (a.held !== b.held) throw new Error(`the two ways hold different values: ${a.held} and ${b.held}`);
  pooled.push(a.us);
  own.push(b.us);
}
const median = (v: number[]): number => [...v].sort((x, y) => x - y)[v.length >> 1];
const ns = (us: number): string => `${((us * 1000) / N).toFixed(1)} ns`;
console.log(`${N} values into ${KEYS} keys' windows, ${ROUNDS} rounds each way, median CPU per value:`);
console.log(`  a typed array per table: ${ns(median(own))}`);
console.log(`  tables from a pool:      ${ns(median(pooled))}  (${(median(own) / median(pooled)).toFixed(2)}x)`);
