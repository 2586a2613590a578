import * as path from 'node:path';
import { ConfigError } from '../../common/errors';
import { takePidLock } from '../../common/pid-lock';

/** One store per directory: a lock file with the owner's pid; a dead owner's is taken over. */
export function lockStore(dir: string): string {
  return takePidLock(path.join(dir, 'store.lock'), `store directory ${dir}`, (m) => new ConfigError(m));
}
