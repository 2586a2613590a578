/**
 * Domain names for fd.sip.name and friends, resolved as Falco's DNS manager does
 * (libsinsp/dns_manager.cpp): every name a rule compares with is resolved once before detection
 * starts, then again in the background, every 10 s while its addresses change and backing off to
 * every 320 s while they do not. A comparison is true when the event's address is among the name's
 * current addresses. Resolution goes through the system resolver (getaddrinfo: /etc/hosts, DNS).
 */
import * as dns from 'node:dns';
import type { Logger } from '../../common/logger';
import type { NameLookup } from '../rules/process-tree';

const BASE_MS = 10_000;
const MAX_MS = 320_000;

export interface NameResolver extends NameLookup {
  /** Resolve every name once; then keep them fresh until stop(). */
  start(): Promise<void>;
  stop(): void;
}

type Lookup = (name: string) => Promise<string[]>;

const systemLookup: Lookup = async (name) => (await dns.promises.lookup(name, { all: true, verbatim: true })).map((a) => a.address);

export function createNameResolver(opts: { names: string[]; logger: Logger; lookup?: Lookup }): NameResolver {
  const lookup = opts.lookup ?? systemLookup;
  const addrs = new Map<string, Set<string>>(opts.names.map((n) => [n, new Set()]));
  const byAddr = new Map<string, string[]>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const index = (): void => {
    byAddr.clear();
    for (const [name, set] of addrs) for (const a of set) byAddr.set(a, [...(byAddr.get(a) ?? []), name]);
  };

  async function resolve(name: string): Promise<boolean> {
    let next: Set<string>;
    try {
      next = new Set(await lookup(name));
    } catch (err) {
      opts.logger.debug({ domain: name, err }, 'name not resolved');
      next = new Set();
    }
    const prev = addrs.get(name)!;
    const changed = next.size !== prev.size || [...next].some((a) => !prev.has(a));
    if (changed) {
      addrs.set(name, next);
      index();
      opts.logger.info({ domain: name, addresses: [...next] }, 'name resolved for rules');
    }
    return changed;
  }

  function schedule(name: string, ms: number): void {
    if (stopped) return;
    const t = setTimeout(async () => {
      const changed = await resolve(name);
      schedule(name, changed ? BASE_MS : Math.min(ms * 2, MAX_MS));
    }, ms);
    t.unref();
    timers.set(name, t);
  }

  return {
    async start() {
      await Promise.all([...addrs.keys()].map(resolve));
      for (const name of addrs.keys()) schedule(name, BASE_MS);
    },
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
    },
    matches: (name, ip) => addrs.get(name)?.has(ip) ?? false,
    namesOf: (ip) => byAddr.get(ip) ?? [],
  };
}
