/** Socket values as text: address families, socket types, protocols, addresses, unix names. */

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

const FAMILIES: Record<number, string> = {
  1: 'unix',
  2: 'inet',
  3: 'ax25',
  4: 'ipx',
  5: 'appletalk',
  9: 'x25',
  10: 'inet6',
  15: 'key',
  16: 'netlink',
  17: 'packet',
  29: 'can',
  31: 'bluetooth',
  38: 'alg',
  40: 'vsock',
  44: 'xdp',
  45: 'mctp',
};
const IP_PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp', 136: 'udplite', 255: 'raw' };
const SOCK_TYPES: Record<number, string> = { 1: 'stream', 2: 'dgram', 3: 'raw', 4: 'rdm', 5: 'seqpacket', 6: 'dccp', 10: 'packet' };

/** inet, inet6, unix, packet, netlink ...; af-N for a family without a name here. */
export function familyName(family: number): string {
  return FAMILIES[family] ?? `af-${family}`;
}

/** stream, dgram, raw ...; '' when unknown (0). */
export function socketTypeName(sockType: number): string {
  return sockType === 0 ? '' : (SOCK_TYPES[sockType] ?? `type-${sockType}`);
}

/** tcp/udp/... for IP sockets; stream/dgram/seqpacket for unix sockets; '' otherwise or when unknown. */
export function protocolName(family: number, sockType: number, protocol: number): string {
  if (family === AF_UNIX) return SOCK_TYPES[sockType] ?? '';
  if (family !== AF_INET && family !== AF_INET6) return '';
  if (protocol === 0 && sockType === 0) return '';
  return IP_PROTOCOLS[protocol] ?? `ip-proto-${protocol}`;
}

/** Text form of an address; IPv4-mapped IPv6 (::ffff:a.b.c.d) is reported as IPv4. */
export function formatAddress(family: number, addr: Buffer): { family: 'inet' | 'inet6'; ip: string } {
  if (family === AF_INET) return { family: 'inet', ip: `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` };
  let mapped = addr[10] === 0xff && addr[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = addr[i] === 0;
  if (mapped) return { family: 'inet', ip: `${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}` };
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(addr.readUInt16BE(i));
  return { family: 'inet6', ip: formatIpv6(groups) };
}

/** RFC 5952 text: lower-case hex, the longest run (2 or more) of zero groups as "::". */
export function formatIpv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/**
 * A sun_path of `len` bytes (addrlen minus the family) as text, as ss(8) shows it: a pathname ends
 * at its first NUL; an abstract name (a leading NUL) gets a leading @ and keeps every byte,
 * NULs included (they print escaped); no bytes at all is an unnamed socket: "".
 */
export function unixPath(buf: Buffer, start: number, len: number): string {
  if (len === 0) return '';
  const name = buf.subarray(start, start + len);
  if (name[0] === 0) return `@${name.toString('utf8', 1)}`;
  const z = name.indexOf(0);
  return name.toString('utf8', 0, z < 0 ? len : z);
}
