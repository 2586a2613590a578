/**
 * The value tests behind each operator, built once at load from the rule's constants (sets,
 * regexes, parsed CIDRs), so nothing is parsed per event. Semantics follow libsinsp's
 * filter_compare.cpp: glob is fnmatch without flags (* crosses slashes), pmatch compares whole
 * path components (as written: repeated slashes are not folded), regex must match the whole value.
 */
import * as ipaddr from 'ipaddr.js';
import { ipv4NumberLenient } from '../../common/ipv4';

export type Test<T> = (v: T) => boolean;

/** fnmatch(3) with no flags, as an anchored regex: * any run (slashes too), ? one, [...] a class, \x a literal x. */
export function globToRegExp(glob: string, caseless = false): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < glob.length) re += glob[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, caseless ? 'si' : 's');
}

/**
 * Path prefixes by whole components: /etc matches /etc and /etc/x, not /etcetera. The directories
 * are grouped by their first two characters, so a path is compared only with those it can start
 * with: mass-file-access tests every open against ten system trees, and most paths share no more
 * than the leading slash with any of them.
 */
export function pmatch(values: string[]): Test<string> {
  const dirs = values.map((p) => (p.endsWith('/') ? p : `${p}/`));
  const exact = new Set(values.map((p) => p.replace(/\/+$/, '')));
  const lead = (s: string): number => s.charCodeAt(0) * 0x10000 + s.charCodeAt(1);
  const short = dirs.filter((d) => d.length < 2); // "/": every absolute path
  const byLead = new Map<number, string[]>();
  for (const d of dirs) if (d.length >= 2) byLead.set(lead(d), [...(byLead.get(lead(d)) ?? []), d]);
  return (s) => {
    if (exact.has(s)) return true;
    for (const d of short) if (s.startsWith(d)) return true;
    const group = s.length >= 2 ? byLead.get(lead(s)) : undefined;
    if (group) for (const d of group) if (s.startsWith(d)) return true;
    return false;
  };
}

const hexBytes = (v: string): Buffer => Buffer.from(v, 'hex');

export function strTest(op: string, values: string[]): Test<string> {
  const v = values[0];
  switch (op) {
    case '=':
      return (s) => s === v;
    case '!=':
      return (s) => s !== v;
    case '<':
      return (s) => s < v;
    case '<=':
      return (s) => s <= v;
    case '>':
      return (s) => s > v;
    case '>=':
      return (s) => s >= v;
    case 'in':
    case 'intersects': {
      if (values.length === 1) return (s) => s === v;
      const set = new Set(values);
      return (s) => set.has(s);
    }
    case 'startswith':
      return (s) => s.startsWith(v);
    case 'endswith':
      return (s) => s.endsWith(v);
    case 'contains':
      return (s) => s.includes(v);
    case 'icontains': {
      const lower = v.toLowerCase();
      return (s) => s.toLowerCase().includes(lower);
    }
    case 'bcontains': {
      const b = hexBytes(v);
      return (s) => Buffer.from(s).includes(b);
    }
    case 'bstartswith': {
      const b = hexBytes(v);
      return (s) => Buffer.from(s).subarray(0, b.length).equals(b);
    }
    case 'glob':
    case 'iglob': {
      const re = globToRegExp(v, op === 'iglob');
      return (s) => re.test(s);
    }
    case 'regex': {
      const re = new RegExp(`^(?:${v})$`, 's');
      return (s) => re.test(s);
    }
    case 'pmatch':
      return pmatch(values);
  }
  throw new Error(`unhandled string operator ${op}`);
}

export function numTest(op: string, values: number[]): Test<number> {
  const v = values[0];
  switch (op) {
    case '=':
      return (n) => n === v;
    case '!=':
      return (n) => n !== v;
    case '<':
      return (n) => n < v;
    case '<=':
      return (n) => n <= v;
    case '>':
      return (n) => n > v;
    case '>=':
      return (n) => n >= v;
    case 'in':
    case 'intersects': {
      const set = new Set(values);
      return (n) => set.has(n);
    }
  }
  throw new Error(`unhandled numeric operator ${op}`);
}

/** A bounded memo for per-address answers: addresses repeat, parsing them does not need to. */
function memo(fn: (s: string) => boolean, max = 4096): (s: string) => boolean {
  const cache = new Map<string, boolean>();
  return (s) => {
    let r = cache.get(s);
    if (r === undefined) {
      r = fn(s);
      if (cache.size >= max) cache.clear();
      cache.set(s, r);
    }
    return r;
  };
}

/**
 * Membership in addresses and CIDR ranges. ipaddr.js parses the rule's addresses and ranges (IPv4,
 * IPv6, v4-mapped folded to IPv4); events' IPv4 addresses, nearly all of them, are then tested with
 * integer masks and no parsing library; IPv6 ones go through ipaddr.js, memoized. Throws on a value
 * that is neither an address nor a range.
 */
export function ipSetTest(items: string[], bad: (item: string) => never): Test<string> {
  const nets6: [ipaddr.IPv6, number][] = [];
  const nets4: [number, number][] = []; // [network, mask] as uint32
  const addrs = new Set<string>();
  for (const it of items) {
    try {
      if (it.includes('/')) {
        let [a, bits] = ipaddr.parseCIDR(it);
        if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) [a, bits] = [(a as ipaddr.IPv6).toIPv4Address(), bits - 96];
        if (a.kind() === 'ipv4') {
          const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
          nets4.push([(ipv4NumberLenient(a.toString()) & mask) >>> 0, mask]);
        } else nets6.push([a as ipaddr.IPv6, bits]);
      } else addrs.add(ipaddr.process(it).toNormalizedString());
    } catch {
      bad(it);
    }
  }
  const v4 = (n: number): boolean => {
    for (const [net, mask] of nets4) if ((n & mask) >>> 0 === net) return true;
    return false;
  };
  const v6 = memo((s) => {
    if (!ipaddr.isValid(s)) return false;
    const a = ipaddr.process(s);
    if (addrs.has(a.toNormalizedString())) return true;
    if (a.kind() === 'ipv4') return v4(ipv4NumberLenient(a.toString()));
    for (const [net, bits] of nets6) if (a.match(net, bits)) return true;
    return false;
  });
  return (s) => {
    const n = ipv4NumberLenient(s);
    if (n < 0) return v6(s);
    return (addrs.size > 0 && addrs.has(s)) || v4(n);
  };
}
