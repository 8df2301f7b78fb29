// Network-boot glue of `inspectord serve`: one PXE filter policy computed from the store, enforced
// twice (nftables in the kernel, the DHCP decision hook in user space), the DHCP/TFTP servers and
// HTTP boot routes, boot configs rendered per MAC, and every boot fact linked to its node.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { AppError } from './core/errors.js';
import type { EventInput, EventSink } from './core/events.js';
import type { NewNode, NewPort, NodeRepository } from './core/node-repository.js';
import { normalizeMac, type NodeRecord, type PortRecord } from './core/node.js';
import type { PatchOperation } from './core/json-patch.js';
import { filterVerdict, type FilterPolicy, type FilterStatus, type PxeFilter } from './core/pxe-filter.js';
import type { StateStore } from './core/ports.js';
import { DhcpServer } from './dhcp/server.js';
import {
  DhcpResponder,
  type DecideFn,
  type Decision,
  type Lease,
  type LeaseStore,
  type ResponderOptions,
} from './dhcp/responder.js';
import type { ExplainSources } from './explain.js';
import { NftablesPxeFilter, NoopPxeFilter } from './firewall/filter.js';
import { policyKey } from './firewall/ruleset.js';
import type { Knock } from './firewall/ruleset.js';
import {
  loadBootTemplates,
  parseBootConfigPath,
  renderBootConfig,
  type BootConfigInput,
  type BootConfigKind,
  type BootTemplates,
} from './http-boot/boot-config.js';
import { registerHttpBoot, type BootFileResolver } from './http-boot/routes.js';
import { findBootLoaders } from './tftp/boot-files.js';
import { PathJail } from './tftp/jail.js';
import { TftpServer, type ResolvedContent } from './tftp/server.js';

// ---------------------------------------------------------------------------------------------
// Policy

/** What the policy needs from the introspection service (IntrospectionService.activeWindows). */
export interface WindowSource {
  activeWindows(): Array<{ uuid: string; macs: string[]; expiresAt?: number }>;
}

/**
 * The reference's gating semantics (ironic-inspector §7): MACs of nodes under introspection are
 * allowed until their window ends (started_at + timeout); ports of every other enrolled node are
 * denied; unknown MACs are allowed while discovery is on, or while a node with no known MAC (enrolled
 * by BMC address only) is under introspection — never with deny_unknown_macs.
 */
export function buildFilterPolicy(input: {
  windows: ReturnType<WindowSource['activeWindows']>;
  ports: readonly PortRecord[];
  discovery: boolean;
  denyUnknownMacs: boolean;
}): FilterPolicy {
  const allow: FilterPolicy['allow'] = [];
  const allowed = new Set<string>();
  for (const window of input.windows) {
    for (const raw of window.macs) {
      const mac = normalizeMac(raw);
      if (mac === null || allowed.has(mac)) continue;
      allowed.add(mac);
      allow.push({
        mac,
        node: window.uuid,
        ...(window.expiresAt !== undefined ? { expiresAt: window.expiresAt } : {}),
      });
    }
  }
  const deny = [...new Set(input.ports.map((p) => p.address))].filter((mac) => !allowed.has(mac)).sort();
  allow.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  // A node enrolled by BMC address only (no known MAC, the reference's recommended enrolment) can
  // only boot if unknown MACs may DHCP while it is under introspection: the reference's "DHCP is
  // open while an introspection is active" (§7), kept for exactly that case.
  const macless = input.windows.filter((w) => w.macs.length === 0).map((w) => w.uuid);
  if (input.denyUnknownMacs) return { allow, deny, unknown: 'deny' };
  if (input.discovery) return { allow, deny, unknown: 'allow' };
  if (macless.length > 0) {
    return {
      allow,
      deny,
      unknown: 'allow',
      unknownReason: `unknown MAC allowed: node ${macless.join(', ')} is under introspection with no known MAC`,
    };
  }
  return { allow, deny, unknown: 'deny' };
}

