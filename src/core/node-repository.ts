// NodeRepository port (nodes and ports, Ironic-shaped) and the local implementation over the
// state document. An Ironic-backed repository can implement the same port later.
import { randomUUID } from 'node:crypto';
import { AppError } from './errors.js';
import { applyPatch, type PatchOperation } from './json-patch.js';
import {
  deepFreezeRecord,
  frozenRecordCopy,
  normalizeMac,
  type NodeRecord,
  type PortRecord,
} from './node.js';
import type { Clock } from './clock.js';
import type { StateStore } from './ports.js';

export interface NewNode {
  uuid?: string;
  name?: string | null;
  driver?: string;
  driver_info?: NodeRecord['driver_info'];
  properties?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  traits?: string[];
  provision_state?: string;
  maintenance?: boolean;
}

export interface NewPort {
  address: string;
  pxe_enabled?: boolean;
  local_link_connection?: PortRecord['local_link_connection'];
  physical_network?: string | null;
  extra?: Record<string, unknown>;
}

export interface NodeRepository {
  get(idOrName: string): NodeRecord | undefined;
  /** Like get() but throws ERR_NODE_NOT_FOUND. */
  require(idOrName: string): NodeRecord;
  list(): NodeRecord[];
  create(input: NewNode, options?: { ports?: NewPort[] }): Promise<NodeRecord>;
  patch(uuid: string, operations: PatchOperation[]): Promise<NodeRecord>;
  /** Replace the mutable parts of a node (used by hooks and rules after they computed a new record). */
  update(
    uuid: string,
    mutate: (node: NodeRecord) => void,
    options?: { durable?: boolean },
  ): Promise<NodeRecord>;
  delete(uuid: string): Promise<void>;
  listPorts(nodeUuid?: string): PortRecord[];
  portByAddress(mac: string): PortRecord | undefined;
  createPort(nodeUuid: string, input: NewPort): Promise<PortRecord>;
  updatePort(uuid: string, mutate: (port: PortRecord) => void): Promise<PortRecord>;
  deletePort(uuid: string): Promise<void>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_RE.test(value);
/** Ironic's name rule (RFC 3986 unreserved characters), and names must not look like UUIDs. */
const NAME_RE = /^[A-Za-z0-9\-._~]+$/;

const IMMUTABLE_PATHS = ['/uuid', '/created_at', '/updated_at'];

function iso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

export function validateNode(node: NodeRecord): void {
  const problems: string[] = [];
  if (
    node.name !== null &&
    (typeof node.name !== 'string' || !NAME_RE.test(node.name) || isUuid(node.name))
  ) {
    problems.push(`name "${String(node.name)}" must use only letters, digits and - . _ ~ and not be a UUID`);
  }
  if (typeof node.driver !== 'string' || node.driver === '')
    problems.push('driver must be a non-empty string');
  for (const key of ['driver_info', 'properties', 'extra'] as const) {
    const v = node[key];
    if (!v || typeof v !== 'object' || Array.isArray(v)) problems.push(`${key} must be an object`);
  }
  if (!Array.isArray(node.traits) || node.traits.some((t) => typeof t !== 'string' || t.length > 255)) {
    problems.push('traits must be a list of strings');
  }
  if (typeof node.provision_state !== 'string') problems.push('provision_state must be a string');
  if (typeof node.maintenance !== 'boolean') problems.push('maintenance must be a boolean');
  const port: unknown = node.driver_info?.ipmi_port;
  // Ironic clients send ipmi_port as a number or a decimal string; both are honoured (ipmiPortOf).
  const portNumber = typeof port === 'string' && /^\d{1,5}$/.test(port) ? Number(port) : port;
  if (
    port !== undefined &&
    (typeof portNumber !== 'number' || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535)
  ) {
    problems.push('driver_info.ipmi_port must be an integer between 1 and 65535');
  }
  for (const key of ['ipmi_address', 'ipmi_username', 'ipmi_password'] as const) {
    const v = node.driver_info?.[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      problems.push(`driver_info.${key} must be a string`);
  }
  if (problems.length > 0) throw new AppError('ERR_NODE_INVALID', `invalid node: ${problems.join('; ')}`);
}

/**
 * Nodes and ports in the document are deep-frozen (frozenRecordCopy; loaded ones frozen by the
 * constructor): every change replaces the record, which lets the state store reuse the encoding of unchanged records on each
 * write. Callers get those frozen records; update()/updatePort() hand `mutate` a mutable clone.
 */
export class LocalNodeRepository implements NodeRepository {
  /** Position hints: node uuid → index in doc.nodes, port MAC → index in doc.ports (see at()). */
  private readonly nodeHints = new PositionHints<NodeRecord>((n) => n.uuid);
  private readonly portHints = new PositionHints<PortRecord>((p) => p.address);

  constructor(private readonly deps: { store: StateStore; clock: Clock }) {
    // Records loaded from disk become immutable too (from here on they are only replaced), so the
    // store reuses their encoding from the first write on.
    for (const node of deps.store.doc.nodes) deepFreezeRecord(node);
    for (const port of deps.store.doc.ports) deepFreezeRecord(port);
  }

  private get doc() {
    return this.deps.store.doc;
  }

  get(idOrName: string): NodeRecord | undefined {
    return isUuid(idOrName)
      ? this.nodeHints.find(this.doc.nodes, idOrName.toLowerCase())
      : this.doc.nodes.find((n) => n.name === idOrName);
  }

  require(idOrName: string): NodeRecord {
    const node = this.get(idOrName);
    if (!node) throw new AppError('ERR_NODE_NOT_FOUND', `Node ${idOrName} could not be found.`);
    return node;
  }

  list(): NodeRecord[] {
    return this.doc.nodes;
  }

  async create(input: NewNode, options: { ports?: NewPort[] } = {}): Promise<NodeRecord> {
    const uuid = (input.uuid ?? randomUUID()).toLowerCase();
    if (!isUuid(uuid)) throw new AppError('ERR_NODE_INVALID', `uuid "${uuid}" is not a UUID`);
    const node: NodeRecord = {
      uuid,
      name: input.name ?? null,
      driver: input.driver ?? 'ipmi',
      driver_info: { ...(input.driver_info ?? {}) },
      properties: { ...(input.properties ?? {}) },
      extra: { ...(input.extra ?? {}) },
      traits: [...(input.traits ?? [])],
      provision_state: input.provision_state ?? 'manageable',
      maintenance: input.maintenance ?? false,
      created_at: iso(this.deps.clock),
      updated_at: null,
    };
    validateNode(node);
    if (this.doc.nodes.some((n) => n.uuid === uuid)) {
      throw new AppError('ERR_NODE_CONFLICT', `A node with UUID ${uuid} already exists.`);
    }
    if (node.name !== null && this.doc.nodes.some((n) => n.name === node.name)) {
      throw new AppError('ERR_NODE_CONFLICT', `A node with name ${node.name} already exists.`);
    }
    const macs = (options.ports ?? []).map((p) => this.checkNewPort(p));
    if (new Set(macs).size !== macs.length)
      throw new AppError('ERR_PORT_CONFLICT', 'duplicate MAC addresses in ports');
    const stored = frozenRecordCopy(node);
    this.doc.nodes.push(stored);
    for (const port of options.ports ?? []) this.doc.ports.push(this.makePort(uuid, port));
    await this.deps.store.changed({ durable: true });
    return stored;
  }

  async patch(uuid: string, operations: PatchOperation[]): Promise<NodeRecord> {
    if (!Array.isArray(operations))
      throw new AppError('ERR_API_BAD_BODY', 'PATCH body must be a JSON patch list');
    for (const op of operations) {
      if (op && typeof op.path === 'string' && IMMUTABLE_PATHS.includes(op.path)) {
        throw new AppError('ERR_NODE_INVALID', `${op.path} cannot be changed`);
      }
    }
    const current = this.require(uuid);
    const patched = applyPatch(current, operations);
    validateNode(patched);
    if (
      patched.name !== null &&
      this.doc.nodes.some((n) => n.name === patched.name && n.uuid !== current.uuid)
    ) {
      throw new AppError('ERR_NODE_CONFLICT', `A node with name ${patched.name} already exists.`);
    }
    return this.replace(current, patched, true);
  }

  async update(
    uuid: string,
    mutate: (node: NodeRecord) => void,
    options: { durable?: boolean } = {},
  ): Promise<NodeRecord> {
    const current = this.require(uuid);
    const next = structuredClone(current);
    mutate(next);
    validateNode(next);
    return this.replace(current, next, options.durable ?? false);
  }

  private async replace(current: NodeRecord, next: NodeRecord, durable: boolean): Promise<NodeRecord> {
    next.uuid = current.uuid;
    next.created_at = current.created_at;
    next.updated_at = iso(this.deps.clock);
    const stored = frozenRecordCopy(next);
    const index = this.doc.nodes.indexOf(current);
    this.doc.nodes[index] = stored;
    await this.settle(durable);
    return stored;
  }

  async delete(uuid: string): Promise<void> {
    const node = this.require(uuid);
    this.doc.nodes = this.doc.nodes.filter((n) => n.uuid !== node.uuid);
    this.doc.ports = this.doc.ports.filter((p) => p.node_uuid !== node.uuid);
    await this.deps.store.changed({ durable: true });
  }

  listPorts(nodeUuid?: string): PortRecord[] {
    return nodeUuid === undefined ? this.doc.ports : this.doc.ports.filter((p) => p.node_uuid === nodeUuid);
  }

  portByAddress(mac: string): PortRecord | undefined {
    const normalized = normalizeMac(mac);
    return normalized === null ? undefined : this.portHints.find(this.doc.ports, normalized);
  }

  private checkNewPort(input: NewPort): string {
    const mac = normalizeMac(input?.address);
    if (mac === null)
      throw new AppError('ERR_NODE_INVALID', `port address "${String(input?.address)}" is not a MAC address`);
    const existing = this.portByAddress(mac);
    if (existing) {
      throw new AppError(
        'ERR_PORT_CONFLICT',
        `A port with MAC address ${mac} already exists (node ${existing.node_uuid}).`,
      );
    }
    return mac;
  }

  private makePort(nodeUuid: string, input: NewPort): PortRecord {
    return frozenRecordCopy({
      uuid: randomUUID(),
      address: normalizeMac(input.address) as string,
      node_uuid: nodeUuid,
      pxe_enabled: input.pxe_enabled ?? true,
      local_link_connection: { ...(input.local_link_connection ?? {}) },
      physical_network: input.physical_network ?? null,
      extra: { ...(input.extra ?? {}) },
      created_at: iso(this.deps.clock),
      updated_at: null,
    });
  }

  async createPort(nodeUuid: string, input: NewPort): Promise<PortRecord> {
    const node = this.require(nodeUuid);
    this.checkNewPort(input);
    const port = this.makePort(node.uuid, input);
    this.doc.ports.push(port);
    await this.settle(false);
    return port;
  }

  async updatePort(uuid: string, mutate: (port: PortRecord) => void): Promise<PortRecord> {
    const index = this.doc.ports.findIndex((p) => p.uuid === uuid);
    const current = this.doc.ports[index];
    if (!current) throw new AppError('ERR_PORT_NOT_FOUND', `Port ${uuid} could not be found.`);
    const next = structuredClone(current);
    mutate(next);
    next.uuid = current.uuid;
    next.address = current.address;
    next.updated_at = iso(this.deps.clock);
    const stored = frozenRecordCopy(next);
    this.doc.ports[index] = stored;
    await this.settle(false);
    return stored;
  }

  /**
   * Durable: wait for the fsynced write. Non-durable: do not wait for the debounced write (up to
   * maxDelayMs under load, which convoyed every /v1/continue behind the timer); the store writes
   * it soon and any later durable write (e.g. the introspection finishing) covers it.
   */
  private async settle(durable: boolean): Promise<void> {
    const written = this.deps.store.changed({ durable });
    if (durable) await written;
    else written.catch(() => undefined); // the store logs and retries a failed write
  }

  async deletePort(uuid: string): Promise<void> {
    const before = this.doc.ports.length;
    this.doc.ports = this.doc.ports.filter((p) => p.uuid !== uuid);
    if (this.doc.ports.length === before)
      throw new AppError('ERR_PORT_NOT_FOUND', `Port ${uuid} could not be found.`);
    await this.settle(false);
  }
}

/**
 * Where a record was last seen in a list, so lookups by key (several per /v1/continue, over
 * 1,000+ nodes) need not scan the list. Only a hint: a position is used only if the record found
 * there still has the key; otherwise the list is scanned as before and the position learnt, so the
 * answer is always what `list.find(key)` gives, whoever changed the list (keys are unique in it).
 */
class PositionHints<T> {
  private readonly positions = new Map<string, number>();
  constructor(private readonly keyOf: (record: T) => string) {}

  find(list: readonly T[], key: string): T | undefined {
    const position = this.positions.get(key);
    if (position !== undefined) {
      const record = list[position];
      if (record !== undefined && this.keyOf(record) === key) return record;
    }
    const index = list.findIndex((record) => this.keyOf(record) === key);
    if (index < 0) {
      this.positions.delete(key);
      return undefined;
    }
    this.positions.set(key, index);
    return list[index];
  }
}
