// IPv4/IPv6 addresses and CIDR networks for the `in-net` condition (netaddr semantics: a network
// may have host bits set, a bare address is a /32 or /128; families never match each other).
import { isIPv4, isIPv6 } from 'node:net';
import { boundedMemo } from './memo.js';

export interface IpNetwork {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

function ipv4ToBigint(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigint(ip: string): bigint {
  let text = ip;
  // An embedded dotted quad (`::ffff:1.2.3.4`) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToBigint(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Parse an address (without zone) to family + integer, or null. */
export function parseIp(value: unknown): { family: 4 | 6; value: bigint } | null {
  if (typeof value !== 'string') return null;
  const ip = value.trim();
  if (isIPv4(ip)) return { family: 4, value: ipv4ToBigint(ip) };
  if (isIPv6(ip) && !ip.includes('%')) return { family: 6, value: ipv6ToBigint(ip) };
  return null;
}

export type NetworkParse = { ok: true; net: IpNetwork } | { ok: false; error: string };

/** Parsed once per distinct network string: every callback evaluates every in-net condition. */
const networkMemo = boundedMemo(parseNetworkText);

/** Parse `addr[/prefix]`; error text is suitable for a 400 message. */
export function parseNetwork(value: unknown): NetworkParse {
  if (typeof value !== 'string') return { ok: false, error: 'network must be a string like 192.0.2.0/24' };
  return networkMemo(value);
}

function parseNetworkText(value: string): NetworkParse {
  const [addr = '', prefixText, extra] = value.trim().split('/');
  if (extra !== undefined) return { ok: false, error: `invalid IP network ${JSON.stringify(value)}` };
  const ip = parseIp(addr);
  if (!ip)
    return {
      ok: false,
      error: `invalid IP address ${JSON.stringify(addr)} in network ${JSON.stringify(value)}`,
    };
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return {
        ok: false,
        error: `invalid prefix length ${JSON.stringify(prefixText)} in ${JSON.stringify(value)}`,
      };
    }
    prefix = Number(prefixText);
  }
  return { ok: true, net: { family: ip.family, base: ip.value, prefix } };
}

export function networkContains(net: IpNetwork, ip: { family: 4 | 6; value: bigint }): boolean {
  if (net.family !== ip.family) return false;
  const bits = BigInt((net.family === 4 ? 32 : 128) - net.prefix);
  return net.base >> bits === ip.value >> bits;
}
