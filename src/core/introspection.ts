// Introspection use-cases: start, status/list, abort, ramdisk callback (lookup → hooks → store →
// rules → finish), reapply, and the timeout clean-up. Talks to the world only through ports.
import { AppError, isAppError } from './errors.js';
import { nextState, ACTIVE_STATES, type IntrospectionEvent, type IntrospectionState } from './states.js';
import type { CallbackGrant } from './callback-tokens.js';
import { bmcAddressOfNode, isLoopback, lookupNode, type IntrospectionData } from './lookup.js';
import { NodeLocks, type Release } from './locks.js';
import type { Clock } from './clock.js';
import type { EventSink } from './events.js';
import type { IntrospectionRecord } from './introspection-record.js';
import type { LogLike } from './log.js';
import type { NodeRepository } from './node-repository.js';
import { normalizeBootInterface, type NodeRecord } from './node.js';
import type { BmcTarget, PowerControl } from './power.js';
import type { BlobStore, StateStore } from './ports.js';

/** The hook pipeline as core sees it (implemented by src/pipeline). */
export interface ProcessingPipeline {
  /** Phase 1, before lookup: may modify data; failures are collected, not thrown. */
  beforeProcessing(data: IntrospectionData): Promise<string[]>;
  /** Phase 2, after lookup, inside `processing`: may update the node and ports; throws to fail. */
  beforeUpdate(
    data: IntrospectionData,
    context: { node: NodeRecord; record: IntrospectionRecord },
  ): Promise<void>;
}

/** Introspection rules as core sees them (implemented by src/rules + glue in main). */
export interface RuleRunner {
  /** Evaluate and apply every rule; returns the failure message of a `fail` action, if any. */
  apply(uuid: string, data: IntrospectionData): Promise<{ failed?: string }>;
}

/** Creates a node for an unknown machine (node_not_found_hook = enroll); returns its UUID. */
export interface NotFoundHook {
  enroll(data: IntrospectionData): Promise<string>;
}

/** Verifies credentials set in-band by the ramdisk (IPMI adapter; polls like the reference). */
export interface CredentialVerifier {
  verify(target: BmcTarget): Promise<void>;
}

export interface IntrospectionSettings {
  /** Seconds; 0 disables. */
  timeout: number;
  canManageBoot: boolean;
  storeData: boolean;
  /** Seconds between two power-on actions of managed introspections. */
  introspectionDelay: number;
  powerOff: boolean;
  permitActiveIntrospection: boolean;
  ipmiAddressFields: readonly string[];
  ramdiskLogsDir: string | null;
  alwaysStoreRamdiskLogs: boolean;
  ramdiskLogsFilenameFormat: string;
  ipmiPasswordMaxLength: number;
  allowNonAlnumIpmiPassword: boolean;
}

export interface IntrospectionDeps {
  store: StateStore;
  nodes: NodeRepository;
  blobs: BlobStore;
  events: EventSink;
  clock: Clock;
  log: LogLike;
  settings: IntrospectionSettings;
  pipeline: ProcessingPipeline;
  power?: PowerControl | null;
  rules?: RuleRunner | null;
  notFoundHook?: NotFoundHook | null;
  /** One-time callback tokens (ADR 0008); absent = every callback is accepted (callback_auth=none). */
  callbackAuth?: CallbackAuthorizer | null;
  credentialVerifier?: CredentialVerifier | null;
  /** Told about every stored processed data, as the object (drift reports, chassis identity);
   *  a failure is logged, never fails the introspection. */
  onProcessed?: (uuid: string, data: IntrospectionData) => Promise<void> | void;
  /** Called whenever the set of MACs under introspection may have changed (PXE filter sync). */
  onFilterChange?: () => void;
  /** Optional one-line hint from the boot timeline, appended to timeout errors. */
  timeoutHint?: (uuid: string, macs: readonly string[]) => string | null;
  /** Resolves a BMC host name to addresses (getaddrinfo); IP literals are used as they are. */
  resolveHost?: (host: string) => Promise<string[]>;
  /** Waits for the power-on pacing (tests drive it with a fake clock); default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** The two gates of callback authentication (core/callback-tokens.ts implements them). */
export interface CallbackAuthorizer {
  precheck(token: string | undefined, context?: { mac?: string }): CallbackGrant;
  authorize(grant: CallbackGrant, uuid: string | null, context?: { mac?: string }): void;
}

export interface StartOptions {
  manageBoot: boolean;
  newIpmiUsername?: string;
  newIpmiPassword?: string;
}

export interface ContinueResult {
  uuid: string;
  ipmi_setup_credentials?: boolean;
  ipmi_username?: string;
  ipmi_password?: string;
}

const START_PROVISION_STATES = [
  'enroll',
  'manageable',
  'inspecting',
  'inspect wait',
  'inspect failed',
  'available',
];

/** The reference's naive UTC timestamp: ISO 8601 without `Z`, with microseconds. */
export function naiveTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/**
 * `driver_info.ipmi_port` as a number: Ironic clients send it as a JSON number or as a decimal
 * string (`--driver-info ipmi_port=6230`); absent → 623 (RMCP, IPMI v2.0 §13.1.1). Anything else
 * gives 0, which the IPMI adapter refuses with a clear "invalid BMC port".
 */
export function ipmiPortOf(info: { ipmi_port?: unknown }): number {
  const raw = info.ipmi_port;
  if (raw === undefined || raw === null || raw === '') return 623;
  const port =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw.trim()) ? Number(raw) : 0;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : 0;
}

