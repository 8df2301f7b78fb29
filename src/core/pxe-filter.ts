// PXE filter port and its pure policy: which MACs may DHCP/PXE right now. Core computes the
// policy from the store; the nftables adapter (src/firewall) and the DHCP decision hook both
// enforce the same policy, so gating has one source of truth.

export interface AllowedMac {
  /** Lowercase colon form, e.g. `52:54:00:12:34:56`. */
  mac: string;
  /** Epoch ms when this MAC's introspection window closes by itself (introspection timeout). */
  expiresAt?: number;
  /** Node UUID the MAC belongs to. */
  node?: string;
}

export interface FilterPolicy {
  /** Ports of nodes under introspection: allowed. */
  allow: AllowedMac[];
  /** Ports of enrolled nodes that are not under introspection: refused. */
  deny: string[];
  /** MACs in neither list: allowed while discovery is on (and not deny_unknown_macs). */
  unknown: 'allow' | 'deny';
  /** Why unknown MACs are allowed when it is not discovery (shown in the boot timeline). */
  unknownReason?: string;
}

export interface FilterVerdict {
  allowed: boolean;
  /** Why, for the boot timeline: e.g. "MAC of node X, not under introspection". */
  reason: string;
  node?: string;
}

/** The reference's gating semantics (ironic-inspector §7), evaluated for one MAC. */
export function filterVerdict(policy: FilterPolicy, mac: string, now: number = Date.now()): FilterVerdict {
  const normalized = mac.toLowerCase();
  const allowed = policy.allow.find((entry) => entry.mac === normalized);
  if (allowed && (allowed.expiresAt === undefined || allowed.expiresAt > now)) {
    return {
      allowed: true,
      reason: `MAC allowed: node ${allowed.node ?? '?'} is under introspection`,
      ...(allowed.node ? { node: allowed.node } : {}),
    };
  }
  if (allowed || policy.deny.includes(normalized)) {
    return {
      allowed: false,
      reason: allowed
        ? `MAC denied by filter: introspection window of node ${allowed.node ?? '?'} expired`
        : 'MAC denied by filter: enrolled node is not under introspection',
      ...(allowed?.node ? { node: allowed.node } : {}),
    };
  }
  if (policy.unknown === 'allow')
    return { allowed: true, reason: policy.unknownReason ?? 'unknown MAC allowed: discovery is on' };
  return {
    allowed: false,
    reason:
      policy.allow.length === 0
        ? 'DHCP closed: nothing is being introspected and discovery is off'
        : 'unknown MAC denied by filter: discovery is off',
  };
}

export interface FilterStatus {
  driver: string;
  /** true once the filter has been applied successfully at least once and the last sync worked. */
  healthy: boolean;
  lastSyncAt?: string;
  lastError?: string;
  /** Unknown MACs that knocked while refused, with how often (from nft counters / dynamic set). */
  knocks?: Array<{ mac: string; count: number; lastSeen?: string }>;
}

export interface PxeFilter {
  /** Create (or atomically replace a stale) filter. Throws AppError with a clear message. */
  start(): Promise<void>;
  /** Apply the policy; only touches the kernel when something changed. Never throws: a failure is
   *  recorded in status() and retried on the next call. */
  sync(policy: FilterPolicy): Promise<void>;
  /** Remove everything the filter created. */
  stop(): Promise<void>;
  status(): FilterStatus;
}
