import * as fs from 'node:fs';

/**
 * One owner per directory: `file` is created exclusively and holds the owner's pid. A file left
 * by a dead process is taken over, so a crash never locks the directory for good. `refuse` makes
 * the error thrown when a live process holds it (its message names `what` and the pid).
 */
export function takePidLock(file: string, what: string, refuse: (message: string) => Error): string {
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
      if (alive) throw refuse(`${what} is in use by process ${owner}`);
      fs.rmSync(file, { force: true }); // left by a crashed owner
    }
  }
  throw refuse(`cannot lock ${what}`);
}
