// Crash-consistency checks of a fleet run (issue 8, Resilience): every node finished exactly once,
// the state file parses and validates, one nft table, leases consistent. Shared by the fleet bench
// (FLEET_KILL) and test/integration/netboot/fleet-kill.test.ts; each returns its problems as text.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validateStateDocument } from '../src/store/state-schema.js';

const run = promisify(execFile);
/** Always the real nft: under npm, PATH holds an unrelated `nft` program. */
export const NFT = '/usr/sbin/nft';

export interface IntrospectionEntry {
  uuid: string;
  finished: boolean;
  error: string | null;
  state?: string;
}

/** GET /v1/introspection, following `marker` pages (api_max_limit caps a page). */
export async function listIntrospections(base: string): Promise<IntrospectionEntry[]> {
  const all: IntrospectionEntry[] = [];
  let marker: string | undefined;
  for (;;) {
    const r = await fetch(`${base}/v1/introspection?limit=1000${marker ? `&marker=${marker}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /v1/introspection → ${r.status}: ${await r.text()}`);
    const page = ((await r.json()) as { introspection: IntrospectionEntry[] }).introspection;
    all.push(...page);
    if (page.length < 1000) return all;
    marker = page.at(-1)?.uuid;
  }
}

/** No node missing, none listed twice, every one finished without error. */
export function introspectionProblems(list: IntrospectionEntry[], uuids: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const e of list) seen.set(e.uuid, (seen.get(e.uuid) ?? 0) + 1);
  const missing = uuids.filter((u) => !seen.has(u));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([u]) => u);
  const byUuid = new Map(list.map((e) => [e.uuid, e]));
  const unfinished = uuids.filter((u) => byUuid.get(u) && !byUuid.get(u)?.finished);
  const failed = uuids.filter((u) => byUuid.get(u)?.error);
  if (missing.length)
    problems.push(`${missing.length} node(s) missing from the list: ${missing.slice(0, 5)}`);
  if (duplicated.length)
    problems.push(`${duplicated.length} node(s) listed twice: ${duplicated.slice(0, 5)}`);
  if (unfinished.length) problems.push(`${unfinished.length} not finished: ${unfinished.slice(0, 5)}`);
  for (const u of failed.slice(0, 5)) problems.push(`${u} finished with error: ${byUuid.get(u)?.error}`);
  if (failed.length > 5) problems.push(`… and ${failed.length - 5} more finished with an error`);
  return problems;
}

/** The state document as on disk: it must parse as JSON and pass the store's own validation. */
export async function readStateFile(
  stateDir: string,
): Promise<{ doc: Record<string, unknown> | null; problems: string[] }> {
  let raw: string;
  try {
    raw = await readFile(join(stateDir, 'state.json'), 'utf8');
  } catch (error) {
    return { doc: null, problems: [`state.json unreadable: ${String(error)}`] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (error) {
    return { doc: null, problems: [`state.json does not parse (${raw.length} bytes): ${String(error)}`] };
  }
  const invalid = validateStateDocument(doc);
  return {
    doc: doc as Record<string, unknown>,
    problems: invalid.map((p) => `state.json invalid: ${p}`),
  };
}

export interface LeaseLike {
  address: string;
  mac: string;
  state: string;
  expiresAt: number;
}

/**
 * Leases in the state document: no address bound to two MACs, and every given MAC (the finished
 * nodes') holds at most one live bound lease.
 */
export function leaseProblems(leases: readonly LeaseLike[], macs: readonly string[], now: number): string[] {
  const problems: string[] = [];
  const live = leases.filter((l) => l.state === 'bound' && l.expiresAt > now);
  const byAddress = new Map<string, Set<string>>();
  const byMac = new Map<string, string[]>();
  for (const l of live) {
    byAddress.set(l.address, (byAddress.get(l.address) ?? new Set()).add(l.mac));
    byMac.set(l.mac, [...(byMac.get(l.mac) ?? []), l.address]);
  }
  for (const [address, owners] of byAddress) {
    if (owners.size > 1) problems.push(`lease state: ${address} bound to ${[...owners].join(' and ')}`);
  }
  for (const mac of macs) {
    const held = byMac.get(mac) ?? [];
    if (held.length > 1)
      problems.push(`lease state: ${mac} holds ${held.length} leases (${held.join(', ')})`);
  }
  return problems;
}

/**
 * What the machines were told (every DHCPACK they got, in order): an address ACKed to a second MAC
 * while its previous holder still used it (its lease running and no newer ACK of its own, i.e. it
 * had not rebooted into DHCP again) means two machines on one address.
 */
export function ackConflicts(
  acks: ReadonlyArray<{ mac: string; address: string; at: number; leaseSec: number }>,
): string[] {
  const holder = new Map<string, { mac: string; until: number }>();
  const current = new Map<string, string>(); // MAC → the address it uses now
  const problems: string[] = [];
  for (const a of acks) {
    const h = holder.get(a.address);
    if (h && h.mac !== a.mac && h.until > a.at && current.get(h.mac) === a.address) {
      problems.push(`${a.address} ACKed to ${a.mac} while ${h.mac} still used it`);
    }
    holder.set(a.address, { mac: a.mac, until: a.at + a.leaseSec * 1000 });
    current.set(a.mac, a.address);
  }
  return problems;
}

/** Tables in a namespace (by `ip netns exec`, which works from any namespace as root). */
export async function nftTables(netns: string): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'exec', netns, NFT, 'list', 'tables']);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Exactly one `table inet <name>`. */
export function tableProblems(tables: readonly string[], name = 'inspectord'): string[] {
  const ours = tables.filter((t) => t === `table inet ${name}`);
  return ours.length === 1 ? [] : [`${ours.length} nft tables "inet ${name}" (want 1): ${tables.join('; ')}`];
}

/**
 * `introspection.finished` events per node from the event log: more than one means a node was
 * processed twice (a replayed callback after a crash). Fewer is only reported: events written in
 * the last moments before a kill -9 may be lost, the state document is the record.
 */
export async function finishedEvents(
  base: string,
  uuids: readonly string[],
): Promise<{ duplicated: string[]; missing: number }> {
  const r = await fetch(`${base}/v1/events?type=introspection.finished&limit=10000`);
  if (r.status !== 200) throw new Error(`GET /v1/events → ${r.status}: ${await r.text()}`);
  const body = (await r.json()) as { events?: Array<{ node?: string }> } | Array<{ node?: string }>;
  const events = Array.isArray(body) ? body : (body.events ?? []);
  const count = new Map<string, number>();
  for (const e of events) if (e.node) count.set(e.node, (count.get(e.node) ?? 0) + 1);
  return {
    duplicated: uuids.filter((u) => (count.get(u) ?? 0) > 1),
    missing: uuids.filter((u) => !count.has(u)).length,
  };
}
