// What the API needs from the rest of the daemon, declared by the API itself (structural types;
// main.ts passes the real services).
import type { EventRecord } from '../core/events.js';
import type { EventQuery } from '../core/ports.js';
import type { IntrospectionService } from '../core/introspection.js';
import type { LogLike } from '../core/log.js';
import type { NodeRepository } from '../core/node-repository.js';
import type { RuleBook } from '../core/rule-book.js';
import type { PowerControl } from '../core/power.js';

export interface AuthCheck {
  /** Throws AppError ERR_API_UNAUTHORIZED when the Authorization header is not accepted. */
  check(authorization: string | undefined): Promise<void>;
}

export interface EventsApi {
  query(q: EventQuery): EventRecord[];
  follow(q: EventQuery, listener: (event: EventRecord) => void): () => void;
}

export interface DiscoveryApi {
  get(): boolean;
  set(enabled: boolean): Promise<void>;
}

/** Rules over stored data (src/rules-replay.ts): dry-run changes nothing, apply stores the diff. */
export interface RuleReplayApi {
  dryRun(body: unknown): Promise<unknown>;
  apply(body: unknown): Promise<unknown>;
}

/** The "needs review" list of conflicting inventories (src/discovery/review.ts). */
export interface ReviewApi {
  list(): Array<{ id: string; created_at: string; reason: string; candidates: string[]; data_ref: string }>;
  show(id: string): Promise<Record<string, unknown>>;
  resolve(id: string, body: unknown): Promise<unknown>;
}

/** Power and boot-device control (the IPMI adapter), when enabled. */
export type PowerApi = PowerControl;

/** Out-of-band BMC credential rotation (src/bmc-credentials.ts), when IPMI is enabled. */
export interface BmcCredentialsApi {
  rotate(
    idOrName: string,
    request: { username?: string; password?: string; disablePrevious?: boolean },
  ): Promise<object>;
}

export interface ApiDeps {
  log: LogLike;
  introspection: IntrospectionService;
  nodes: NodeRepository;
  rules: RuleBook;
  events: EventsApi;
  auth: AuthCheck;
  discovery: DiscoveryApi;
  settings: { apiMaxLimit: number; storeData: boolean };
  power?: PowerApi | null;
  ruleReplay?: RuleReplayApi | null;
  review?: ReviewApi | null;
  bmcCredentials?: BmcCredentialsApi | null;
  /** GET /healthz verdict; without it /healthz always answers ok. */
  health?: () => Promise<{ status: 'ok' | 'unhealthy' | 'starting'; reasons: string[] }>;
  /** Called after node/port changes (PXE filter sync). */
  onNodesChanged?: () => void;
}
