import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../common/errors';

/** One store per directory: a lock file with the owner's pid; a dead owner's is taken over. */
export function lockStore(dir: string): string {
  const file = path.join(dir, 'store.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      let alive = false;
      try {
        alive = owner > 0 && owner !== process.pid && process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new ConfigError(`store directory ${dir} is in use by process ${owner}`);
      fs.rmSync(file, { force: true });
    }
  }
  throw new ConfigError(`cannot lock store directory ${dir}`);
}
