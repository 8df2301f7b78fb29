// Identity reconciliation (pure): which existing node, if any, a posted inventory belongs to when
// lookup found none. Chassis identity (system serial, system UUID, BMC MAC) merges a new NIC into
// its node; MAC/BMC address owners without a chassis match refuse (reference §4 enroll); anything
// pointing at two nodes is a conflict for an operator, never a silent pick.
import { bmcAddressesFromData, macsFromData, type IntrospectionData } from '../core/lookup.js';
import { normalizeMac } from '../core/node.js';

/** What identifies a chassis whatever NIC it boots from (kept in node.extra.hardware_identity). */
export interface HardwareIdentity {
  system_serial?: string;
  system_uuid?: string;
  bmc_mac?: string;
}

export const IDENTITY_KEYS = ['system_serial', 'system_uuid', 'bmc_mac'] as const;

const LABELS: Record<(typeof IDENTITY_KEYS)[number], string> = {
  system_serial: 'system serial',
  system_uuid: 'system UUID',
  bmc_mac: 'BMC MAC',
};

// Firmware placeholders that many machines share: matching on them would merge strangers.
const PLACEHOLDERS = new Set([
  '',
  'none',
  'null',
  'n/a',
  'na',
  'unknown',
  'not specified',
  'not available',
  'not applicable',
  'default string',
  'to be filled by o.e.m.',
  'to be filled by oem',
  'system serial number',
  'chassis serial number',
  '0',
  '0123456789',
  '123456789',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '03000200-0400-0500-0006-000700080009',
  '00:00:00:00:00:00',
  'ff:ff:ff:ff:ff:ff',
]);

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A usable identity value (trimmed, lowercase), or undefined for placeholders. */
export function identityValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  return PLACEHOLDERS.has(v) ? undefined : v;
}

/** Chassis identity from ramdisk data (IPA inventory.system_vendor, dmi, bmc_mac). */
export function identityFromData(data: IntrospectionData): HardwareIdentity {
  const inventory = asRecord(data.inventory);
  const vendor = asRecord(inventory.system_vendor);
  const dmiSystem = asRecord(asRecord(data.dmi).system);
  const out: HardwareIdentity = {};
  const serial = identityValue(vendor.serial_number ?? vendor.serial ?? dmiSystem.serial_number);
  if (serial) out.system_serial = serial;
  const uuid = identityValue(vendor.system_uuid ?? vendor.uuid ?? dmiSystem.uuid);
  if (uuid) out.system_uuid = uuid;
  const bmcMac = identityValue(normalizeMac(inventory.bmc_mac) ?? undefined);
  if (bmcMac) out.bmc_mac = bmcMac;
  return out;
}

/** The stored identity of a node (node.extra.hardware_identity), cleaned the same way. */
export function identityOfNode(extra: Record<string, unknown>): HardwareIdentity {
  const stored = asRecord(extra.hardware_identity);
  const out: HardwareIdentity = {};
  for (const key of IDENTITY_KEYS) {
    const v = identityValue(stored[key]);
    if (v) out[key] = v;
  }
  return out;
}

export interface PostedFacts {
  identity: HardwareIdentity;
  bmcAddresses: string[];
  macs: string[];
}

export function postedFacts(data: IntrospectionData): PostedFacts {
  return {
    identity: identityFromData(data),
    bmcAddresses: bmcAddressesFromData(data),
    macs: macsFromData(data),
  };
}

/** What reconciliation knows of one existing node. */
export interface KnownNode {
  uuid: string;
  identity: HardwareIdentity;
  /** Lowercase BMC host (driver_info), or null. */
  bmcAddress: string | null;
  macs: readonly string[];
}

export type Reconciliation =
  /** Nothing known: create a node. */
  | { kind: 'new' }
  /** Same chassis: add `newMacs` as ports of `node` and process there. */
  | { kind: 'merge'; node: string; newMacs: string[]; matchedBy: string[] }
  /** A MAC/BMC address belongs to another node and nothing says it is the same chassis: refuse. */
  | { kind: 'refuse'; reason: string; owners: string[] }
  /** Evidence points at two or more nodes: keep the data for an operator. */
  | { kind: 'review'; reason: string; candidates: string[] };

export function reconcile(posted: PostedFacts, nodes: readonly KnownNode[]): Reconciliation {
  const chassis = new Map<string, string[]>();
  const owners = new Map<string, string[]>();
  const note = (map: Map<string, string[]>, uuid: string, why: string): void => {
    map.set(uuid, [...(map.get(uuid) ?? []), why]);
  };
  const macOwner = new Map<string, string>();
  for (const node of nodes) {
    for (const key of IDENTITY_KEYS) {
      const value = posted.identity[key];
      if (value !== undefined && node.identity[key] === value)
        note(chassis, node.uuid, `${LABELS[key]} ${value}`);
    }
    for (const mac of node.macs) macOwner.set(mac, node.uuid);
    if (node.bmcAddress !== null && posted.bmcAddresses.includes(node.bmcAddress))
      note(owners, node.uuid, `BMC address ${node.bmcAddress}`);
  }
  for (const mac of posted.macs) {
    const owner = macOwner.get(mac);
    if (owner !== undefined) note(owners, owner, `MAC ${mac}`);
  }
  const describe = (map: Map<string, string[]>, uuid: string): string =>
    `${(map.get(uuid) ?? []).join(', ')} ${(map.get(uuid) ?? []).length > 1 ? 'match' : 'matches'} node ${uuid}`;
  const chassisNodes = [...chassis.keys()];
  if (chassisNodes.length > 1) {
    return {
      kind: 'review',
      reason: `Conflicting identity: ${chassisNodes.map((u) => describe(chassis, u)).join('; ')}`,
      candidates: chassisNodes,
    };
  }
  const [match] = chassisNodes;
  if (match !== undefined) {
    const others = [...owners.keys()].filter((u) => u !== match);
    if (others.length > 0) {
      return {
        kind: 'review',
        reason: `Conflicting identity: ${describe(chassis, match)}, but ${others.map((u) => describe(owners, u)).join('; ')}`,
        candidates: [match, ...others],
      };
    }
    return {
      kind: 'merge',
      node: match,
      newMacs: posted.macs.filter((m) => !macOwner.has(m)),
      matchedBy: chassis.get(match) ?? [],
    };
  }
  if (owners.size > 0) {
    const list = [...owners.keys()];
    return {
      kind: 'refuse',
      reason: `${list.map((u) => `${(owners.get(u) ?? []).join(', ')} already ${(owners.get(u) ?? []).length > 1 ? 'belong' : 'belongs'} to node ${u}`).join('; ')}, and no system serial, system UUID or BMC MAC says this is the same machine`,
      owners: list,
    };
  }
  return { kind: 'new' };
}
