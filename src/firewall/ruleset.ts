// Pure translation of a FilterPolicy into nft JSON batches (start / update / stop) for our own
// `table inet <name>`, plus read-back helpers for its listing (knocks, counters, completeness).
// No I/O here: filter.ts decides when to apply what, nft.ts applies it.
import { normalizeMac } from '../core/node.js';
import type { FilterPolicy } from '../core/pxe-filter.js';
import type { NftBatch, NftCommand, NftElement, NftExpr, NftListEntry, NftObject } from './nft.js';

export interface RulesetOptions {
  /** Table name inside family inet. */
  table: string;
  /** The provisioning interface: the only one on which DHCP/PXE/TFTP may reach the daemon. */
  interface: string;
  /** UDP ports confined to the provisioning interface (DHCP 67, proxyDHCP 4011, TFTP 69). */
  ports: number[];
  /** UDP ports gated per MAC on the provisioning interface (DHCP 67 and proxyDHCP 4011). */
  dhcpPorts: number[];
  /** How long a refused MAC stays in the knocks set after its last attempt (seconds). */
  knockTimeoutSec: number;
  /** Accept relayed DHCP (udp sport 67 → dport 67) on the provisioning interface without the MAC
   *  gate: its L2 source is the relay's MAC, so the DHCP decision hook gates it on chaddr instead. */
  allowRelayed: boolean;
}

export const defaultRulesetOptions: RulesetOptions = {
  table: 'inspectord',
  interface: '',
  ports: [67, 4011, 69],
  dhcpPorts: [67, 4011],
  knockTimeoutSec: 3600,
  allowRelayed: true,
};

/** Names of the objects inside our table. */
export const names = {
  chain: 'pxe_guard',
  allowed: 'allowed_macs',
  denied: 'denied_macs',
  knocks: 'knocks',
  counters: {
    confined: 'confined',
    relayed: 'relayed',
    allowed: 'allowed',
    denied: 'denied',
    unknownAllowed: 'unknown_allowed',
    unknownRefused: 'unknown_refused',
  },
} as const;

/** Slightly before the filter hook (0) so our verdict is taken first; other tables' drops still apply. */
export const chainPriority = -5;

export interface WantedSets {
  /** MACs under introspection with the remaining window in whole seconds (absent = no timeout). */
  allowed: Array<{ mac: string; timeoutSec?: number }>;
  /** Enrolled MACs not under introspection, plus every allowed MAC as the fallback once its
   *  element times out: an expired window must refuse the MAC even if the daemon is dead. */
  denied: string[];
  unknown: 'allow' | 'deny';
  /** MACs in the policy that are not valid Ethernet addresses: left out (they would fail the batch). */
  invalid: string[];
}

/** The sets the kernel should hold for `policy` at `now` (epoch ms). */
export function wantedSets(policy: FilterPolicy, now: number): WantedSets {
  const invalid = new Set<string>();
  const normal = (mac: string): string | undefined => {
    const m = normalizeMac(mac);
    if (m !== null) return m;
    invalid.add(mac);
    return undefined;
  };
  // Latest expiry per MAC; `Infinity` for entries without one.
  const windows = new Map<string, number>();
  for (const entry of policy.allow) {
    const mac = normal(entry.mac);
    if (!mac) continue;
    const until = entry.expiresAt ?? Infinity;
    windows.set(mac, Math.max(windows.get(mac) ?? -Infinity, until));
  }
  const allowed: WantedSets['allowed'] = [];
  for (const [mac, until] of [...windows].sort(([a], [b]) => a.localeCompare(b))) {
    if (until === Infinity) allowed.push({ mac });
    else if (until > now) allowed.push({ mac, timeoutSec: Math.max(1, Math.ceil((until - now) / 1000)) });
  }
  const denied = new Set<string>(windows.keys());
  for (const raw of policy.deny) {
    const mac = normal(raw);
    if (mac) denied.add(mac);
  }
  return { allowed, denied: [...denied].sort(), unknown: policy.unknown, invalid: [...invalid].sort() };
}

/**
 * Change detection key: MAC sets, expiry instants and the unknown verdict. Remaining seconds are
 * deliberately not part of it (they change every second while nothing needs re-applying).
 */
export function policyKey(policy: FilterPolicy): string {
  const allow = policy.allow
    .map((e) => `${e.mac.toLowerCase()}@${e.expiresAt ?? 'inf'}`)
    .sort()
    .join(',');
  const deny = policy.deny
    .map((m) => m.toLowerCase())
    .sort()
    .join(',');
  return `${policy.unknown}|${allow}|${deny}`;
}

/** The policy used before the first sync: DHCP closed. */
export const closedPolicy: FilterPolicy = { allow: [], deny: [], unknown: 'deny' };

