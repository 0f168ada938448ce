import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses a webhook may connect to: public unicast only, unless the operator's
 * allow-list names the address's network. Addresses are checked after resolution, in the form
 * the connection will use, so spellings (2130706433, 0x7f.1, ::ffff:7f00:1) cannot slip past.
 */
const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

/** Expands an IPv6 address to its 16 bytes; undefined when it is not one. */
function ipv6Bytes(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').filter((p) => p !== '') : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/**
 * The IPv4 address an IPv6 address carries and delivers to (mapped ::ffff:a.b.c.d, compatible
 * ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), so it is judged as that IPv4 address.
 */
export function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (!b) return undefined;
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (zeros(0, 12) && !zeros(12, 16)) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return undefined;
}

/** Why the address is not a public unicast address, or undefined when it is one. */
export function nonPublicReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return `'${address}' is not an IP address`;
  if (family === 4) return blocked.check(address, 'ipv4') ? `${address} is a private or reserved address` : undefined;
  const inner = embeddedIpv4(address);
  if (inner !== undefined) {
    const reason = nonPublicReason(inner);
    return reason ? `${address} embeds ${inner}, which is a private or reserved address` : undefined;
  }
  return blocked.check(address, 'ipv6') ? `${address} is a private or reserved address` : undefined;
}

/** The operator's exceptions: host names (exact, case-insensitive) and CIDRs or single addresses. */
export class AllowList {
  private readonly hosts: ReadonlySet<string>;
  private readonly networks = new BlockList();
  private readonly hasNetworks: boolean;

  constructor(entries: readonly string[]) {
    const hosts = new Set<string>();
    let networks = false;
    for (const entry of entries.map((e) => e.trim()).filter((e) => e !== '')) {
      const [base, prefix] = entry.split('/');
      const family = isIP(base ?? '');
      if (family === 0) {
        hosts.add(entry.toLowerCase());
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      this.networks.addSubnet(base!, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), type);
      networks = true;
    }
    this.hosts = hosts;
    this.hasNetworks = networks;
  }

  allowsHost(hostname: string): boolean {
    return this.hosts.has(hostname.toLowerCase());
  }

  allowsAddress(address: string): boolean {
    if (!this.hasNetworks) return false;
    const family = isIP(address);
    if (family === 0) return false;
    return this.networks.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}
