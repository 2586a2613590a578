import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT_DIR } from './env';

/** Compile a C fixture or load generator into test/bench/build/<name> (the system cc). */
export function buildC(name: string, src: string): string {
  const out = path.join(ROOT_DIR, 'test/bench/build', name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  execFileSync('cc', ['-O2', '-o', out, src]);
  return out;
}
