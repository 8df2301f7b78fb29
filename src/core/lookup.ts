// Matching a ramdisk post to a node under introspection (reference §4): lookup attributes from
// the data, one point per matching (name, value), the highest score wins, a tie is an error.
import { AppError } from './errors.js';
import { normalizeMac } from './node.js';
import type { IntrospectionRecord } from './introspection-record.js';
import type { DriverInfo } from './node.js';

export type IntrospectionData = Record<string, unknown>;

const ABSENT_BMC = new Set(['', '0.0.0.0', '::/0', '::']);

/** A BMC address as the ramdisk reported it (trimmed, case kept), or null for "no BMC" values. */
export function presentBmcAddress(value: unknown): string | null {
  return typeof value === 'string' && !ABSENT_BMC.has(value.trim()) ? value.trim() : null;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** BMC addresses a ramdisk reported (IPA inventory, else the legacy flat keys). */
export function bmcAddressesFromData(data: IntrospectionData): string[] {
  const inventory = asRecord(data.inventory);
  const candidates = [
    inventory.bmc_address ?? data.ipmi_address,
    inventory.bmc_v6address ?? data.ipmi_v6address,
  ];
  return candidates.flatMap((v) => {
    const address = presentBmcAddress(v);
    return address === null ? [] : [address.toLowerCase()];
  });
}

/** MACs for lookup: `macs` as set by validate_interfaces (else none, as in the reference). */
export function macsFromData(data: IntrospectionData): string[] {
  const all = asRecord(data.all_interfaces);
  const macs = new Set<string>();
  for (const iface of Object.values(all)) {
    const mac = normalizeMac(asRecord(iface).mac);
    if (mac) macs.add(mac);
  }
  if (Array.isArray(data.macs)) {
    for (const value of data.macs) {
      const mac = normalizeMac(value);
      if (mac) macs.add(mac);
    }
  }
  return [...macs];
}

/** Reduce a driver_info address (IP, [v6], URL, host:port) to a host for lookup. */
export function hostOfBmcAddress(address: string): string {
  let host = address.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)/i.exec(host);
  if (url) host = (url[1] as string).replace(/^[^@]*@/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return (bracketed[1] as string).toLowerCase();
  if (/^[^:]+:\d+$/.test(host)) host = host.replace(/:\d+$/, '');
  return host.toLowerCase();
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost';
}

/** The node-side BMC attribute: driver_info.ipmi_address, else the first configured field. */
export function bmcAddressOfNode(driverInfo: DriverInfo, fields: readonly string[]): string | null {
  for (const key of ['ipmi_address', ...fields]) {
    const value = driverInfo[key];
    if (typeof value === 'string' && value.trim() !== '') {
      const host = hostOfBmcAddress(value);
      return isLoopback(host) ? null : host;
    }
  }
  return null;
}

function multiplicity(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Sum of the weights of the distinct values of `held` (a record may list a value twice). */
function weightOf(held: readonly string[], weights: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (let i = 0; i < held.length; i++) {
    const value = held[i] as string;
    const weight = weights.get(value);
    if (weight !== undefined && held.indexOf(value) === i) sum += weight;
  }
  return sum;
}

export interface LookupResult {
  uuid: string;
  score: number;
}

export function lookupNode(
  records: readonly IntrospectionRecord[],
  data: IntrospectionData,
): LookupResult | { error: AppError; attributes: { bmc_address: string[]; mac: string[] } } {
  const bmcs = bmcAddressesFromData(data);
  const macs = macsFromData(data);
  const attributes = { bmc_address: bmcs, mac: macs };
  if (bmcs.length === 0 && macs.length === 0) {
    return {
      attributes,
      error: new AppError(
        'ERR_LOOKUP_NOT_FOUND',
        'No lookup attributes were found in the data (no BMC address, no MACs)',
      ),
    };
  }
  // One point per (name, value) of the data that the record holds. Walked from the record's side
  // (finished records hold none), with each data value's multiplicity, so that the score is the
  // same as testing every data value against every record, in O(records) instead.
  const bmcWeight = multiplicity(bmcs);
  const macWeight = multiplicity(macs);
  const scores = new Map<string, number>();
  for (const record of records) {
    const score =
      weightOf(record.attributes.bmc_address, bmcWeight) + weightOf(record.attributes.mac, macWeight);
    if (score > 0) scores.set(record.uuid, score);
  }
  if (scores.size === 0) {
    return {
      attributes,
      error: new AppError(
        'ERR_LOOKUP_NOT_FOUND',
        `Look up error: Could not find a node for attributes ${JSON.stringify(attributes)}`,
      ),
    };
  }
  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (second && second[1] === best![1]) {
    const tied = ranked.filter(([, s]) => s === best![1]).map(([uuid]) => uuid);
    return {
      attributes,
      error: new AppError(
        'ERR_LOOKUP_AMBIGUOUS',
        `Multiple nodes match the same number of attributes ${JSON.stringify(attributes)}: ${tied.join(', ')}`,
      ),
    };
  }
  const chosen = records.find((r) => r.uuid === best![0]);
  if (chosen && chosen.finished_at !== null) {
    return {
      attributes,
      error: new AppError(
        'ERR_LOOKUP_FINISHED',
        `Introspection for node ${chosen.uuid} has already finished`,
      ),
    };
  }
  return { uuid: best![0], score: best![1] };
}