/**
 * The DHCP decision hook on the same policy as the nftables filter. Needed even with the kernel
 * filter: a relayed packet's L2 source is the relay agent (RFC 3046), so nft lets relayed DHCP
 * through and this hook gates it on chaddr. With `driver = noop` it is the only gate.
 */
export function createDecide(deps: {
  policy: () => FilterPolicy;
  nodeOf: (mac: string) => string | undefined;
  clock: Clock;
}): DecideFn {
  return (ctx): Decision => {
    const verdict = filterVerdict(deps.policy(), ctx.mac, deps.clock.now());
    const node = verdict.node ?? deps.nodeOf(ctx.mac);
    const via = ctx.relayed ? ` (relayed by ${ctx.giaddr}, gated on chaddr)` : '';
    if (!verdict.allowed) {
      return { action: 'ignore', reason: `${verdict.reason}${via}`, ...(node ? { node } : {}) };
    }
    return { action: 'serve', ...(node ? { node } : {}) };
  };
}

// ---------------------------------------------------------------------------------------------
// Node changes → filter sync

/**
 * A NodeRepository that reports every change of the set of port addresses (enrolment, deletion,
 * ports added or removed by the pipeline), so the PXE filter follows them without waiting for the
 * next period. Node and port field updates are not reported: the policy reads only port addresses,
 * and every callback makes several such updates.
 */
export class NotifyingNodeRepository implements NodeRepository {
  private readonly listeners: Array<() => void> = [];
  constructor(private readonly inner: NodeRepository) {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private async changed<T>(result: Promise<T>): Promise<T> {
    const value = await result;
    for (const listener of this.listeners) listener();
    return value;
  }

  get(idOrName: string): NodeRecord | undefined {
    return this.inner.get(idOrName);
  }
  require(idOrName: string): NodeRecord {
    return this.inner.require(idOrName);
  }
  list(): NodeRecord[] {
    return this.inner.list();
  }
  create(input: NewNode, options?: { ports?: NewPort[] }): Promise<NodeRecord> {
    return this.changed(this.inner.create(input, options));
  }
  patch(uuid: string, operations: PatchOperation[]): Promise<NodeRecord> {
    return this.inner.patch(uuid, operations);
  }
  update(
    uuid: string,
    mutate: (node: NodeRecord) => void,
    options?: { durable?: boolean },
  ): Promise<NodeRecord> {
    return this.inner.update(uuid, mutate, options);
  }
  delete(uuid: string): Promise<void> {
    return this.changed(this.inner.delete(uuid));
  }
  listPorts(nodeUuid?: string): PortRecord[] {
    return this.inner.listPorts(nodeUuid);
  }
  portByAddress(mac: string): PortRecord | undefined {
    return this.inner.portByAddress(mac);
  }
  createPort(nodeUuid: string, input: NewPort): Promise<PortRecord> {
    return this.changed(this.inner.createPort(nodeUuid, input));
  }
  updatePort(uuid: string, mutate: (port: PortRecord) => void): Promise<PortRecord> {
    // A port keeps its address (LocalNodeRepository.updatePort), the only field the policy reads.
    return this.inner.updatePort(uuid, mutate);
  }
  deletePort(uuid: string): Promise<void> {
    return this.changed(this.inner.deletePort(uuid));
  }
}

// ---------------------------------------------------------------------------------------------
// Boot timeline: link every boot fact to its MAC and node

/**
 * Wraps the event log for the boot subsystems: fills `mac` from the client address (DHCP leases)
 * or from a per-MAC file name, and `node` from the node repository's ports, so that
 * `GET /v1/events?node=<uuid>` shows the whole boot. One event in, one event out (TFTP already
 * emits one event per transfer, never per block).
 */
export class LinkingEventSink implements EventSink {
  constructor(
    private readonly inner: EventSink,
    private readonly deps: {
      nodeOf: (mac: string) => string | undefined;
      macOfAddress: (address: string) => string | undefined;
    },
  ) {}

