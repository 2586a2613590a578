/**
 * Registry ids a writer was given, kept on disk (the producer's spool directory) so that a restart
 * while the registry is away still frames and captures from its first second. An id is keyed by
 * registry URL, subject and schema fingerprint: it is reused only for the very schema it was given
 * for, by the same registry. A missing or unreadable file is an empty cache; writes are atomic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../common/logger';

export interface RegistryIdCache {
  get(key: string): number | undefined;
  set(key: string, id: number): void;
}

export const idCacheKey = (url: string, subject: string, fingerprint: string): string => `${url} ${subject} ${fingerprint}`;

export function fileIdCache(file: string, logger: Logger): RegistryIdCache {
  let ids: Record<string, number> = {};
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object') ids = Object.fromEntries(Object.entries(parsed).filter(([, v]) => Number.isInteger(v))) as Record<string, number>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err }, 'schema id cache unreadable; starting empty');
  }
  return {
    get: (key) => ids[key],
    set(key, id) {
      if (ids[key] === id) return;
      ids = { ...ids, [key]: id };
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(`${file}.tmp`, JSON.stringify(ids));
        fs.renameSync(`${file}.tmp`, file);
      } catch (err) {
        logger.warn({ file, err }, 'could not save the schema id cache');
      }
    },
  };
}
