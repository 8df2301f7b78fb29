// node_not_found_hook = enroll (reference §4): a ramdisk post that matches no node under
// introspection creates a node from the data (BMC → driver_info, MACs → ports, auto_discovered),
// merges into the node of the same chassis, is refused when a MAC/BMC address belongs to another
// node, or is kept for review when the evidence points at two nodes. Only while discovery is on.
import { AppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { naiveTimestamp, type NotFoundHook } from '../core/introspection.js';
import type { IntrospectionRecord } from '../core/introspection-record.js';
import type { LogLike } from '../core/log.js';
import { bmcAddressOfNode, presentBmcAddress, type IntrospectionData } from '../core/lookup.js';
import { normalizeMac } from '../core/node.js';
import type { NewPort, NodeRepository } from '../core/node-repository.js';
import type { Clock, StateStore } from '../core/ports.js';
import { nextState } from '../core/states.js';
import {
  IDENTITY_KEYS,
  identityFromData,
  identityOfNode,
  postedFacts,
  reconcile,
  type HardwareIdentity,
  type KnownNode,
  type PostedFacts,
} from './identity.js';
import type { ReviewQueue } from './review.js';

export interface EnrollSettings {
  /** [discovery] enroll_node_driver. */
  driver: string;
  /** [discovery] enroll_node_fields, parsed: extra fields of created nodes. */
  nodeFields: {
    properties?: Record<string, unknown>;
    extra?: Record<string, unknown>;
    driver_info?: Record<string, unknown>;
    [key: string]: unknown;
  };
  /** [discovery] enabled_bmc_address_version: which BMC address becomes ipmi_address first. */
  bmcAddressVersions: ReadonlyArray<'4' | '6'>;
  /** [DEFAULT] ipmi_address_fields: where an existing node's BMC address is read from. */
  ipmiAddressFields: readonly string[];
}

export interface DiscoveryDeps {
  store: StateStore;
  nodes: NodeRepository;
  events: EventSink;
  clock: Clock;
  log: LogLike;
  review: ReviewQueue;
  settings: EnrollSettings;
  /** Runtime discovery switch (GET/PUT /v1/discovery). */
  isEnabled(): boolean;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** driver_info for a new node: the preferred BMC address as ipmi_address, the other kept aside. */
export function enrollDriverInfo(
  data: IntrospectionData,
  versions: ReadonlyArray<'4' | '6'>,
): Record<string, string> {
  const inventory = asRecord(data.inventory);
  const v4 = presentBmcAddress(inventory.bmc_address ?? data.ipmi_address);
  const v6 = presentBmcAddress(inventory.bmc_v6address ?? data.ipmi_v6address);
  const out: Record<string, string> = {};
  for (const version of versions) {
    const address = version === '4' ? v4 : v6;
    if (address !== null && out.ipmi_address === undefined) out.ipmi_address = address;
  }
  if (v6 !== null && out.ipmi_address !== v6) out.bmc_v6address = v6;
  return out;
}

/** Ports of a new node: every valid interface MAC (lo excluded), PXE-enabled as booted. */
function portsFromData(data: IntrospectionData, macs: readonly string[]): NewPort[] {
  const all = asRecord(data.all_interfaces);
  const pxe = new Map<string, boolean>();
  for (const [name, value] of Object.entries(all)) {
    const info = asRecord(value);
    const mac = normalizeMac(info.mac);
    if (mac && name !== 'lo') pxe.set(mac, info.pxe === true);
  }
  const anyPxe = [...pxe.values()].some(Boolean);
  return macs.map((address) => ({ address, pxe_enabled: anyPxe ? (pxe.get(address) ?? false) : true }));
}

export class DiscoveryService implements NotFoundHook {
  /** Data an operator assigned to a node (review resolution), by object identity. */
  private readonly forced = new WeakMap<object, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private runCallback: ((data: IntrospectionData) => Promise<{ uuid: string }>) | null = null;

  constructor(private readonly deps: DiscoveryDeps) {}

  /** The ramdisk callback of the introspection service (wired after both exist). */
  attach(runCallback: (data: IntrospectionData) => Promise<{ uuid: string }>): void {
    this.runCallback = runCallback;
  }

  /** Review resolution: process `data` through the normal callback, routed to `nodeUuid`. */
  async processOn(nodeUuid: string, data: IntrospectionData): Promise<{ uuid: string }> {
    if (!this.runCallback) throw new Error('DiscoveryService is not attached to the callback flow');
    this.forced.set(data, nodeUuid);
    try {
      return await this.runCallback(data);
    } finally {
      this.forced.delete(data);
    }
  }

  enroll(data: IntrospectionData): Promise<string> {
    // One decision at a time: two posts of the same new machine must not create two nodes.
    const run = this.queue.then(() => this.decide(data));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Keep node.extra.hardware_identity in step with the latest processed data of a node. */
  async recordIdentity(uuid: string, data: IntrospectionData): Promise<void> {
    const node = this.deps.nodes.get(uuid);
    if (!node) return;
    const identity = identityFromData(data);
    if (Object.keys(identity).length === 0) return;
    const stored = identityOfNode(node.extra);
    if (IDENTITY_KEYS.every((k) => stored[k] === identity[k])) return;
    await this.deps.nodes.update(uuid, (n) => {
      n.extra.hardware_identity = identity;
    });
  }

  private knownNodes(): KnownNode[] {
    const macs = new Map<string, string[]>();
    for (const port of this.deps.nodes.listPorts()) {
      const list = macs.get(port.node_uuid);
      if (list) list.push(port.address);
      else macs.set(port.node_uuid, [port.address]);
    }
    return this.deps.nodes.list().map((node) => ({
      uuid: node.uuid,
      identity: identityOfNode(node.extra),
      bmcAddress: bmcAddressOfNode(node.driver_info, this.deps.settings.ipmiAddressFields),
      macs: macs.get(node.uuid) ?? [],
    }));
  }

  private async decide(data: IntrospectionData): Promise<string> {
    const facts = postedFacts(data);
    const mac = facts.macs[0];
    if (facts.macs.length === 0 && facts.bmcAddresses.length === 0) {
      throw new AppError(
        'ERR_LOOKUP_NOT_FOUND',
        'No lookup attributes were found in the data (no BMC address, no MACs): cannot enrol or match a node',
      );
    }
    const forced = this.forced.get(data);
    if (forced !== undefined) return this.merge(forced, facts, data, 'operator review');
    if (!this.deps.isEnabled()) {
      const message = `Look up error: Could not find a node for attributes ${JSON.stringify({ bmc_address: facts.bmcAddresses, mac: facts.macs })}, and auto-discovery is off (turn it on with PUT /v1/discovery or \`inspectord discovery on\`)`;
      this.deps.events.emit({
        type: 'callback.lookup_failed',
        level: 'warn',
        message,
        ...(mac ? { mac } : {}),
      });
      throw new AppError('ERR_DISCOVERY_DISABLED', message);
    }
    const decision = reconcile(facts, this.knownNodes());
    switch (decision.kind) {
      case 'new':
        return this.create(facts, data);
      case 'merge':
        return this.merge(decision.node, facts, data, decision.matchedBy.join(', '));
      case 'refuse': {
        const message = `Refusing to enrol a new node: ${decision.reason}. Start introspection of that node instead, or fix its ports/BMC address.`;
        this.deps.events.emit({
          type: 'node.enroll_refused',
          level: 'warn',
          message,
          ...(mac ? { mac } : {}),
          data: { owners: decision.owners, macs: facts.macs, bmc_address: facts.bmcAddresses },
        });
        throw new AppError('ERR_DISCOVERY_CONFLICT', message);
      }
      case 'review': {
        const entry = await this.deps.review.add(decision.reason, decision.candidates, data);
        throw new AppError(
          'ERR_DISCOVERY_REVIEW',
          `${decision.reason}. The data is kept for review as ${entry.id}: merge it with \`inspectord review resolve ${entry.id} --node NODE\` or discard it.`,
        );
      }
    }
  }

  private async create(facts: PostedFacts, data: IntrospectionData): Promise<string> {
    const fields = this.deps.settings.nodeFields;
    const driverInfo = {
      ...asRecord(fields.driver_info),
      ...enrollDriverInfo(data, this.deps.settings.bmcAddressVersions),
    };
    const identity: HardwareIdentity = facts.identity;
    const node = await this.deps.nodes.create(
      {
        ...fields,
        driver: typeof fields.driver === 'string' ? fields.driver : this.deps.settings.driver,
        driver_info: driverInfo,
        properties: { ...asRecord(fields.properties), auto_discovered: true },
        extra: {
          ...asRecord(fields.extra),
          ...(Object.keys(identity).length > 0 ? { hardware_identity: identity } : {}),
        },
        provision_state: 'enroll',
      },
      { ports: portsFromData(data, facts.macs) },
    );
    // Rules see it as data://auto_discovered (reference §4) and node://properties.auto_discovered.
    data.auto_discovered = true;
    await this.prepareRecord(node.uuid, facts, facts.macs);
    this.deps.events.emit({
      type: 'node.enrolled',
      node: node.uuid,
      ...(facts.macs[0] ? { mac: facts.macs[0] } : {}),
      message: `unknown machine enrolled as node ${node.uuid} (BMC ${driverInfo.ipmi_address ?? 'unknown'}, ${facts.macs.length} port(s))`,
      data: { macs: facts.macs, bmc_address: facts.bmcAddresses, identity },
    });
    return node.uuid;
  }

  private async merge(
    uuid: string,
    facts: PostedFacts,
    data: IntrospectionData,
    why: string,
  ): Promise<string> {
    const node = this.deps.nodes.require(uuid);
    const ports = portsFromData(data, facts.macs);
    const added: string[] = [];
    const elsewhere: string[] = [];
    for (const port of ports) {
      const owner = this.deps.nodes.portByAddress(port.address);
      if (owner === undefined) {
        await this.deps.nodes.createPort(node.uuid, port);
        added.push(port.address);
      } else if (owner.node_uuid !== node.uuid) elsewhere.push(`${port.address} (node ${owner.node_uuid})`);
    }
    const own = new Set(this.deps.nodes.listPorts(node.uuid).map((p) => p.address));
    await this.prepareRecord(
      node.uuid,
      facts,
      facts.macs.filter((m) => own.has(m)),
    );
    this.deps.events.emit({
      type: 'node.merged',
      node: node.uuid,
      ...(facts.macs[0] ? { mac: facts.macs[0] } : {}),
      message:
        `inventory merged into node ${node.uuid} (${why})` +
        (added.length > 0 ? `; new port(s) ${added.join(', ')}` : '') +
        (elsewhere.length > 0 ? `; left with their nodes: ${elsewhere.join(', ')}` : ''),
      data: { added, elsewhere, matched_by: why },
    });
    return node.uuid;
  }

  /** Make the node's introspection record accept this data (`enrolling` → process). */
  private async prepareRecord(uuid: string, facts: PostedFacts, macs: string[]): Promise<void> {
    const records = this.deps.store.doc.introspections;
    const existing = records.find((r) => r.uuid === uuid);
    if (existing && existing.finished_at === null) {
      if (nextState(existing.state, 'process') === null) {
        throw new AppError(
          'ERR_DISCOVERY_BUSY',
          `Node ${uuid} matches this inventory but is in introspection state "${existing.state}"; retry when it is done`,
        );
      }
      for (const mac of macs) if (!existing.attributes.mac.includes(mac)) existing.attributes.mac.push(mac);
      existing.version += 1;
      await this.deps.store.changed({ durable: true });
      return;
    }
    const node = this.deps.nodes.require(uuid);
    const bmc = bmcAddressOfNode(node.driver_info, this.deps.settings.ipmiAddressFields);
    const record: IntrospectionRecord = {
      uuid,
      state: 'enrolling',
      started_at: naiveTimestamp(this.deps.clock.now()),
      finished_at: null,
      error: null,
      manage_boot: false,
      attributes: { bmc_address: facts.bmcAddresses.filter((b) => b === bmc), mac: macs },
      options: {},
      version: (existing?.version ?? 0) + 1,
    };
    if (existing) records.splice(records.indexOf(existing), 1, record);
    else records.push(record);
    await this.deps.store.changed({ durable: true });
  }
}
