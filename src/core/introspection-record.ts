// One introspection status record per node (the reference's "node cache" row) and the shapes
// of the persisted state document that store/ keeps (lowdb, small; blobs live in files).
import type { IntrospectionState } from './states.js';
import type { NodeRecord, PortRecord } from './node.js';

export interface IntrospectionRecord {
  uuid: string;
  state: IntrospectionState;
  /** ISO 8601 UTC, no `Z` (the reference's naive datetime format). */
  started_at: string;
  finished_at: string | null;
  error: string | null;
  manage_boot: boolean;
  /** Lookup attributes, present while the introspection is active. */
  attributes: { bmc_address: string[]; mac: string[] };
  /** Per-run options (credential setting requests; never returned by the API). */
  options: Record<string, unknown>;
  /** SHA-256 digests of this run's one-time callback tokens (ADR 0008); kept after the run ends so
   *  a replay is told "already used". Never returned by the API. */
  callback_tokens?: string[];
  /** Bumped on every change; lets the store and tests check consistency. */
  version: number;
}

export interface RuleCondition {
  op: string;
  field: string;
  multiple?: 'any' | 'all' | 'first';
  invert?: boolean;
  [param: string]: unknown;
}

export interface RuleAction {
  action: string;
  [param: string]: unknown;
}

export interface RuleRecord {
  uuid: string;
  description: string | null;
  scope: string | null;
  conditions: RuleCondition[];
  actions: RuleAction[];
  created_at: string;
}

export interface SettingsRecord {
  /** Auto-discovery of unknown machines, switchable at runtime. */
  discovery: boolean;
}

export interface StateDocument {
  meta: { schemaVersion: number; createdAt: string };
  nodes: NodeRecord[];
  ports: PortRecord[];
  introspections: IntrospectionRecord[];
  rules: RuleRecord[];
  /** DHCP leases, owned by the DHCP server (opaque here). */
  leases: unknown[];
  settings: SettingsRecord;
  /** Inventories that matched an existing chassis ambiguously: kept for an operator's review. */
  review: Array<{ id: string; created_at: string; reason: string; candidates: string[]; data_ref: string }>;
}

export const CURRENT_SCHEMA_VERSION = 1;

export function emptyStateDocument(now: string): StateDocument {
  return {
    meta: { schemaVersion: CURRENT_SCHEMA_VERSION, createdAt: now },
    nodes: [],
    ports: [],
    introspections: [],
    rules: [],
    leases: [],
    settings: { discovery: false },
    review: [],
  };
}
