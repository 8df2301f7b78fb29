// physnet_cidr_map hook logic: `[port_physnet] cidr_map` entries `CIDR:physnet` (IPv6 CIDRs
// contain colons, so the physnet is after the LAST colon); an interface IP inside a CIDR
// gives the port's physical_network.
import { BlockList, isIP } from 'node:net';

export interface CidrMapping {
  cidr: string;
  physnet: string;
  /** Matching set for this one entry. */
  readonly list: BlockList;
  readonly family: 'ipv4' | 'ipv6';
}

export type CidrMapParse = { ok: true; map: CidrMapping[] } | { ok: false; errors: string[] };

/** Parse the config list; every bad entry is reported (config load lists all problems). */
export function parseCidrMap(entries: readonly string[]): CidrMapParse {
  const map: CidrMapping[] = [];
  const errors: string[] = [];
  for (const entry of entries) {
    const at = entry.lastIndexOf(':');
    const cidr = at < 0 ? '' : entry.slice(0, at).trim();
    const physnet = at < 0 ? '' : entry.slice(at + 1).trim();
    const [addr = '', prefixText] = cidr.split('/');
    const version = isIP(addr);
    const max = version === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!physnet || version === 0 || !/^\d+$/.test(prefixText ?? String(max)) || prefix > max) {
      errors.push(
        `invalid cidr_map entry ${JSON.stringify(entry)}: expected CIDR:physnet, e.g. 198.18.0.0/24:physnet1`,
      );
      continue;
    }
    const family = version === 6 ? 'ipv6' : 'ipv4';
    const list = new BlockList();
    list.addSubnet(addr, prefix, family);
    map.push({ cidr, physnet, list, family });
  }
  return errors.length ? { ok: false, errors } : { ok: true, map };
}

/** The physnet of the first entry whose CIDR contains `ip`, or null. */
export function physnetForIp(ip: unknown, map: readonly CidrMapping[]): string | null {
  if (typeof ip !== 'string') return null;
  const addr = ip.split('%')[0] ?? '';
  const version = isIP(addr);
  if (version === 0) return null;
  const family = version === 6 ? 'ipv6' : 'ipv4';
  for (const m of map) if (m.family === family && m.list.check(addr, family)) return m.physnet;
  return null;
}

/** For an inventory interface: its IPv4 address first, then its IPv6 address. */
export function physnetForInterface(
  iface: { ipv4_address?: unknown; ipv6_address?: unknown },
  map: readonly CidrMapping[],
): string | null {
  return physnetForIp(iface.ipv4_address, map) ?? physnetForIp(iface.ipv6_address, map);
}