// --- expression helpers (libnftables-json(5))
const udpDport = (ports: number[]): NftExpr => ({
  match: {
    op: '==',
    left: { payload: { protocol: 'udp', field: 'dport' } },
    right: ports.length === 1 ? ports[0] : { set: [...ports] },
  },
});
const udpSport = (port: number): NftExpr => ({
  match: { op: '==', left: { payload: { protocol: 'udp', field: 'sport' } }, right: port },
});
const iifname = (op: '==' | '!=', name: string): NftExpr => ({
  match: { op, left: { meta: { key: 'iifname' } }, right: name },
});
const etherSaddrIn = (set: string): NftExpr => ({
  match: { op: '==', left: { payload: { protocol: 'ether', field: 'saddr' } }, right: `@${set}` },
});
/** `update @knocks { ether saddr }`: insert or refresh the element's timeout; the set's per-element
 *  counter counts every attempt, and the refreshed expiry tells when the last one was. */
const recordKnock: NftExpr = {
  set: { op: 'update', elem: { payload: { protocol: 'ether', field: 'saddr' } }, set: `@${names.knocks}` },
};
const namedCounter = (name: string): NftExpr => ({ counter: name });
const accept: NftExpr = { accept: null };
const drop: NftExpr = { drop: null };

function rules(wanted: WantedSets, o: RulesetOptions): NftCommand[] {
  const rule = (comment: string, expr: NftExpr[]): NftCommand => ({
    add: { rule: { family: 'inet', table: o.table, chain: names.chain, comment, expr } },
  });
  const onProv = iifname('==', o.interface);
  const gated = udpDport(o.dhcpPorts);
  const out: NftCommand[] = [
    // Node cannot bind a UDP socket to one device, so the kernel keeps other networks away.
    rule('confinement: DHCP/PXE/TFTP only on the provisioning interface', [
      iifname('!=', o.interface),
      udpDport(o.ports),
      namedCounter(names.counters.confined),
      drop,
    ]),
  ];
  if (o.allowRelayed) {
    // Relay agents send from port 67 (RFC 2131 §4.1); their L2 source is the relay, so gating by
    // MAC is meaningless here and the DHCP decision hook checks chaddr instead.
    out.push(
      rule('relayed DHCP: gated by the DHCP decision hook on chaddr', [
        onProv,
        udpSport(67),
        udpDport([67]),
        namedCounter(names.counters.relayed),
        accept,
      ]),
    );
  }
  out.push(
    rule('under introspection', [
      onProv,
      gated,
      etherSaddrIn(names.allowed),
      namedCounter(names.counters.allowed),
      accept,
    ]),
    rule('enrolled node not under introspection (or its window expired)', [
      onProv,
      gated,
      etherSaddrIn(names.denied),
      recordKnock,
      namedCounter(names.counters.denied),
      drop,
    ]),
  );
  out.push(
    wanted.unknown === 'allow'
      ? rule('unknown MAC: discovery is on', [
          onProv,
          gated,
          namedCounter(names.counters.unknownAllowed),
          accept,
        ])
      : rule(
          wanted.allowed.length === 0
            ? 'DHCP closed: nothing under introspection and discovery off'
            : 'unknown MAC: discovery off',
          [onProv, gated, recordKnock, namedCounter(names.counters.unknownRefused), drop],
        ),
  );
  return out;
}

function elements(wanted: WantedSets, o: RulesetOptions): NftCommand[] {
  const out: NftCommand[] = [];
  const add = (name: string, elem: NftElement[]): void => {
    // An empty `elem` list is rejected by nft; an empty set simply gets no command.
    if (elem.length > 0) out.push({ add: { element: { family: 'inet', table: o.table, name, elem } } });
  };
  add(
    names.allowed,
    wanted.allowed.map((a) =>
      a.timeoutSec === undefined ? a.mac : { elem: { val: a.mac, timeout: a.timeoutSec } },
    ),
  );
  add(names.denied, [...wanted.denied]);
  return out;
}

/**
 * Start: `add table; delete table; add table; …` replaces a stale table left by a crash in the same
 * transaction as creating the new one, so there is never a moment without a filter, nor two.
 */
export function startBatch(wanted: WantedSets, o: RulesetOptions): NftBatch {
  const table: NftObject = { table: { family: 'inet', name: o.table } };
  const t = { family: 'inet' as const, table: o.table };
  const commands: NftCommand[] = [
    { add: table },
    { delete: table },
    { add: table },
    ...Object.values(names.counters).map((name): NftCommand => ({ add: { counter: { ...t, name } } })),
    {
      add: {
        set: {
          ...t,
          name: names.allowed,
          type: 'ether_addr',
          flags: ['timeout'],
          comment: 'under introspection',
        },
      },
    },
    {
      add: {
        set: { ...t, name: names.denied, type: 'ether_addr', comment: 'enrolled, not under introspection' },
      },
    },
    // nft marks this set `dynamic` itself because a rule updates it (the JSON parser of nft 1.0.6
    // does not accept the flag); `stmt: counter` gives each element its own counter.
    {
      add: {
        set: {
          ...t,
          name: names.knocks,
          type: 'ether_addr',
          flags: ['timeout'],
          timeout: o.knockTimeoutSec,
          stmt: [{ counter: null }],
          comment: 'refused MACs',
        },
      },
    },
    {
      add: {
        chain: {
          ...t,
          name: names.chain,
          type: 'filter',
          hook: 'input',
          prio: chainPriority,
          policy: 'accept',
        },
      },
    },
    ...rules(wanted, o),
    ...elements(wanted, o),
  ];
  return { nftables: commands };
}