  emit(event: EventInput): void {
    try {
      let mac = event.mac;
      const data = event.data;
      if (mac === undefined && data) {
        const file = typeof data.file === 'string' ? data.file : undefined;
        const parsed = file ? parseBootConfigPath(file.replace(/^ipxe\//, '')) : null;
        const ipxe = file ? /^ipxe\/(.+)\.ipxe$/.exec(file) : null;
        if (parsed) mac = parsed.mac;
        else if (ipxe?.[1]) mac = normalizeMac(ipxe[1]) ?? undefined;
        const client = data.client as { address?: unknown } | undefined;
        if (mac === undefined && typeof client?.address === 'string') {
          mac = this.deps.macOfAddress(client.address.replace(/^::ffff:/, ''));
        }
      }
      const node = event.node ?? (mac ? this.deps.nodeOf(mac) : undefined);
      this.inner.emit({ ...event, ...(mac ? { mac } : {}), ...(node ? { node } : {}) });
    } catch {
      this.inner.emit(event);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Boot configs

/** Hook for per-node callback tokens: fills the template's `token` parameter (default: none). */
export type TokenFor = (node: NodeRecord | undefined, mac: string | undefined) => string | undefined;

export interface BootRendererOptions {
  /** Base URL nodes reach us at, e.g. `http://198.18.0.1:5050` (no trailing slash). */
  baseUrl: string;
  kernel: string;
  initramfs: string;
  kernelParams: readonly string[];
  console: string;
  collectors: string;
}

/** Renders pxelinux / GRUB / iPXE configs for one MAC (or the MAC-less defaults). */
export class BootRenderer {
  constructor(
    private readonly templates: BootTemplates,
    private readonly options: BootRendererOptions,
    private readonly deps: { nodes: NodeRepository; tokenFor: TokenFor },
  ) {}

  get callbackUrl(): string {
    return `${this.options.baseUrl}/v1/continue`;
  }

  /**
   * `override.token` replaces the minted callback token (explain shows a placeholder and must not
   * mint one); without `override` the TokenFor hook runs.
   */
  render(kind: BootConfigKind, mac: string | undefined, override?: { token: string | undefined }): string {
    const node = mac ? this.nodeOf(mac) : undefined;
    const token = override ? override.token : this.deps.tokenFor(node, mac);
    const o = this.options;
    const files = {
      // pxelinux resolves relative names against its own TFTP directory (the root).
      pxelinux: { kernel: o.kernel, initramfs: o.initramfs },
      // GRUB's $root is the TFTP server it was loaded from.
      grub: { kernel: `($root)/${o.kernel}`, initramfs: `($root)/${o.initramfs}` },
      // iPXE fetches the big files over HTTP (faster than TFTP, Range-capable).
      ipxe: {
        kernel: `${o.baseUrl}/boot/files/${o.kernel}`,
        initramfs: `${o.baseUrl}/boot/files/${o.initramfs}`,
      },
    }[kind];
    const input: BootConfigInput = {
      ...files,
      callbackUrl: this.callbackUrl,
      extraKernelArgs: o.kernelParams,
      console: o.console,
      collectors: o.collectors,
      ...(token !== undefined ? { token } : {}),
      ...(mac ? { mac } : {}),
    };
    return renderBootConfig(kind, this.templates, input);
  }

  private nodeOf(mac: string): NodeRecord | undefined {
    const port = this.deps.nodes.portByAddress(mac);
    return port ? this.deps.nodes.get(port.node_uuid) : undefined;
  }
}

/** GRUB network images: not in tftp/boot-files.ts (GRUB is the UEFI default of [dhcp] boot_file_map). */
const grubLoaders: Record<string, string> = {
  'grubx64.efi': '/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed',
  'grubaa64.efi': '/usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed',
};

/**
 * Boot files: the jailed root first, then (optionally) the loaders of Debian's packages. The system
 * paths come from our own table, never from the peer, so they are trusted as they are.
 */
export class BootFiles implements BootFileResolver {
  readonly jail: PathJail;
  private loaders: Promise<Record<string, string | null>> | null = null;

  constructor(
    readonly root: string,
    private readonly systemLoaders: boolean,
  ) {
    this.jail = new PathJail(root);
  }

  private systemPaths(): Promise<Record<string, string | null>> {
    this.loaders ??= findBootLoaders().then((found) => ({ ...grubLoaders, ...found }));
    return this.loaders;
  }

  /** A loader path when `relative` names one, the root does not hold it and the package is installed. */
  async systemLoader(relative: string): Promise<string | null> {
    if (!this.systemLoaders) return null;
    const name = relative.replace(/^\/+/, '');
    const candidate = (await this.systemPaths())[name];
    if (!candidate) return null;
    const own = await this.jail.resolve(name);
    if (own.ok) return null;
    return stat(candidate).then(
      (s) => (s.isFile() ? candidate : null),
      () => null,
    );
  }

  async resolve(
    requested: string,
  ): Promise<{ ok: true; path: string; relative: string; size: number } | { ok: false; reason: string }> {
    const own = await this.jail.resolve(requested);
    if (own.ok || own.reason !== 'not-found') return own;
    const loader = await this.systemLoader(requested);
    if (!loader) return own;
    const info = await stat(loader);
    return { ok: true, path: loader, relative: requested.replace(/^\/+/, ''), size: info.size };
  }
}

/**
 * TFTP resolver: generated pxelinux/GRUB configs, then system loaders; `null` → the jailed root.
 * `durable` (the state store's flush) runs before a config leaves: the callback token it carries
 * must survive a crash between this answer and the ramdisk's callback.
 */
export function createTftpResolver(
  renderer: BootRenderer,
  files: BootFiles,
  durable: () => Promise<void> = () => Promise.resolve(),
): (path: string) => Promise<ResolvedContent | null> {
  const config = async (text: string): Promise<ResolvedContent> => {
    await durable().catch(() => undefined); // a failed write is logged by the store; serve anyway
    return { kind: 'buffer', data: Buffer.from(text) };
  };
  return async (path) => {
    const perMac = parseBootConfigPath(path);
    if (perMac) return config(renderer.render(perMac.kind, perMac.mac));
    if (path === 'pxelinux.cfg/default') return config(renderer.render('pxelinux', undefined));
    if (path === 'grub.cfg' || path === 'grub/grub.cfg') return config(renderer.render('grub', undefined));
    const loader = await files.systemLoader(path);
    return loader ? { kind: 'file', path: loader } : null;
  };
}

// ---------------------------------------------------------------------------------------------
// Leases in the state document

export function stateLeaseStore(store: StateStore): LeaseStore {
  return {
    load: () => store.doc.leases as Lease[],
    save: async (leases) => {
      store.doc.leases = leases;
      // Durable: the DHCP server holds an ACK until its binding is saved (RFC 2131 §1.6).
      await store.changed({ durable: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Options from the config

function subnetAround(address: string): string {
  const parts = address.split('.');
  return `${parts.slice(0, 3).join('.')}.0/24`;
}

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const isIpv4 = (value: string): boolean =>
  ipv4.test(value) && value.split('.').every((part) => Number(part) <= 255);

/** The [dhcp] section as DHCP server options; every problem at once, as ERR_CONFIG_INVALID. */
export function dhcpOptions(config: Config): ResponderOptions & {
  listenAddress: string;
  proxyPort: number;
  leaseSaveDelayMs: number;
} {
  const d = config.dhcp;
  const problems: string[] = [];
  if (!isIpv4(d.interface_address)) {
    problems.push(`[dhcp] interface_address must be our IPv4 address on the provisioning network`);
  }
  if (d.mode === 'full' && (!isIpv4(d.range_start) || !isIpv4(d.range_end))) {
    problems.push('[dhcp] range_start and range_end are required IPv4 addresses in full mode');
  }
  const archMap: Record<number, string> = {};
  for (const entry of d.boot_file_map) {
    const m = /^\s*(\d+)\s*=\s*(\S*)\s*$/.exec(entry);
    if (!m?.[1]) problems.push(`[dhcp] boot_file_map: "${entry}" is not arch=file`);
    else archMap[Number(m[1])] = m[2] ?? '';
  }
  if (problems.length > 0) throw new AppError('ERR_CONFIG_INVALID', problems.join('; '));
  return {
    serverAddress: d.interface_address,
    subnets: [
      {
        cidr: d.subnet || subnetAround(d.interface_address),
        ...(d.mode === 'full' ? { rangeStart: d.range_start, rangeEnd: d.range_end } : {}),
        leaseTime: d.lease_time,
        ...(d.router ? { router: d.router } : {}),
        ...(d.dns_servers.length > 0 ? { dnsServers: [...d.dns_servers] } : {}),
        ...(d.domain_name ? { domainName: d.domain_name } : {}),
      },
    ],
    mode: d.mode as 'full' | 'proxy',
    authoritative: d.authoritative,
    offerTtl: d.offer_ttl,
    declineQuarantine: d.decline_quarantine,
    boot: {
      archMap,
      ipxeScriptUrl: d.ipxe_script_url,
      httpPort: config.DEFAULT.listen_port,
      sendIpxeNoPxedhcp: d.ipxe_no_pxedhcp,
    },
    listenAddress: d.listen_address,
    proxyPort: d.proxy_port,
    leaseSaveDelayMs: d.lease_save_delay,
  };
}

/**
 * [dhcp] options a reload applies to the running server (DhcpServer.reconfigure: reply contents
 * only). The rest of [dhcp] needs a socket rebind or is the server's identity (enabled, mode,
 * interface_address, listen_address, proxy_port) or is read once (lease_save_delay): restart.
 */
export const LIVE_DHCP_OPTIONS = [
  'subnet',
  'range_start',
  'range_end',
  'router',
  'dns_servers',
  'domain_name',
  'lease_time',
  'authoritative',
  'offer_ttl',
  'decline_quarantine',
  'boot_file_map',
  'ipxe_script_url',
  'ipxe_no_pxedhcp',
] as const satisfies ReadonlyArray<keyof Config['dhcp']>;

/** `section.option` names of LIVE_DHCP_OPTIONS, for the daemon's reload plan. */
export const LIVE_NETBOOT_OPTIONS: readonly string[] = LIVE_DHCP_OPTIONS.map((name) => `dhcp.${name}`);

/** The running config with the live [dhcp] options of `next` (restart-only ones stay as running). */
export function withLiveDhcp(running: Config, next: Config): Config {
  const dhcp: Record<string, unknown> = { ...running.dhcp };
  for (const name of LIVE_DHCP_OPTIONS) dhcp[name] = next.dhcp[name];
  return { ...running, dhcp: dhcp as Config['dhcp'] };
}

/** What Netboot.reload() did; `applied`/`errors` in the daemon's ReloadResult terms. */
export interface NetbootReload {
  applied: string[];
  errors: string[];
  /** Carried-over leases outside the new range (served until they end, not renewed). */
  outsideRange: string[];
}

/** Where booting nodes reach us: [http_boot] base_url, [DEFAULT] public_url, or the DHCP address. */
export function bootBaseUrl(config: Config): string {
  const explicit = config.http_boot.base_url || config.DEFAULT.public_url;
  if (explicit) return explicit.replace(/\/+$/, '');
  const listen = config.DEFAULT.listen_address;
  const host =
    config.dhcp.interface_address || (listen !== '0.0.0.0' && listen !== '::' ? listen : '127.0.0.1');
  return `http://${host}:${config.DEFAULT.listen_port}`;
}

export function bootRoot(config: Config): string {
  return config.tftp.root || join(config.DEFAULT.state_dir, 'tftp');
}

// ---------------------------------------------------------------------------------------------
// The composed appliance part

export interface NetbootDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  /** The event log (raw); boot subsystems get it wrapped in a LinkingEventSink. */
  events: EventSink;
  store: StateStore;
  nodes: NodeRepository;
  windows: WindowSource;
  discovery: () => boolean;
  /** Per-node callback token for the boot configs (default: none). */
  tokenFor?: TokenFor;
  /** Replaces the filter built from [pxe_filter] (tests). */
  filter?: PxeFilter;
}

export interface PxeFilterReport extends FilterStatus {
  /** The policy last computed (counts; the MAC lists are in the event log and the node API). */
  policy: { allowed: number; denied: number; unknown: 'allow' | 'deny' };
}

export class Netboot {
  readonly filter: PxeFilter;
  readonly events: LinkingEventSink;
  dhcp: DhcpServer | null = null;
  tftp: TftpServer | null = null;
  private renderer: BootRenderer | null = null;
  private files: BootFiles | null = null;
  private cached: FilterPolicy | null = null;
  private lastSyncedKey: string | undefined;
  /** The sync in progress (or the last one), never rejecting. */
  private running: Promise<void> = Promise.resolve();
  /** The sync not started yet, which new requests join. */
  private next: Promise<void> | null = null;
  private nextForced = false;
  private timer: NodeJS.Timeout | undefined;
  private started: Array<() => Promise<void>> = [];
  private closed = false;
  /** deps.config with the live [dhcp] options of the last reload (DHCP replies and explain). */
  private live: Config;

  constructor(private readonly deps: NetbootDeps) {
    const { config, log, clock } = deps;
    this.live = config;
    this.events = new LinkingEventSink(deps.events, {
      nodeOf: (mac) => this.nodeOf(mac),
      macOfAddress: (address) => this.macOfAddress(address),
    });
    if (deps.filter) this.filter = deps.filter;
    else if (config.pxe_filter.driver === 'nftables') {
      this.filter = new NftablesPxeFilter({
        log: log.child({ component: 'pxe-filter' }),
        events: this.events,
        clock,
        options: {
          interface: config.pxe_filter.interface,
          table: config.pxe_filter.table,
          nftPath: config.pxe_filter.nft_path,
          knockTimeoutSec: config.pxe_filter.knock_timeout,
        },
      });
    } else this.filter = new NoopPxeFilter({ clock });
  }

  private nodeOf(mac: string): string | undefined {
    const normal = normalizeMac(mac);
    if (normal === null) return undefined;
    return (
      this.deps.nodes.portByAddress(normal)?.node_uuid ??
      this.policy().allow.find((a) => a.mac === normal)?.node
    );
  }

  private macOfAddress(address: string): string | undefined {
    if (!this.dhcp) return undefined;
    let best: Lease | undefined;
    for (const lease of this.dhcp.leases()) {
      if (lease.address === address && lease.mac && (!best || lease.expiresAt > best.expiresAt)) best = lease;
    }
    return best?.mac;
  }

  /**
   * What explain (src/explain.ts) needs to answer "what would happen for this client" with the
   * same functions the real path uses: the decision hook, the live DHCP responder (or, with DHCP
   * off, a fresh one from [dhcp] for "what it would send"), the boot renderer.
   */
  explainSources(): ExplainSources {
    const { clock } = this.deps;
    const config = this.live;
    const decide = createDecide({ policy: () => this.policy(), nodeOf: (mac) => this.nodeOf(mac), clock });
    return {
      config,
      clock,
      policy: this.policy(),
      nodeOf: (mac) => this.nodeOf(mac),
      decide,
      dhcpRunning: this.dhcp !== null,
      responder: () => this.dhcp?.responder ?? new DhcpResponder(dhcpOptions(config), { clock, decide }),
      renderer: async () => (await this.bootContent()).renderer,
    };
  }

  /** The current policy (cached until something changes). */
  policy(): FilterPolicy {
    this.cached ??= buildFilterPolicy({
      windows: this.deps.windows.activeWindows(),
      ports: this.deps.nodes.listPorts(),
      discovery: this.deps.discovery(),
      denyUnknownMacs: this.deps.config.pxe_filter.deny_unknown_macs,
    });
    return this.cached;
  }

  /**
   * Something the policy depends on changed (introspection, ports, discovery): re-sync. The policy
   * itself is rebuilt only when read (the DHCP hook, explain, the next sync), so it is always
   * current; the noop driver ignores it, so there is nothing to sync.
   */
  policyChanged(): Promise<void> {
    this.cached = null;
    if (this.filter instanceof NoopPxeFilter) return Promise.resolve();
    return this.requestSync(false);
  }

  /**
   * Coalesced sync: requests made before the next one starts join it, one tick late so that a
   * burst of changes (one callback's store writes) costs one policy build. A change-triggered
   * sync touches the filter only when the policy differs from the last one applied (or the last
   * sync failed); a forced one (start, the period) always runs, which re-checks the table, reads
   * the knocks and retries after a failure.
   */
  requestSync(force: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.nextForced ||= force;
    if (this.next) return this.next;
    const next = this.running.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.next = null;
      const forced = this.nextForced;
      this.nextForced = false;
      if (!this.closed) await this.syncOnce(forced);
    });
    this.next = next;
    this.running = next.catch(() => undefined);
    return next;
  }

  private async syncOnce(force: boolean): Promise<void> {
    if (force) this.cached = null;
    const policy = this.policy();
    const key = policyKey(policy);
    if (!force && key === this.lastSyncedKey && this.filter.status().healthy) return;
    await this.filter.sync(policy); // never throws: failures land in status() and are retried
    this.lastSyncedKey = this.filter.status().healthy ? key : undefined;
  }

  /** Filter status for the API, with fresh knocks from the kernel when the driver has them. */
  async filterReport(): Promise<PxeFilterReport> {
    const filter = this.filter as PxeFilter & { readKnocks?: () => Promise<Knock[]> };
    if (filter.readKnocks && filter.status().healthy) {
      await filter.readKnocks().catch((error: unknown) => {
        this.deps.log.warn({ err: String(error) }, 'reading the PXE filter knocks failed');
      });
    }
    const policy = this.policy();
    return {
      ...this.filter.status(),
      policy: { allowed: policy.allow.length, denied: policy.deny.length, unknown: policy.unknown },
    };
  }

  /** Routes on the API's fastify app (before it listens): HTTP boot and GET /v1/pxe-filter. */
  async register(app: FastifyInstance): Promise<void> {
    const { config, log } = this.deps;
    app.get('/v1/pxe-filter', async () => this.filterReport());
    if (!config.http_boot.enabled && !config.tftp.enabled) return;
    const { renderer, files } = await this.bootContent();
    if (config.http_boot.enabled) {
      registerHttpBoot(app, {
        files,
        renderIpxe: async (mac) => {
          const text = renderer.render('ipxe', mac);
          // The callback token in the script must be on disk before the script leaves (as TFTP).
          await this.deps.store.flush().catch(() => undefined);
          return text;
        },
        events: this.events,
        log: log.child({ component: 'http-boot' }),
        clock: this.deps.clock,
      });
    }
  }

  private async bootContent(): Promise<{ renderer: BootRenderer; files: BootFiles }> {
    if (this.renderer && this.files) return { renderer: this.renderer, files: this.files };
    const { config } = this.deps;
    const h = config.http_boot;
    const templates = await loadBootTemplates(...(h.template_dir ? [h.template_dir] : []));
    this.renderer = new BootRenderer(
      templates,
      {
        baseUrl: bootBaseUrl(config),
        kernel: h.kernel,
        initramfs: h.initramfs,
        kernelParams: h.kernel_params,
        console: h.console,
        collectors: h.collectors,
      },
      { nodes: this.deps.nodes, tokenFor: this.deps.tokenFor ?? (() => undefined) },
    );
    // Validate the operator's values now, not at the first boot.
    this.renderer.render('pxelinux', undefined);
    this.files = new BootFiles(bootRoot(config), config.tftp.system_loaders);
    return { renderer: this.renderer, files: this.files };
  }

  /**
   * Start in dependency order: filter (so nothing is open before it exists) → first sync → DHCP →
   * TFTP. On failure everything already started is stopped again (the nft table is removed).
   */
  async start(): Promise<void> {
    const { config, log, clock } = this.deps;
    try {
      await this.filter.start();
      this.started.push(() => this.filter.stop());
      await this.requestSync(true);
      if (config.dhcp.enabled) {
        const options = dhcpOptions(config);
        this.dhcp = new DhcpServer(options, {
          log: log.child({ component: 'dhcp' }),
          events: this.events,
          clock,
          leaseStore: stateLeaseStore(this.deps.store),
          decide: createDecide({ policy: () => this.policy(), nodeOf: (mac) => this.nodeOf(mac), clock }),
        });
        await this.dhcp.start();
        const dhcp = this.dhcp;
        this.started.push(() => dhcp.stop());
      }
      if (config.tftp.enabled) {
        const { renderer, files } = await this.bootContent();
        await mkdir(files.root, { recursive: true });
        const t = config.tftp;
        this.tftp = new TftpServer({
          options: {
            root: files.root,
            address: t.listen_address,
            port: t.port,
            maxBlksize: t.max_blksize,
            maxWindowsize: t.max_windowsize,
            maxTransfers: t.max_transfers,
            maxTransfersPerClient: t.max_transfers_per_client,
          },
          log: log.child({ component: 'tftp' }),
          events: this.events,
          clock,
          resolve: createTftpResolver(renderer, files, () => this.deps.store.flush()),
        });
        await this.tftp.start();
        const tftp = this.tftp;
        this.started.push(() => tftp.stop());
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    const period = config.pxe_filter.sync_period;
    if (period > 0) {
      this.timer = setInterval(() => void this.requestSync(true), period * 1000);
      this.timer.unref();
    }
  }

  /**
   * SIGHUP: apply the changed live [dhcp] options (LIVE_DHCP_OPTIONS) to the running DHCP server,
   * sockets untouched. Invalid values keep the running ones and come back in `errors`. With DHCP
   * off they still become what explain shows ("what it would send").
   */
  reload(next: Config): NetbootReload {
    const candidate = withLiveDhcp(this.deps.config, next);
    const changed = LIVE_DHCP_OPTIONS.filter(
      (name) => JSON.stringify(candidate.dhcp[name]) !== JSON.stringify(this.live.dhcp[name]),
    ).map((name) => `dhcp.${name}`);
    const result: NetbootReload = { applied: [], errors: [], outsideRange: [] };
    if (changed.length === 0) return result;
    if (this.dhcp) {
      try {
        // Built and checked before the swap: a bad range throws here and nothing changes.
        result.outsideRange = this.dhcp.reconfigure(dhcpOptions(candidate)).outsideRange;
      } catch (error) {
        result.errors.push(`[dhcp] ${(error as Error).message}; the running DHCP options stay`);
        return result;
      }
    }
    this.live = candidate;
    result.applied = changed;
    return result;
  }

  /** Reverse order of start: TFTP, DHCP, then the filter (its table is deleted). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    for (const stop of this.started.reverse()) {
      try {
        await stop();
      } catch (error) {
        this.deps.log.error({ err: String(error) }, 'netboot: error while stopping');
      }
    }
    this.started = [];
  }
}
