/** The spool directory's lock (one producer per directory) and its committed cursor file. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { takePidLock } from '../../common/pid-lock';

export interface SpoolPos {
  seq: number;
  offset: number;
}

/** One producer per spool directory: a lock file holding the owner's pid (stale ones are taken over). */
export function lockSpoolDir(dir: string): string {
  return takePidLock(path.join(dir, 'lock'), `spool directory ${dir}`, (m) => new SpoolLockedError(m));
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
