// The processing-hook contract (ironic-inspector's two phases): `beforeProcessing` runs on the
// raw data before lookup (failures collected), `beforeUpdate` after lookup inside `processing`
// (the first failure fails the node). Hooks declare dependencies; the runner checks them.
import { formatCapabilities, parseCapabilities } from '../core/capabilities.js';
import type { IntrospectionRecord } from '../core/introspection-record.js';
import type { LogLike } from '../core/log.js';
import type { IntrospectionData } from '../core/lookup.js';
import type { NodeRecord } from '../core/node.js';
import type { NodeRepository } from '../core/node-repository.js';
import type { KnownDevice } from './hook-logic/accelerators.js';
import type { CidrMapping } from './hook-logic/physnet-cidr-map.js';

export interface PipelineSettings {
  addPorts: 'all' | 'active' | 'pxe' | 'disabled';
  keepPorts: 'all' | 'present' | 'added';
  overwriteExisting: boolean;
  updatePxeEnabled: boolean;
  diskPartitioningSpacing: boolean;
  capabilitiesBootMode: boolean;
  cpuFlags: Record<string, string>;
  pciAliases: Array<{ vendor_id: string; product_id: string; name: string }>;
  /** [extra_hardware] strict: refuse the whole eDeploy list when a record is malformed (default false). */
  extraHardwareStrict?: boolean;
  /** [port_physnet] cidr_map, parsed (default: empty, the hook does nothing). */
  cidrMap?: readonly CidrMapping[];
  /** [accelerators] known_devices, parsed (default: the reference's shipped list). */
  knownAccelerators?: readonly KnownDevice[];
}

export interface PhaseOneContext {
  log: LogLike;
  settings: PipelineSettings;
}

export interface HookContext extends PhaseOneContext {
  /** The node as it was when phase 2 started; use `nodes.update` to change it. */
  node: NodeRecord;
  record: IntrospectionRecord;
  nodes: NodeRepository;
}

export interface ProcessingHook {
  name: string;
  /** Hooks that must run earlier in the configured order. */
  dependsOn?: readonly string[];
  beforeProcessing?(data: IntrospectionData, context: PhaseOneContext): Promise<void> | void;
  beforeUpdate?(data: IntrospectionData, context: HookContext): Promise<void> | void;
}

/** A failure a hook reports on purpose (its message is shown to the operator as is). */
export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Set node properties honouring overwrite_existing; returns the keys actually changed. */
export async function updateProperties(
  context: HookContext,
  values: Record<string, unknown>,
): Promise<string[]> {
  const changed: string[] = [];
  await context.nodes.update(context.node.uuid, (node) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      if (!context.settings.overwriteExisting && node.properties[key] !== undefined) continue;
      if (JSON.stringify(node.properties[key]) !== JSON.stringify(value)) changed.push(key);
      node.properties[key] = value;
    }
  });
  return changed;
}

/** Merge capabilities into the node's `properties.capabilities` string. */
export async function mergeCapabilities(context: HookContext, add: Record<string, string>): Promise<void> {
  if (Object.keys(add).length === 0) return;
  await context.nodes.update(context.node.uuid, (node) => {
    const caps = parseCapabilities(node.properties.capabilities);
    for (const [k, v] of Object.entries(add)) {
      if (!context.settings.overwriteExisting && caps.has(k)) continue;
      caps.set(k, v);
    }
    node.properties.capabilities = formatCapabilities(caps);
  });
}
