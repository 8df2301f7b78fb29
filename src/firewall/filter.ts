// The PxeFilter port on nftables: keeps `table inet <name>` in step with the policy core computes,
// re-applies only on change, heals itself after a failed sync or a vanished table, and turns the
// knocks set into "MAC X tried N times and was refused" events. Plus the noop driver.
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { AppError, isAppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { filterVerdict, type FilterPolicy, type FilterStatus, type PxeFilter } from '../core/pxe-filter.js';
import { Nft, defaultNftOptions } from './nft.js';
import {
  closedPolicy,
  defaultRulesetOptions,
  isComplete,
  parseCounters,
  parseKnocks,
  policyKey,
  startBatch,
  stopBatch,
  updateBatch,
  wantedSets,
  type Knock,
  type RulesetOptions,
  type WantedSets,
} from './ruleset.js';

export interface NftablesPxeFilterOptions extends RulesetOptions {
  /** nft binary (used only when deps.nft is not given). */
  nftPath: string;
}

export const defaultNftablesPxeFilterOptions: Omit<NftablesPxeFilterOptions, 'interface'> = {
  ...defaultRulesetOptions,
  nftPath: defaultNftOptions.nftPath,
};

export interface NftablesPxeFilterDeps {
  log: Logger;
  events: EventSink;
  clock: Clock;
  /** The nft wrapper; built from options.nftPath when absent. */
  nft?: Nft;
  options: Partial<NftablesPxeFilterOptions> & { interface: string };
}

export interface NftablesFilterStatus extends FilterStatus {
  driver: 'nftables';
  table: string;
  interface: string;
  /** MACs currently in the allowed / denied sets as last applied. */
  allowed: number;
  denied: number;
  unknown: 'allow' | 'deny';
  /** Named rule counters (packets/bytes) as last read: confined, relayed, allowed, denied,
   *  unknown_allowed, unknown_refused. */
  counters?: Record<string, { packets: number; bytes: number }>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class NftablesPxeFilter implements PxeFilter {
  private readonly log: Logger;
  private readonly events: EventSink;
  private readonly clock: Clock;
  private readonly nft: Nft;
  readonly options: NftablesPxeFilterOptions;

  private policy: FilterPolicy = closedPolicy;
  /** policyKey of what the kernel holds; undefined = unknown, re-apply in full. */
  private appliedKey: string | undefined;
  /** Set after any failure: the next sync rebuilds the whole table instead of updating it. */
  private needsRebuild = true;
  private stopped = false;
  private healthy = false;
  private lastSyncAt: string | undefined;
  private lastError: string | undefined;
  private applied = { allowed: 0, denied: 0 };
  private knocks: Knock[] = [];
  private counters: Record<string, { packets: number; bytes: number }> | undefined;
  /** Knock counts already reported as events, per MAC. */
  private readonly reported = new Map<string, number>();
  /** Serialises kernel access: sync() may be called from several triggers at once. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deps: NftablesPxeFilterDeps) {
    this.log = deps.log;
    this.events = deps.events;
    this.clock = deps.clock;
    this.options = { ...defaultNftablesPxeFilterOptions, ...deps.options };
    if (!this.options.interface) {
      throw new AppError(
        'ERR_CONFIG_INVALID',
        '[pxe_filter] interface must name the provisioning interface when driver = nftables',
      );
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(this.options.table)) {
      throw new AppError(
        'ERR_CONFIG_INVALID',
        `[pxe_filter] table: invalid nftables table name ${this.options.table}`,
      );
    }
    this.nft = deps.nft ?? new Nft({ log: this.log, options: { nftPath: this.options.nftPath } });
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Create our table (replacing a stale one atomically) with the current policy, closed by default. */
  start(): Promise<void> {
    return this.serialise(async () => {
      this.stopped = false;
      const { table } = this.options;
      try {
        const stale = await this.nft.list(table);
        if (stale) this.log.warn({ table }, 'replacing a stale nftables table left by a previous run');
        await this.applyFull(this.policy);
      } catch (error) {
        this.fail(error);
        throw error;
      }
      this.healthy = true;
      this.lastError = undefined;
      this.lastSyncAt = new Date(this.clock.now()).toISOString();
      this.events.emit({
        type: 'filter.sync',
        level: 'info',
        message: `PXE filter table inet ${table} created on ${this.options.interface}: ${this.describe()}`,
        data: { table, interface: this.options.interface, ...this.applied },
      });
    });
  }

  sync(policy: FilterPolicy): Promise<void> {
    return this.serialise(() => this.syncNow(policy));
  }

  private async syncNow(policy: FilterPolicy): Promise<void> {
    if (this.stopped) return;
    this.policy = policy;
    const key = policyKey(policy);
    const recovering = !this.healthy;
    try {
      let listing = undefined;
      let appliedNow = false;
      if (this.needsRebuild) {
        await this.applyFull(policy);
        appliedNow = true;
      } else if (key !== this.appliedKey) {
        try {
          const wanted = wantedSets(policy, this.clock.now());
          await this.nft.apply(updateBatch(wanted, this.options));
          this.remember(policy, wanted, key);
        } catch (error) {
          if (isAppError(error) && error.code !== 'ERR_FIREWALL_NFT_FAILED') throw error;
          // The table may have been changed under us; a full rebuild is one transaction too.
          this.log.warn({ err: message(error) }, 'nft update failed, rebuilding the table');
          await this.applyFull(policy);
        }
        appliedNow = true;
      } else {
        // Unchanged: only check that nobody removed our table (e.g. `nft flush ruleset`).
        listing = await this.nft.list(this.options.table);
        if (!isComplete(listing)) {
          this.log.warn(
            { table: this.options.table },
            'nftables table vanished or was altered, re-creating it',
          );
          this.events.emit({
            type: 'filter.error',
            level: 'warn',
            message: `PXE filter table inet ${this.options.table} vanished or was altered outside inspectord; re-created`,
          });
          await this.applyFull(policy);
          appliedNow = true;
          listing = undefined;
        }
      }
      this.healthy = true;
      this.lastError = undefined;
      this.lastSyncAt = new Date(this.clock.now()).toISOString();
      if (appliedNow || recovering) {
        this.events.emit({
          type: 'filter.sync',
          level: 'info',
          message: `PXE filter ${recovering ? 'recovered and ' : ''}applied: ${this.describe()}`,
          data: { ...this.applied, unknown: policy.unknown, recovered: recovering },
        });
      }
      this.absorbListing(listing ?? (await this.nft.list(this.options.table)));
    } catch (error) {
      this.fail(error);
    }
  }

  private async applyFull(policy: FilterPolicy): Promise<void> {
    this.needsRebuild = true;
    const wanted = wantedSets(policy, this.clock.now());
    await this.nft.apply(startBatch(wanted, this.options));
    this.needsRebuild = false;
    // A rebuilt table has an empty knocks set: report its MACs afresh.
    this.reported.clear();
    this.remember(policy, wanted, policyKey(policy));
  }

  /** Record what the kernel now holds: `wanted` and `key` are what was just applied for `policy`. */
  private remember(policy: FilterPolicy, wanted: WantedSets, key: string): void {
    if (wanted.invalid.length > 0) {
      this.log.warn({ invalid: wanted.invalid }, 'PXE filter policy holds invalid MAC addresses; left out');
    }
    this.appliedKey = key;
    this.applied = { allowed: wanted.allowed.length, denied: wanted.denied.length };
    this.policy = policy;
  }

  private describe(): string {
    const { allowed, denied } = this.applied;
    const unknown =
      this.policy.unknown === 'allow'
        ? 'unknown MACs allowed'
        : allowed === 0
          ? 'DHCP closed'
          : 'unknown MACs refused';
    return `${allowed} MAC(s) allowed, ${denied} denied, ${unknown}`;
  }

  private fail(error: unknown): void {
    const text = message(error);
    const changed = this.healthy || text !== this.lastError;
    this.healthy = false;
    this.needsRebuild = true;
    this.appliedKey = undefined;
    this.lastError = text;
    this.log.error({ err: text, code: isAppError(error) ? error.code : undefined }, 'PXE filter sync failed');
    // Emit on a change of state or reason, not on every retry of the same failure.
    if (changed) {
      this.events.emit({
        type: 'filter.error',
        level: 'error',
        message: `PXE filter could not be applied (will retry on the next sync): ${text}`,
        data: { code: isAppError(error) ? error.code : undefined },
      });
    }
  }

  /** Read the knocks set and counters back from the kernel now (also done by every sync). */
  readKnocks(): Promise<Knock[]> {
    return this.serialise(async () => {
      const listing = await this.nft.list(this.options.table);
      this.absorbListing(listing);
      return this.knocks;
    });
  }

  private absorbListing(listing: Awaited<ReturnType<Nft['list']>>): void {
    if (!listing) return;
    const now = this.clock.now();
    this.knocks = parseKnocks(listing, this.options.knockTimeoutSec, now);
    this.counters = parseCounters(listing);
    const seen = new Set<string>();
    for (const knock of this.knocks) {
      seen.add(knock.mac);
      const before = this.reported.get(knock.mac) ?? 0;
      // A lower count means the element expired and came back: everything is new again.
      const fresh = knock.count < before ? knock.count : knock.count - before;
      this.reported.set(knock.mac, knock.count);
      if (fresh <= 0) continue;
      const verdict = filterVerdict(this.policy, knock.mac, now);
      const reason = verdict.allowed ? 'refused earlier; it is allowed now' : verdict.reason;
      this.events.emit({
        type: 'filter.knock',
        mac: knock.mac,
        ...(verdict.node ? { node: verdict.node } : {}),
        level: 'warn',
        message: `MAC ${knock.mac} tried ${knock.count} time(s) and was refused by the PXE filter: ${reason}`,
        data: { count: knock.count, new: fresh, lastSeen: knock.lastSeen },
      });
    }
    for (const mac of [...this.reported.keys()]) if (!seen.has(mac)) this.reported.delete(mac);
  }

  stop(): Promise<void> {
    return this.serialise(async () => {
      this.stopped = true;
      await this.nft.apply(stopBatch(this.options));
      this.healthy = false;
      this.appliedKey = undefined;
      this.needsRebuild = true;
      this.log.info({ table: this.options.table }, 'PXE filter table removed');
    });
  }

  status(): NftablesFilterStatus {
    return {
      driver: 'nftables',
      healthy: this.healthy,
      ...(this.lastSyncAt ? { lastSyncAt: this.lastSyncAt } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      knocks: this.knocks.map((k) => ({ ...k })),
      table: this.options.table,
      interface: this.options.interface,
      allowed: this.applied.allowed,
      denied: this.applied.denied,
      unknown: this.policy.unknown,
      ...(this.counters ? { counters: { ...this.counters } } : {}),
    };
  }
}

/** `[pxe_filter] driver = noop`: another component owns DHCP gating; nothing is enforced here. */
export class NoopPxeFilter implements PxeFilter {
  private lastSyncAt: string | undefined;
  constructor(private readonly deps: { clock: Clock } = { clock: { now: () => Date.now() } }) {}
  async start(): Promise<void> {}
  async sync(_policy: FilterPolicy): Promise<void> {
    this.lastSyncAt = new Date(this.deps.clock.now()).toISOString();
  }
  async stop(): Promise<void> {}
  status(): FilterStatus {
    return { driver: 'noop', healthy: true, ...(this.lastSyncAt ? { lastSyncAt: this.lastSyncAt } : {}) };
  }
}