/** Update while the table exists: rules and both MAC sets replaced in one transaction; the knocks
 *  set and the named counters keep their history. A full replacement, never a delta (deleting an
 *  absent element fails the whole batch). */
export function updateBatch(wanted: WantedSets, o: RulesetOptions): NftBatch {
  const t = { family: 'inet' as const, table: o.table };
  return {
    nftables: [
      { flush: { chain: { ...t, name: names.chain } } },
      { flush: { set: { ...t, name: names.allowed } } },
      { flush: { set: { ...t, name: names.denied } } },
      ...rules(wanted, o),
      ...elements(wanted, o),
    ],
  };
}

/** Stop: `add` first so that deleting a table that is already gone still succeeds. */
export function stopBatch(o: Pick<RulesetOptions, 'table'>): NftBatch {
  const table: NftObject = { table: { family: 'inet', name: o.table } };
  return { nftables: [{ add: table }, { delete: table }] };
}

// --- listing read-back

function entries(listing: NftListEntry[], kind: string): Array<Record<string, unknown>> {
  return listing.flatMap((e) => (e[kind] ? [e[kind]] : []));
}

/** True when the listing still holds everything we created (someone may have flushed parts). */
export function isComplete(listing: NftListEntry[] | null): boolean {
  if (!listing) return false;
  const sets = new Set(entries(listing, 'set').map((s) => s.name));
  const chains = entries(listing, 'chain');
  return (
    [names.allowed, names.denied, names.knocks].every((n) => sets.has(n)) &&
    chains.some((c) => c.name === names.chain) &&
    entries(listing, 'rule').some((r) => r.chain === names.chain)
  );
}

export interface Knock {
  mac: string;
  /** Packets refused from this MAC since it entered the knocks set. */
  count: number;
  /** When the last attempt was, derived from the refreshed element expiry (±1 s). */
  lastSeen?: string;
}

/** Elements of the knocks set: `{elem: {val, expires, counter: {packets}}}` (nft 1.0.6). */
export function parseKnocks(listing: NftListEntry[], knockTimeoutSec: number, now: number): Knock[] {
  const set = entries(listing, 'set').find((s) => s.name === names.knocks);
  const elems = Array.isArray(set?.elem) ? (set.elem as unknown[]) : [];
  const knocks: Knock[] = [];
  for (const raw of elems) {
    const elem =
      typeof raw === 'string'
        ? { val: raw }
        : ((raw as { elem?: Record<string, unknown> }).elem ?? undefined);
    if (!elem || typeof elem.val !== 'string') continue;
    const counter = elem.counter as { packets?: number } | undefined;
    const knock: Knock = { mac: elem.val, count: counter?.packets ?? 0 };
    if (typeof elem.expires === 'number') {
      knock.lastSeen = new Date(now - Math.max(0, knockTimeoutSec - elem.expires) * 1000).toISOString();
    }
    knocks.push(knock);
  }
  return knocks.sort((a, b) => a.mac.localeCompare(b.mac));
}

/** Named counters of our table: `{confined: {packets, bytes}, …}`. */
export function parseCounters(listing: NftListEntry[]): Record<string, { packets: number; bytes: number }> {
  const out: Record<string, { packets: number; bytes: number }> = {};
  for (const c of entries(listing, 'counter')) {
    if (typeof c.name === 'string')
      out[c.name] = { packets: Number(c.packets ?? 0), bytes: Number(c.bytes ?? 0) };
  }
  return out;
}

/** Values of one set in the listing (with per-element timeouts where present). */
export function parseSetElements(
  listing: NftListEntry[],
  name: string,
): Array<{ mac: string; timeout?: number; expires?: number }> {
  const set = entries(listing, 'set').find((s) => s.name === name);
  const elems = Array.isArray(set?.elem) ? (set.elem as unknown[]) : [];
  return elems.flatMap((raw) => {
    if (typeof raw === 'string') return [{ mac: raw }];
    const elem = (raw as { elem?: { val?: unknown; timeout?: unknown; expires?: unknown } }).elem;
    if (!elem || typeof elem.val !== 'string') return [];
    return [
      {
        mac: elem.val,
        ...(typeof elem.timeout === 'number' ? { timeout: elem.timeout } : {}),
        ...(typeof elem.expires === 'number' ? { expires: elem.expires } : {}),
      },
    ];
  });
}
