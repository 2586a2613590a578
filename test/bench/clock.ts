/**
 * How stable is the boot-to-wall offset from one producer start to the next? Each run is a fresh
 * process (cold JIT, as at start) that measures the offset once with a single bracketed read and
 * once as the producer does (the tightest of 64). Prints the spread of each over the runs and the
 * error bound the producer reports.
 *   node dist/test/bench/clock.js [runs=20]
 */
import { execFileSync } from 'node:child_process';
import { createBootClock } from '../../producer/enrich/clock';
import { CLOCK_BOOTTIME, CLOCK_REALTIME, clockNs } from '../../producer/bpf/native';

function once(): void {
  const realtimeNs = () => clockNs(CLOCK_REALTIME);
  const boottimeNs = () => clockNs(CLOCK_BOOTTIME);
  const single = createBootClock({ realtimeNs, boottimeNs, samples: 1 });
  const best = createBootClock({ realtimeNs, boottimeNs });
  console.log(JSON.stringify({ single: String(single.toWallNs(0n)), best: String(best.toWallNs(0n)), errorNs: String(best.errorNs()), singleErrorNs: String(single.errorNs()) }));
}

function main(): void {
  const runs = Number(process.argv[2] ?? 20);
  const rows = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, [__filename, 'once'], { encoding: 'utf8' })));
  const spread = (k: string): number => {
    const v = rows.map((r) => BigInt(r[k]));
    const min = v.reduce((a, b) => (b < a ? b : a));
    const max = v.reduce((a, b) => (b > a ? b : a));
    return Number(max - min) / 1000;
  };
  const errs = rows.map((r) => Number(r.errorNs)).sort((a, b) => a - b);
  const singleErrs = rows.map((r) => Number(r.singleErrorNs)).sort((a, b) => a - b);
  console.log(`${runs} fresh processes: offset spread ${spread('single').toFixed(1)} us with one bracketed read, ${spread('best').toFixed(1)} us with the tightest of 64`);
  console.log(
    `error bound (half the tightest bracket): median ${errs[errs.length >> 1]} ns, max ${errs[errs.length - 1]} ns; one read: median ${singleErrs[singleErrs.length >> 1]} ns, max ${singleErrs[singleErrs.length - 1]} ns`,
  );
}

if (process.argv[2] === 'once') once();
else main();
