/** The spool directory's lock (one producer per directory) and its committed cursor file. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SpoolPos {
  seq: number;
  offset: number;
}

/** One producer per spool directory: a lock file holding the owner's pid (stale ones are taken over). */
export function lockSpoolDir(dir: string): string {
  const file = path.join(dir, 'lock');
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
      if (alive) throw new SpoolLockedError(`spool directory ${dir} is in use by process ${owner}`);
      fs.rmSync(file, { force: true }); // left by a crashed producer
    }
  }
  throw new SpoolLockedError(`cannot lock spool directory ${dir}`);
}

export class SpoolLockedError extends Error {}

export function readCursor(file: string): SpoolPos | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as SpoolPos;
    return Number.isSafeInteger(c.seq) && Number.isSafeInteger(c.offset) ? c : undefined;
  } catch {
    return undefined; // no cursor yet
  }
}

/** Replace the cursor atomically: a crash leaves the old one or the new one, never half of one. */
export function writeCursor(file: string, pos: SpoolPos): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(pos));
  fs.renameSync(tmp, file);
}
