/**
 * The disk spool's own cost: append N event-sized records (200-byte values, a host key, the
 * pipeline's three headers), then replay and commit them in batches as the publisher does.
 *   node dist/test/bench/spool.js [records=300000]
 * Prints records per second and CPU per record for each half. Needs neither root nor a broker.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { recordSizeOf } from '../../producer/publish/message-queue';
import { openSpool, type SpoolRecord } from '../../producer/publish/spool';

const N = Number(process.argv[2] ?? 300_000);
const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-bench-spool-'));
  try {
    const spool = openSpool({ dir, maxBytes: 2 ** 32, logger: pino({ level: 'silent' }) });
    const headers = { kind: 'file', schema: '0123456789abcdef', host: '3d1219c7c4c5404aaa1f6d2a48adfda4' };
    const key = Buffer.from(headers.host);
    const rec = (i: number): SpoolRecord => ({ topic: 'bench.file', key, value: Buffer.alloc(200, i & 255), timestamp: String(1764012345000 + i), headers });
    let c = cpuUs();
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (!spool.append(rec(i))) throw new Error('spool full');
    spool.flush();
    const append = { perSec: Math.round(N / (Number(process.hrtime.bigint() - t) / 1e9)), cpuUsPerRecord: +((cpuUs() - c) / N).toFixed(2) };
    c = cpuUs();
    t = process.hrtime.bigint();
    let n = 0;
    for (let b = spool.read(10000, 900_000, recordSizeOf); b.length; b = spool.read(10000, 900_000, recordSizeOf)) {
      n += b.length;
      spool.commit(b[b.length - 1].pos);
    }
    const replay = { perSec: Math.round(n / (Number(process.hrtime.bigint() - t) / 1e9)), cpuUsPerRecord: +((cpuUs() - c) / n).toFixed(2) };
    spool.close();
    console.log(JSON.stringify({ records: N, append, replay }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