export class IntrospectionService {
  readonly locks = new NodeLocks();
  private lastPowerOnAt = 0;
  private powerQueue: Promise<void> = Promise.resolve();
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly deps: IntrospectionDeps) {}

  // ---------------------------------------------------------------- records

  private get records(): IntrospectionRecord[] {
    return this.deps.store.doc.introspections;
  }

  record(uuid: string): IntrospectionRecord | undefined {
    return this.records.find((r) => r.uuid === uuid);
  }

  /** The status record of a node by UUID or name (404 as the reference when absent). */
  status(idOrName: string): IntrospectionRecord {
    const node = this.deps.nodes.get(idOrName);
    const record = node ? this.record(node.uuid) : this.record(idOrName.toLowerCase());
    if (!record) {
      throw new AppError(
        'ERR_INTROSPECTION_NOT_FOUND',
        `Could not find node ${node?.uuid ?? idOrName} in cache`,
      );
    }
    return record;
  }

  /** Sorted by (started_at, uuid) descending, as the reference. */
  list(options: { marker?: string; limit: number; states?: IntrospectionState[] }): IntrospectionRecord[] {
    let sorted = [...this.records].sort((a, b) =>
      a.started_at === b.started_at ? (a.uuid < b.uuid ? 1 : -1) : a.started_at < b.started_at ? 1 : -1,
    );
    if (options.states && options.states.length > 0) {
      const wanted = new Set(options.states);
      sorted = sorted.filter((r) => wanted.has(r.state));
    }
    if (options.marker !== undefined) {
      const index = sorted.findIndex((r) => r.uuid === options.marker);
      if (index < 0)
        throw new AppError('ERR_INTROSPECTION_NOT_FOUND', `Node ${options.marker} was not found`);
      sorted = sorted.slice(index + 1);
    }
    return sorted.slice(0, options.limit);
  }

  /** Apply an FSM event to a record, or throw "Can not transition…". */
  private transition(record: IntrospectionRecord, event: IntrospectionEvent): void {
    const next = nextState(record.state, event);
    if (next === null) {
      throw new AppError(
        'ERR_INTROSPECTION_INVALID_TRANSITION',
        `Can not transition from state '${record.state}' on event '${event}' (node ${record.uuid})`,
      );
    }
    record.state = next;
    record.version += 1;
  }

  private async persist(durable: boolean): Promise<void> {
    await this.deps.store.changed({ durable });
  }

  private emit(
    record: { uuid: string },
    type: `introspection.${string}`,
    message: string,
    level: 'info' | 'warn' | 'error' = 'info',
    data?: Record<string, unknown>,
  ): void {
    this.deps.events.emit({ type, node: record.uuid, level, message, ...(data ? { data } : {}) });
  }

  private now(): string {
    return naiveTimestamp(this.deps.clock.now());
  }

  // ---------------------------------------------------------------- start

  private async lookupAttributes(node: NodeRecord): Promise<IntrospectionRecord['attributes']> {
    const bmcs = new Set<string>();
    const host = bmcAddressOfNode(node.driver_info, this.deps.settings.ipmiAddressFields);
    if (host) {
      const isIp = /^[0-9.]+$/.test(host) || host.includes(':');
      if (isIp) bmcs.add(host);
      else if (this.deps.resolveHost) {
        try {
          for (const address of await this.deps.resolveHost(host)) {
            if (!isLoopback(address)) bmcs.add(address.toLowerCase());
          }
        } catch (error) {
          this.deps.log.warn({ node: node.uuid, host, err: String(error) }, 'cannot resolve BMC host name');
        }
      }
    }
    const macs = this.deps.nodes.listPorts(node.uuid).map((p) => p.address);
    return { bmc_address: [...bmcs], mac: macs };
  }

  private validateNewCredentials(
    node: NodeRecord,
    options: StartOptions,
  ): { username: string; password: string } | null {
    if (options.newIpmiPassword === undefined && options.newIpmiUsername === undefined) return null;
    const username = options.newIpmiUsername ?? node.driver_info.ipmi_username;
    const password = options.newIpmiPassword;
    if (!username) {
      throw new AppError(
        'ERR_API_BAD_PARAM',
        'new_ipmi_username is required: the node has no ipmi_username either',
      );
    }
    if (username.length > 16)
      throw new AppError('ERR_API_BAD_PARAM', 'new_ipmi_username is longer than 16 characters');
    if (!password)
      throw new AppError('ERR_API_BAD_PARAM', 'new_ipmi_password is required to set BMC credentials');
    const { ipmiPasswordMaxLength, allowNonAlnumIpmiPassword } = this.deps.settings;
    if (password.length < 1 || password.length > ipmiPasswordMaxLength) {
      throw new AppError(
        'ERR_API_BAD_PARAM',
        `new_ipmi_password must be 1 to ${ipmiPasswordMaxLength} characters long`,
      );
    }
    if (!allowNonAlnumIpmiPassword && !/^[A-Za-z0-9]+$/.test(password)) {
      throw new AppError('ERR_API_BAD_PARAM', 'new_ipmi_password may contain only ASCII letters and digits');
    }
    return { username, password };
  }

  bmcTarget(node: NodeRecord): BmcTarget | null {
    const info = node.driver_info;
    if (!info.ipmi_address || info.ipmi_username === undefined || info.ipmi_password === undefined)
      return null;
    return {
      address: info.ipmi_address,
      port: ipmiPortOf(info),
      username: info.ipmi_username,
      password: info.ipmi_password,
      node: node.uuid,
    };
  }

  async start(idOrName: string, options: StartOptions): Promise<IntrospectionRecord> {
    const node = this.deps.nodes.require(idOrName);
    const { settings } = this.deps;
    const allowedStates = settings.permitActiveIntrospection
      ? [...START_PROVISION_STATES, 'active', 'rescue']
      : START_PROVISION_STATES;
    if (!node.maintenance && !allowedStates.includes(node.provision_state)) {
      throw new AppError(
        'ERR_INTROSPECTION_INVALID_STATE',
        `Node ${node.uuid} can not be introspected in provision state "${node.provision_state}"`,
      );
    }
    const credentials = this.validateNewCredentials(node, options);
    // Setting credentials in-band means the BMC credentials are not known yet: manual power-on.
    const manageBoot = credentials ? false : options.manageBoot;
    if (manageBoot && !settings.canManageBoot) {
      throw new AppError(
        'ERR_INTROSPECTION_MANAGE_BOOT',
        'Managed boot is requested, but this installation cannot manage boot (can_manage_boot = false)',
      );
    }
    let target: BmcTarget | null = null;
    if (manageBoot) {
      if (!this.deps.power) {
        throw new AppError(
          'ERR_INTROSPECTION_MANAGE_BOOT',
          'Managed boot is requested, but no power driver is available; start with manage_boot=false and power the node on by hand',
        );
      }
      target = this.bmcTarget(node);
      if (!target) {
        throw new AppError(
          'ERR_IPMI_NO_CREDENTIALS',
          `Node ${node.uuid} needs driver_info ipmi_address, ipmi_username and ipmi_password for managed boot`,
        );
      }
    }
    const release = this.locks.tryAcquire(node.uuid);
    if (!release)
      throw new AppError('ERR_INTROSPECTION_LOCKED', `Node ${node.uuid} is locked, please, retry later`);
    let keepLock = false;
    try {
      const existing = this.record(node.uuid);
      if (existing && nextState(existing.state, 'start') === null) {
        throw new AppError(
          'ERR_INTROSPECTION_INVALID_TRANSITION',
          `Can not transition from state '${existing.state}' on event 'start' (node ${node.uuid})`,
        );
      }
      const attributes = await this.lookupAttributes(node);
      if (attributes.bmc_address.length === 0 && attributes.mac.length === 0 && !this.deps.notFoundHook) {
        throw new AppError(
          'ERR_INTROSPECTION_NO_LOOKUP_ATTRS',
          `No lookup attributes were found for node ${node.uuid}: it has no BMC address and no ports; enrol its MACs or set driver_info.ipmi_address`,
        );
      }
      if (manageBoot && target) {
        // Validate power credentials synchronously so the client sees a clear 400.
        await this.deps.power!.validate(target);
      }
      const record: IntrospectionRecord = {
        uuid: node.uuid,
        state: 'starting',
        started_at: this.now(),
        finished_at: null,
        error: null,
        manage_boot: manageBoot,
        attributes,
        options: credentials ? { new_ipmi_credentials: credentials } : {},
        version: (existing?.version ?? 0) + 1,
      };
      if (existing) this.records.splice(this.records.indexOf(existing), 1, record);
      else this.records.push(record);
      this.emit(
        record,
        'introspection.started',
        `introspection started (manage_boot=${manageBoot})`,
        'info',
        {
          manage_boot: manageBoot,
          macs: attributes.mac,
          bmc_address: attributes.bmc_address,
          set_credentials: credentials !== null,
        },
      );
      if (!manageBoot) {
        this.transition(record, 'wait');
        this.emit(
          record,
          'introspection.waiting',
          credentials
            ? 'waiting for the ramdisk: power the node on by hand (new BMC credentials will be set in-band)'
            : 'waiting for the ramdisk (boot not managed: power the node on, or let the caller do it)',
        );
        await this.persist(true);
        this.deps.onFilterChange?.();
        return record;
      }
      await this.persist(true);
      this.deps.onFilterChange?.();
      keepLock = true;
      this.track(this.prepareManagedBoot(record, target!, release));
      return record;
    } finally {
      if (!keepLock) release();
    }
  }

  private track(task: Promise<unknown>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Wait for background tasks (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Pacing of power-on actions (introspection_delay), serialised across nodes. */
  private pacePowerOn(): Promise<void> {
    const delayMs = this.deps.settings.introspectionDelay * 1000;
    const run = this.powerQueue.then(async () => {
      const wait = this.lastPowerOnAt + delayMs - this.deps.clock.now();
      if (wait > 0) {
        if (this.deps.sleep) await this.deps.sleep(wait);
        else await new Promise((resolve) => setTimeout(resolve, wait));
      }
      this.lastPowerOnAt = this.deps.clock.now();
    });
    this.powerQueue = run.catch(() => undefined);
    return run;
  }

  private async prepareManagedBoot(
    record: IntrospectionRecord,
    target: BmcTarget,
    release: Release,
  ): Promise<void> {
    const power = this.deps.power!;
    try {
      await power.setBootDevice(target, 'pxe', { persistent: false });
      this.emit(record, 'introspection.boot_device', 'boot device set to PXE for the next boot');
      await this.pacePowerOn();
      if (record.state !== 'starting') return; // aborted or timed out meanwhile
      const state = await power.getPowerState(target);
      await power.setPower(target, state === 'power on' ? 'cycle' : 'on');
      this.emit(
        record,
        'introspection.powered',
        state === 'power on' ? 'node power-cycled to PXE boot' : 'node powered on to PXE boot',
      );
      if (record.state === 'starting') {
        this.transition(record, 'wait');
        this.emit(record, 'introspection.waiting', 'waiting for the ramdisk');
        await this.persist(true);
      }
    } catch (error) {
      if (record.state === 'starting' || record.state === 'waiting') {
        await this.finishWithError(
          record,
          `Failed to power on the node for introspection: ${(error as Error).message}`,
        );
      }
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- finish / error

  /** Ends the run: its lookup attributes and per-run options (new credentials) go with it. */
  private close(record: IntrospectionRecord, error: string | null): void {
    record.error = error;
    record.finished_at = this.now();
    record.attributes = { bmc_address: [], mac: [] };
    record.options = {};
  }

  private async finishWithError(
    record: IntrospectionRecord,
    message: string,
    event: IntrospectionEvent = 'error',
  ): Promise<void> {
    if (nextState(record.state, event) !== null) this.transition(record, event);
    else {
      record.state = 'error';
      record.version += 1;
    }
    this.close(record, message);
    this.emit(record, 'introspection.error', message, 'error');
    await this.persist(true);
    this.deps.onFilterChange?.();
  }

  private async finishOk(record: IntrospectionRecord): Promise<void> {
    this.transition(record, 'finish');
    this.close(record, null);
    this.emit(record, 'introspection.finished', 'introspection finished');
    await this.persist(true);
    this.deps.onFilterChange?.();
    if (record.manage_boot && this.deps.settings.powerOff && this.deps.power) {
      const node = this.deps.nodes.get(record.uuid);
      const target = node ? this.bmcTarget(node) : null;
      if (target) {
        this.track(
          this.deps.power.setPower(target, 'off').then(
            () => this.emit(record, 'introspection.power_off', 'node powered off after introspection'),
            (error: unknown) =>
              this.emit(
                record,
                'introspection.power_off',
                `power off after introspection failed: ${(error as Error).message}`,
                'warn',
              ),
          ),
        );
      }
    }
  }

  // ---------------------------------------------------------------- abort

  async abort(idOrName: string): Promise<void> {
    const record = this.status(idOrName);
    const release = this.locks.tryAcquire(record.uuid);
    if (!release)
      throw new AppError('ERR_INTROSPECTION_LOCKED', `Node ${record.uuid} is locked, please, retry later`);
    try {
      if (record.state === 'error') return; // abort → error is a no-op, as the reference
      this.transition(record, 'abort');
      this.emit(record, 'introspection.aborting', 'introspection aborted by operator');
      const manage = record.manage_boot;
      this.transition(record, 'abort_end');
      this.close(record, 'Canceled by operator');
      await this.persist(true);
      this.deps.onFilterChange?.();
      if (manage && this.deps.power) {
        const node = this.deps.nodes.get(record.uuid);
        const target = node ? this.bmcTarget(node) : null;
        if (target) {
          this.track(
            this.deps.power
              .setPower(target, 'off')
              .catch((error: unknown) =>
                this.emit(
                  record,
                  'introspection.power_off',
                  `power off after abort failed: ${(error as Error).message}`,
                  'warn',
                ),
              ),
          );
        }
      }
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- crash recovery

  /**
   * After a restart (clean or kill -9): an introspection whose callback was being processed goes
   * back to `waiting` so the ramdisk's retry (IPA retries on connection errors) can complete it;
   * work that cannot resume (a managed power-on, an abort, a reapply) ends with a clear error.
   */
  async recover(): Promise<string[]> {
    const touched: string[] = [];
    for (const record of this.records) {
      if (record.finished_at !== null) continue;
      let message: string | null = null;
      if (record.state === 'processing') {
        record.state = 'waiting';
        record.version += 1;
        this.emit(
          record,
          'introspection.recovered',
          'daemon restarted while processing the callback: waiting for the ramdisk to post again',
          'warn',
        );
      } else if (record.state === 'starting' && record.manage_boot) {
        message =
          'Interrupted by a daemon restart while preparing managed boot; start the introspection again';
      } else if (record.state === 'aborting') {
        message = 'Canceled by operator';
      } else if (record.state === 'reapplying') {
        message = 'Interrupted by a daemon restart while reapplying; reapply again';
      } else {
        continue;
      }
      if (message !== null) {
        record.state = 'error';
        record.version += 1;
        this.close(record, message);
        this.emit(record, 'introspection.error', message, 'error');
      }
      touched.push(record.uuid);
    }
    if (touched.length > 0) await this.persist(true);
    return touched;
  }

  // ---------------------------------------------------------------- timeouts

  /** One clean-up pass: time out introspections older than `timeout`; returns the UUIDs timed out. */
  async cleanUp(): Promise<string[]> {
    const timeoutMs = this.deps.settings.timeout * 1000;
    if (timeoutMs <= 0) return [];
    const now = this.deps.clock.now();
    const timedOut: string[] = [];
    for (const record of [...this.records]) {
      if (record.finished_at !== null || !ACTIVE_STATES.includes(record.state)) continue;
      const started = Date.parse(`${record.started_at}Z`);
      if (!(now - started > timeoutMs)) continue;
      const release = this.locks.tryAcquire(record.uuid);
      if (!release) continue; // locked: next pass
      try {
        if (record.state !== 'waiting') {
          this.deps.log.warn(
            { node: record.uuid, state: record.state },
            'introspection timed out in a non-waiting state',
          );
        }
        const hint = this.deps.timeoutHint?.(record.uuid, record.attributes.mac) ?? null;
        await this.finishWithError(
          record,
          hint ? `Introspection timeout (${hint})` : 'Introspection timeout',
          'timeout',
        );
        timedOut.push(record.uuid);
      } finally {
        release();
      }
    }
    return timedOut;
  }

  /** Windows of nodes under introspection, for the PXE filter (MAC → window end). */
  activeWindows(): Array<{ uuid: string; macs: string[]; expiresAt?: number }> {
    const timeoutMs = this.deps.settings.timeout * 1000;
    return this.records
      .filter((r) => r.finished_at === null && ACTIVE_STATES.includes(r.state))
      .map((r) => ({
        uuid: r.uuid,
        macs: r.attributes.mac,
        ...(timeoutMs > 0 ? { expiresAt: Date.parse(`${r.started_at}Z`) + timeoutMs } : {}),
      }));
  }

  // ---------------------------------------------------------------- ramdisk callback

  async continue(body: unknown, options: { token?: string } = {}): Promise<ContinueResult> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError('ERR_API_BAD_BODY', 'Invalid data: expected a JSON object');
    }
    const data = body as IntrospectionData;
    // The token may come as a field of the body; it is a credential, never stored with the data.
    const token = options.token ?? (typeof data.token === 'string' ? data.token : undefined);
    delete data.token;
    const bootMac = normalizeBootInterface(data.boot_interface);
    const authContext = bootMac ? { mac: bootMac } : {};
    const grant = this.deps.callbackAuth?.precheck(token, authContext);
    const logs = typeof data.logs === 'string' ? data.logs : null;
    delete data.logs;
    // The unprocessed copy is the ramdisk's data as posted (minus logs), before any hook ran;
    // serialised only when it is stored (a 10 MiB inventory costs milliseconds).
    const unprocessed = this.deps.settings.storeData ? JSON.stringify(data) : null;
    const phase1Errors = await this.deps.pipeline.beforeProcessing(data);
    let found = lookupNode(this.records, data);
    if (grant) this.deps.callbackAuth?.authorize(grant, 'error' in found ? null : found.uuid, authContext);
    if ('error' in found && found.error.code === 'ERR_LOOKUP_NOT_FOUND' && this.deps.notFoundHook) {
      try {
        const uuid = await this.deps.notFoundHook.enroll(data);
        found = { uuid, score: 0 };
      } catch (error) {
        await this.storeLogs(logs, data, null, true);
        throw isAppError(error)
          ? error
          : new AppError('ERR_LOOKUP_NOT_FOUND', `Node enrolment failed: ${(error as Error).message}`);
      }
    }
    if ('error' in found) {
      this.deps.events.emit({
        type: 'callback.lookup_failed',
        level: 'warn',
        message: found.error.message,
        data: { attributes: found.attributes },
        ...(found.attributes.mac[0] ? { mac: found.attributes.mac[0] } : {}),
      });
      await this.storeLogs(logs, data, null, true);
      throw found.error;
    }
    const uuid = found.uuid;
    const release = await this.locks.acquire(uuid);
    try {
      const record = this.record(uuid);
      if (!record) throw new AppError('ERR_LOOKUP_NOT_FOUND', `Node ${uuid} is not under introspection`);
      if (record.finished_at !== null) {
        throw new AppError('ERR_LOOKUP_FINISHED', `Introspection for node ${uuid} has already finished`);
      }
      if (nextState(record.state, 'process') === null) {
        throw new AppError(
          'ERR_INTROSPECTION_INVALID_TRANSITION',
          `Can not transition from state '${record.state}' on event 'process' (node ${uuid})`,
        );
      }
      this.deps.events.emit({
        type: 'callback.received',
        node: uuid,
        message: `ramdisk data received (lookup score ${found.score})`,
        ...(bootMac ? { mac: bootMac } : {}),
      });
      if (unprocessed !== null) await this.deps.blobs.putData(uuid, 'unprocessed', unprocessed);
      this.transition(record, 'process');
      // Not awaited: the debounced write would hold every callback for up to maxDelayMs under load;
      // finishOk/finishWithError below persist durably and cover this transition.
      this.deps.store.changed().catch(() => undefined);
      const credentials = record.options.new_ipmi_credentials as
        { username: string; password: string } | undefined;
      if (phase1Errors.length > 0) {
        const message = `The following failures happened during running pre-processing hooks:\n${phase1Errors.join('\n')}`;
        await this.storeLogs(logs, data, uuid, true);
        await this.finishWithError(record, message);
        throw new AppError('ERR_PROCESSING_FAILED', message);
      }
      const failure = await this.process(record, data);
      await this.storeLogs(logs, data, uuid, failure !== null);
      if (failure !== null) throw new AppError('ERR_PROCESSING_FAILED', failure);
      if (credentials) {
        this.track(this.verifyCredentials(record, credentials));
        return {
          uuid,
          ipmi_setup_credentials: true,
          ipmi_username: credentials.username,
          ipmi_password: credentials.password,
        };
      }
      await this.finishOk(record);
      return { uuid };
    } finally {
      release();
    }
  }

  /** Phase 2 hooks → store processed data → rules. Returns an error message or null. */
  private async process(record: IntrospectionRecord, data: IntrospectionData): Promise<string | null> {
    try {
      const node = this.deps.nodes.require(record.uuid);
      await this.deps.pipeline.beforeUpdate(data, { node, record });
      if (this.deps.settings.storeData) {
        await this.deps.blobs.putData(record.uuid, 'processed', JSON.stringify(data));
        try {
          await this.deps.onProcessed?.(record.uuid, data);
        } catch (error) {
          this.deps.log.error({ node: record.uuid, err: String(error) }, 'processed-data listener failed');
        }
      }
      this.deps.onFilterChange?.();
      if (this.deps.rules) {
        // The rules engine is pure (it never mutates the data), so no copy of a possibly 10 MiB inventory.
        const result = await this.deps.rules.apply(record.uuid, data);
        if (result.failed !== undefined) throw new Error(result.failed);
      }
      this.emit(record, 'introspection.processed', 'introspection data processed');
      return null;
    } catch (error) {
      const message = isAppError(error) || error instanceof Error ? error.message : String(error);
      await this.finishWithError(record, message);
      return message;
    }
  }

  private async verifyCredentials(
    record: IntrospectionRecord,
    credentials: { username: string; password: string },
  ): Promise<void> {
    const release = await this.locks.acquire(record.uuid);
    try {
      const node = this.deps.nodes.require(record.uuid);
      const address = node.driver_info.ipmi_address ?? record.attributes.bmc_address[0];
      if (!address || !this.deps.credentialVerifier) {
        await this.finishWithError(
          record,
          'Failed to validate updated IPMI credentials: no BMC address or no IPMI client available',
        );
        return;
      }
      const target: BmcTarget = {
        address,
        port: ipmiPortOf(node.driver_info),
        username: credentials.username,
        password: credentials.password,
        node: node.uuid,
      };
      try {
        await this.deps.credentialVerifier.verify(target);
      } catch (error) {
        await this.finishWithError(
          record,
          `Failed to validate updated IPMI credentials for node ${node.uuid}: ${(error as Error).message}; node might require maintenance`,
        );
        return;
      }
      await this.deps.nodes.update(
        node.uuid,
        (n) => {
          n.driver_info.ipmi_address = address;
          n.driver_info.ipmi_username = credentials.username;
          n.driver_info.ipmi_password = credentials.password;
        },
        { durable: true },
      );
      this.emit(
        record,
        'introspection.credentials',
        `new BMC credentials for user ${credentials.username} verified over RMCP+ and stored`,
      );
      await this.finishOk(record);
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- reapply

  async reapply(idOrName: string, body?: IntrospectionData): Promise<void> {
    const record = this.status(idOrName);
    if (!this.deps.settings.storeData && body === undefined) {
      throw new AppError(
        'ERR_DATA_NOT_STORED',
        'Inspector is not configured to store data. Set [processing] store_data to reapply',
      );
    }
    const release = this.locks.tryAcquire(record.uuid);
    if (!release)
      throw new AppError('ERR_INTROSPECTION_LOCKED', `Node ${record.uuid} is locked, please, retry later`);
    let keepLock = false;
    try {
      let data: IntrospectionData;
      if (body !== undefined) {
        data = body;
        delete data.logs;
        if (this.deps.settings.storeData)
          await this.deps.blobs.putData(record.uuid, 'unprocessed', JSON.stringify(data));
      } else {
        const stored = await this.deps.blobs.getData(record.uuid, 'unprocessed');
        if (stored === null)
          throw new AppError('ERR_DATA_NOT_STORED', `No unprocessed data is stored for node ${record.uuid}`);
        data = JSON.parse(stored) as IntrospectionData;
      }
      this.transition(record, 'reapply');
      record.started_at = this.now();
      // Our fix of the reference quirk: a record being reapplied is not finished.
      record.finished_at = null;
      record.error = null;
      this.emit(record, 'introspection.reapplying', 'reapplying stored introspection data');
      await this.persist(true);
      keepLock = true;
      this.track(this.runReapply(record, data, release));
    } finally {
      if (!keepLock) release();
    }
  }

  private async runReapply(
    record: IntrospectionRecord,
    data: IntrospectionData,
    release: Release,
  ): Promise<void> {
    try {
      const errors = await this.deps.pipeline.beforeProcessing(data);
      if (errors.length > 0) {
        await this.finishWithError(
          record,
          `The following failures happened during running pre-processing hooks:\n${errors.join('\n')}`,
        );
        return;
      }
      const failure = await this.process(record, data);
      if (failure === null) {
        this.transition(record, 'finish');
        record.finished_at = this.now();
        record.error = null;
        this.emit(record, 'introspection.finished', 'reapply finished');
        await this.persist(true);
      }
    } catch (error) {
      await this.finishWithError(record, (error as Error).message);
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- data and logs

  async getData(idOrName: string, kind: 'processed' | 'unprocessed'): Promise<string> {
    if (!this.deps.settings.storeData) {
      throw new AppError(
        'ERR_DATA_NOT_STORED',
        'Inspector is not configured to store data. Set [processing] store_data to database',
      );
    }
    const node = this.deps.nodes.get(idOrName);
    const uuid = node?.uuid ?? idOrName.toLowerCase();
    if (!node && !this.record(uuid)) {
      throw new AppError('ERR_INTROSPECTION_NOT_FOUND', `Could not find node ${idOrName} in cache`);
    }
    const stored = await this.deps.blobs.getData(uuid, kind);
    if (stored === null) {
      throw new AppError('ERR_DATA_NOT_STORED', `No ${kind} introspection data is stored for node ${uuid}`);
    }
    return stored;
  }

  private async storeLogs(
    logs: string | null,
    data: IntrospectionData,
    uuid: string | null,
    failed: boolean,
  ): Promise<void> {
    const { ramdiskLogsDir, alwaysStoreRamdiskLogs, ramdiskLogsFilenameFormat } = this.deps.settings;
    if (logs === null || ramdiskLogsDir === null || (!failed && !alwaysStoreRamdiskLogs)) return;
    const inventory = (data.inventory ?? {}) as Record<string, unknown>;
    const mac = typeof data.boot_interface === 'string' ? data.boot_interface : null;
    const bmc =
      typeof inventory.bmc_address === 'string'
        ? inventory.bmc_address
        : (data.ipmi_address as string | undefined);
    const filename = formatLogsFilename(ramdiskLogsFilenameFormat, {
      uuid: uuid ?? 'unknown',
      mac: mac ? mac.replace(/^01-/, '').replace(/[-:]/g, '').toLowerCase() : 'unknown',
      bmc: bmc ?? 'unknown',
      now: this.deps.clock.now(),
    });
    try {
      const path = await this.deps.blobs.putRamdiskLogs(
        ramdiskLogsDir,
        filename,
        Buffer.from(logs, 'base64'),
      );
      this.deps.events.emit({
        type: 'callback.logs',
        ...(uuid ? { node: uuid } : {}),
        message: `ramdisk logs stored in ${path}`,
      });
    } catch (error) {
      // Losing the logs does not fail the introspection, but the operator must see why (disk full).
      const code = isAppError(error) ? error.code : undefined;
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.log.error({ err: reason, code, node: uuid }, 'could not store ramdisk logs');
      this.deps.events.emit({
        type: 'callback.logs',
        level: 'error',
        ...(uuid ? { node: uuid } : {}),
        message: `ramdisk logs were not stored: ${reason}`,
        ...(code ? { data: { code } } : {}),
      });
    }
  }
}

/** Python-style `{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz` formatting for ramdisk log file names. */
export function formatLogsFilename(
  format: string,
  values: { uuid: string; mac: string; bmc: string; now: number },
): string {
  const d = new Date(values.now);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const strftime = (spec: string): string =>
    spec.replace(/%([YmdHMSf%])/g, (_, c: string) => {
      switch (c) {
        case 'Y':
          return String(d.getUTCFullYear());
        case 'm':
          return pad(d.getUTCMonth() + 1);
        case 'd':
          return pad(d.getUTCDate());
        case 'H':
          return pad(d.getUTCHours());
        case 'M':
          return pad(d.getUTCMinutes());
        case 'S':
          return pad(d.getUTCSeconds());
        case 'f':
          return pad(d.getUTCMilliseconds() * 1000, 6);
        default:
          return '%';
      }
    });
  const out = format.replace(/\{(uuid|mac|bmc|dt)(?::([^}]*))?\}/g, (_, key: string, spec?: string) => {
    if (key === 'dt') return strftime(spec ?? '%Y-%m-%d %H:%M:%S.%f');
    return values[key as 'uuid' | 'mac' | 'bmc'];
  });
  return out.replace(/[/\\]/g, '_');
}
