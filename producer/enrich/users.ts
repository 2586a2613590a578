/**
 * uid -> user name from the host's /etc/passwd, for user.name and user.loginname. Read at start
 * and again when the file changes (checked on a timer, never per event). Names are the host's:
 * a process in a container whose image has its own /etc/passwd may know its uid by another name.
 */
import * as fs from 'node:fs';
import type { Logger } from '../../common/logger';

export interface UserNames {
  /** The name of `uid` (as the kernel gives it, unsigned), or "" when the host has none. */
  nameOf(uid: number): string;
  /** Stop watching the file. */
  close(): void;
}

export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    // The first entry of a uid wins, as getpwuid(3) answers.
    if (Number.isInteger(uid) && uid >= 0 && !names.has(uid)) names.set(uid, f[0]);
  }
  return names;
}

export function createUserNames(opts: { passwdPath?: string; checkMs?: number; logger: Logger }): UserNames {
  const file = opts.passwdPath ?? '/etc/passwd';
  const log = opts.logger.child({ component: 'users' });
  let names = new Map<number, string>();
  let stamp = '';
  const load = (): void => {
    try {
      const st = fs.statSync(file);
      const now = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (now === stamp) return;
      names = parsePasswd(fs.readFileSync(file, 'utf8'));
      stamp = now;
      log.debug({ file, users: names.size }, 'user names loaded');
    } catch (err) {
      if (stamp !== 'missing') log.warn({ file, err }, 'user names unavailable: user_name stays empty');
      names = new Map();
      stamp = 'missing';
    }
  };
  load();
  const timer = setInterval(load, opts.checkMs ?? 10_000);
  timer.unref();
  return {
    nameOf: (uid) => names.get(uid >>> 0) ?? '',
    close: () => clearInterval(timer),
  };
}
