// The DHCP server state machine (RFC 2131 §4.3), pure: a decoded request plus the clock in, the
// reply bytes with their destination, one timeline event and a stats key out. Holds the leases
// and offers in memory; the server persists leases through a LeaseStore.
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventInput } from '../core/events.js';
import {
  MessageType,
  Opt,
  decode,
  encode,
  getClientId,
  getHostname,
  getMaxMessageSize,
  getParameterList,
  getRequestedAddress,
  getServerId,
  intToIp,
  ipToInt,
  macOf,
  messageTypeName,
  getMessageType,
  optIp,
  optIps,
  optString,
  optU32,
  type DhcpPacket,
} from './packet.js';
import {
  archName,
  classifyClient,
  ipxeNoPxedhcp,
  pxeVendorOptions,
  selectBootFile,
  type BootFileOptions,
  type ClientKind,
} from './pxe.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface SubnetOptions {
  /** Network in CIDR form, e.g. `198.18.0.0/24`. */
  cidr: string;
  /** First and last address of the dynamic pool (inclusive). Omit both for no pool (proxy mode). */
  rangeStart?: string;
  rangeEnd?: string;
  /** Lease time in seconds (option 51). */
  leaseTime: number;
  /** Option 3; omitted when unset (the provisioning network needs no router). */
  router?: string;
  /** Option 6. */
  dnsServers?: string[];
  /** Option 15. */
  domainName?: string;
  /** Our address as seen from this subnet (option 54, siaddr); defaults to `serverAddress`. */
  serverAddress?: string;
}

export interface ResponderOptions {
  /** Our address on the directly attached provisioning network: server identifier (option 54). */
  serverAddress: string;
  /**
   * Served subnets. Non-relayed packets use the subnet containing `serverAddress`; relayed ones
   * (giaddr set) the subnet containing giaddr (RFC 2131 §4.3.1).
   */
  subnets: SubnetOptions[];
  /** `full`: addresses + boot info. `proxy`: boot info only, beside a site DHCP server. */
  mode: 'full' | 'proxy';
  /** NAK requests for unknown leases / wrong networks instead of staying silent. */
  authoritative: boolean;
  /** Seconds an offered address stays reserved for the client. */
  offerTtl: number;
  /** Seconds a declined address stays out of the pool (RFC 2131 §4.3.3). */
  declineQuarantine: number;
  /** siaddr and option 66; defaults to the server identifier of the subnet. */
  tftpServer?: string;
  /** Boot-file map and iPXE script URL. */
  boot: BootFileOptions;
  /** Static reservations: these addresses are never handed out dynamically to others. */
  reservations?: Array<{ mac: string; address: string }>;
  /** Echo option 60 `PXEClient` in full-mode replies to PXE clients (proxy replies always do). */
  echoPxeClient?: boolean;
}

/** A persisted lease (bound address, or a declined address in quarantine). */
export interface Lease {
  address: string;
  /** Lowercase colon form; empty for a declined address quarantine. */
  mac: string;
  /** Option 61 in hex, when the client sent one. */
  clientId?: string;
  /** Epoch ms. */
  expiresAt: number;
  state: 'bound' | 'declined';
  hostname?: string;
}

/** Where leases live between restarts; the lead backs it with the state document. */
export interface LeaseStore {
  load(): Lease[];
  save(leases: Lease[]): Promise<void>;
}

export interface DecideContext {
  /** chaddr in lowercase colon form (also for relayed packets). */
  mac: string;
  packet: DhcpPacket;
  messageType: string;
  /** Option 93 (first value) or the `PXEClient:Arch:` of option 60. */
  arch: number | undefined;
  userClass: string[];
  vendorClass: string | undefined;
  giaddr: string;
  relayed: boolean;
}

export type Decision =
  | { action: 'ignore'; reason: string; node?: string }
  | {
      action: 'serve';
      /** Give this address (static reservation); must be inside the client's subnet. */
      reservedAddress?: string;
      /** Overrides the boot file chosen from option 93/77. */
      bootFile?: string;
      /** Overrides siaddr/option 66. */
      nextServer?: string;
      /** Extra options appended to the reply (replace ones of the same code). */
      extraOptions?: Array<[number, Buffer]>;
      /** Node UUID, for the events. */
      node?: string;
    };

export type DecideFn = (ctx: DecideContext) => Decision;
export const serveEveryone: DecideFn = () => ({ action: 'serve' });

export interface ReceivedVia {
  /** Local port the request arrived on: 67, or 4011 for PXE boot-server discovery. */
  localPort: number;
  address: string;
  port: number;
}

export interface Reply {
  buffer: Buffer;
  address: string;
  port: number;
}

export interface Outcome {
  reply?: Reply;
  event: EventInput;
  /** Short key for stats counters: `offer`, `ack`, `nak`, `ignored:<why>`, … */
  stat: string;
  /** Request message type name (DISCOVER, …) or `MALFORMED`. */
  received: string;
}

// ---------------------------------------------------------------------------------------------
// Internals

interface Binding {
  address: number;
  mac: string;
  clientId: string | undefined;
  state: 'offered' | 'bound' | 'declined';
  expiresAt: number;
  hostname: string | undefined;
}

function parseCidr(cidr: string): { network: number; mask: number; prefix: number } {
  const [ip, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const addr = ipToInt(ip ?? '');
  if (Number.isNaN(addr) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new AppError('ERR_DHCP_CONFIG', `invalid subnet ${cidr}`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (addr & mask) >>> 0, mask, prefix };
}

class Pool {
  readonly network: number;
  readonly mask: number;
  readonly broadcast: string;
  readonly start: number;
  readonly size: number;
  readonly serverId: string;
  readonly serverIdBuf: Buffer;
  readonly maskBuf: Buffer;
  readonly leaseBufs: [Buffer, Buffer, Buffer];
  readonly routerBuf: Buffer | undefined;
  readonly dnsBuf: Buffer | undefined;
  readonly domainBuf: Buffer | undefined;
  /** Bindings of the dynamic range by offset; out-of-range reservations in `outside`. */
  readonly slots: Array<Binding | undefined>;
  readonly outside = new Map<number, Binding>();
  readonly byMac = new Map<string, Binding>();
  /** Lowest offset that may be free: sequential allocation resumes here. */
  cursor = 0;
  /** After a failed full scan: nothing frees up before this time unless something is released. */
  exhaustedUntil = 0;
  /** Earliest expiry of a binding below the cursor: from then on the cursor restarts at 0. */
  belowCursorExpiry = Infinity;

  constructor(
    readonly options: SubnetOptions,
    defaultServer: string,
  ) {
    const { network, mask } = parseCidr(options.cidr);
    this.network = network;
    this.mask = mask;
    this.broadcast = intToIp((network | ~mask) >>> 0);
    this.serverId = options.serverAddress ?? defaultServer;
    const start = options.rangeStart ? ipToInt(options.rangeStart) : NaN;
    const end = options.rangeEnd ? ipToInt(options.rangeEnd) : NaN;
    if (options.rangeStart || options.rangeEnd) {
      if (Number.isNaN(start) || Number.isNaN(end) || end < start) {
        throw new AppError(
          'ERR_DHCP_CONFIG',
          `invalid range ${options.rangeStart}-${options.rangeEnd} in ${options.cidr}`,
        );
      }
      if (!this.contains(start) || !this.contains(end)) {
        throw new AppError(
          'ERR_DHCP_CONFIG',
          `range ${options.rangeStart}-${options.rangeEnd} is outside ${options.cidr}`,
        );
      }
    }
    this.start = Number.isNaN(start) ? 0 : start;
    this.size = Number.isNaN(start) ? 0 : end - start + 1;
    this.slots = new Array<Binding | undefined>(this.size);
    this.serverIdBuf = optIp(this.serverId);
    this.maskBuf = optIp(intToIp(mask));
    const lt = options.leaseTime;
    // RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease time.
    this.leaseBufs = [optU32(lt), optU32(Math.floor(lt * 0.5)), optU32(Math.floor(lt * 0.875))];
    this.routerBuf = options.router ? optIp(options.router) : undefined;
    this.dnsBuf = options.dnsServers?.length ? optIps(options.dnsServers) : undefined;
    this.domainBuf = options.domainName ? optString(options.domainName) : undefined;
  }

  contains(addr: number): boolean {
    return (addr & this.mask) >>> 0 === this.network;
  }

  inRange(addr: number): boolean {
    return addr >= this.start && addr < this.start + this.size;
  }

  get(addr: number): Binding | undefined {
    return this.inRange(addr) ? this.slots[addr - this.start] : this.outside.get(addr);
  }

  set(binding: Binding): void {
    const current = this.get(binding.address);
    if (current && current !== binding && this.byMac.get(current.mac) === current)
      this.byMac.delete(current.mac);
    if (this.inRange(binding.address)) {
      const offset = binding.address - this.start;
      this.slots[offset] = binding;
      if (offset < this.cursor) this.belowCursorExpiry = Math.min(this.belowCursorExpiry, binding.expiresAt);
    } else this.outside.set(binding.address, binding);
    if (binding.mac) this.byMac.set(binding.mac, binding);
  }

  remove(binding: Binding): void {
    if (this.inRange(binding.address)) {
      const offset = binding.address - this.start;
      if (this.slots[offset] === binding) this.slots[offset] = undefined;
      if (offset < this.cursor) this.cursor = offset;
    } else if (this.outside.get(binding.address) === binding) {
      this.outside.delete(binding.address);
    }
    if (this.byMac.get(binding.mac) === binding) this.byMac.delete(binding.mac);
    this.exhaustedUntil = 0;
  }
}

const isIgnore = (b: BootInfo | { ignore: string } | undefined): b is { ignore: string } =>
  b !== undefined && 'ignore' in b;

const isLive = (b: Binding | undefined, now: number): b is Binding => b !== undefined && b.expiresAt > now;

/** Options sent whether or not the client listed them in option 55. */
const alwaysSend: ReadonlySet<number> = new Set([
  Opt.MESSAGE_TYPE,
  Opt.SERVER_ID,
  Opt.LEASE_TIME,
  Opt.RENEWAL_TIME,
  Opt.REBINDING_TIME,
  Opt.SUBNET_MASK,
  Opt.TFTP_SERVER,
  Opt.BOOTFILE,
  Opt.VENDOR_CLASS,
  Opt.VENDOR_SPECIFIC,
  Opt.MESSAGE,
  Opt.RELAY_AGENT_INFO,
  Opt.IPXE_ENCAP,
  Opt.CLIENT_UUID,
]);

const BROADCAST_FLAG = 0x8000;
const messageTypeBufs = new Map<number, Buffer>(
  Object.values(MessageType).map((t) => [t, Buffer.from([t])] as [number, Buffer]),
);

interface BootInfo {
  file: string;
  nextServer: string;
  http: boolean;
  ipxe: boolean;
  label: string;
}

interface RequestCtx {
  p: DhcpPacket;
  type: number;
  typeName: string;
  mac: string;
  kind: ClientKind;
  via: ReceivedVia;
  relayed: boolean;
}

/** What adoptBindings() did with the previous responder's bindings. */
export interface AdoptedBindings {
  /** Offers, leases and quarantines carried over. */
  kept: number;
  /** Carried-over leases outside the new dynamic range: served until they end, not renewed. */
  outsideRange: string[];
  /** Leases in no configured subnet any more: forgotten. */
  dropped: string[];
}

/** What every handler reads about one request (handle and its dry run, preview). */
function requestContext(
  p: DhcpPacket,
  type: number,
  typeName: string,
  mac: string,
  via: ReceivedVia,
): RequestCtx {
  return { p, type, typeName, mac, kind: classifyClient(p), via, relayed: p.giaddr !== '0.0.0.0' };
}

export interface ResponderDeps {
  clock: Clock;
  decide?: DecideFn;
}

export class DhcpResponder {
  private readonly pools: Pool[];
  private readonly localPool: Pool | undefined;
  private readonly serverIds: Set<string>;
  private readonly reservations = new Map<string, number>();
  private readonly reservedAddresses = new Set<number>();
  private readonly decide: DecideFn;
  private dirty = false;

  constructor(
    private readonly options: ResponderOptions,
    private readonly deps: ResponderDeps,
  ) {
    this.pools = options.subnets.map((s) => new Pool(s, options.serverAddress));
    const server = ipToInt(options.serverAddress);
    if (Number.isNaN(server))
      throw new AppError('ERR_DHCP_CONFIG', `invalid serverAddress ${options.serverAddress}`);
    this.localPool = this.pools.find((pool) => pool.contains(server));
    this.serverIds = new Set([options.serverAddress, ...this.pools.map((pool) => pool.serverId)]);
    for (const r of options.reservations ?? []) {
      const addr = ipToInt(r.address);
      if (Number.isNaN(addr))
        throw new AppError('ERR_DHCP_CONFIG', `invalid reservation address ${r.address}`);
      this.reservations.set(r.mac.toLowerCase(), addr);
      this.reservedAddresses.add(addr);
    }
    this.decide = deps.decide ?? serveEveryone;
  }

  /** True once since the last call when persisted leases changed. */
  takeDirty(): boolean {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }

  /** Bound leases and quarantined addresses that have not expired. */
  leases(): Lease[] {
    const now = this.deps.clock.now();
    const out: Lease[] = [];
    const add = (b: Binding | undefined): void => {
      if (!b || b.state === 'offered' || b.expiresAt <= now) return;
      out.push({
        address: intToIp(b.address),
        mac: b.mac,
        expiresAt: b.expiresAt,
        state: b.state,
        ...(b.clientId ? { clientId: b.clientId } : {}),
        ...(b.hostname ? { hostname: b.hostname } : {}),
      });
    };
    for (const pool of this.pools) {
      for (const b of pool.slots) add(b);
      for (const b of pool.outside.values()) add(b);
    }
    return out;
  }

  /**
   * Live reconfiguration (SIGHUP): take over the bindings of the responder this one replaces,
   * without touching sockets. Offers and leases keep their address and expiry — a node mid-boot
   * is never cut off; a bound address the new dynamic range no longer holds is refused at its next
   * renewal instead (handleRequest). Bindings in no configured subnet are dropped (as restore()).
   */
  adoptBindings(previous: DhcpResponder): AdoptedBindings {
    const now = this.deps.clock.now();
    const result: AdoptedBindings = { kept: 0, outsideRange: [], dropped: [] };
    for (const old of previous.pools) {
      for (const b of [...old.slots, ...old.outside.values()]) {
        if (!b || b.expiresAt <= now) continue;
        const pool = this.pools.find((candidate) => candidate.contains(b.address));
        if (!pool) {
          if (b.state === 'bound') {
            result.dropped.push(intToIp(b.address));
            this.dirty = true;
          }
          continue;
        }
        pool.set({ ...b });
        if (b.state === 'bound' && this.isOutsideRange(pool, b.address, b.mac)) {
          result.outsideRange.push(intToIp(b.address));
        }
        result.kept += 1;
      }
    }
    for (const pool of this.pools) pool.cursor = 0;
    return result;
  }

  /** Load persisted leases (expired ones and those outside every subnet are dropped). */
  restore(leases: readonly Lease[]): number {
    const now = this.deps.clock.now();
    let restored = 0;
    for (const lease of leases) {
      const addr = ipToInt(lease.address);
      if (Number.isNaN(addr) || !(lease.expiresAt > now)) continue;
      const pool = this.pools.find((candidate) => candidate.contains(addr));
      if (!pool) continue;
      pool.set({
        address: addr,
        mac: lease.mac.toLowerCase(),
        clientId: lease.clientId,
        state: lease.state === 'declined' ? 'declined' : 'bound',
        expiresAt: lease.expiresAt,
        hostname: lease.hostname,
      });
      restored += 1;
    }
    for (const pool of this.pools) pool.cursor = 0;
    return restored;
  }

  /** Decode and handle one datagram. Never throws. */
  handleDatagram(buf: Buffer, via: ReceivedVia): Outcome {
    const decoded = decode(buf);
    if (!decoded.ok) {
      return {
        stat: 'malformed',
        received: 'MALFORMED',
        event: {
          type: 'dhcp.malformed',
          level: 'debug',
          message: `malformed packet from ${via.address}:${via.port}: ${decoded.error}`,
          data: { from: via.address, error: decoded.error, length: buf.length },
        },
      };
    }
    try {
      return this.handle(decoded.packet, via);
    } catch (error) {
      // Defensive: a peer must never crash the server. Counted like a malformed packet.
      return {
        stat: 'error',
        received: messageTypeName(getMessageType(decoded.packet)),
        event: {
          type: 'dhcp.malformed',
          level: 'error',
          mac: macOf(decoded.packet),
          message: `internal error handling packet: ${(error as Error).message}`,
        },
      };
    }
  }

  handle(p: DhcpPacket, via: ReceivedVia): Outcome {
    const type = getMessageType(p);
    const typeName = messageTypeName(type);
    const mac = macOf(p);
    if (p.op !== 1) return this.ignore(mac, typeName, 'not a BOOTREQUEST', 'ignored:not-request', 'debug');
    if (type === undefined) {
      return this.ignore(mac, typeName, 'BOOTP request without option 53', 'ignored:bootp', 'debug');
    }
    const ctx = requestContext(p, type, typeName, mac, via);
    if (this.options.mode === 'proxy') return this.handleProxy(ctx);
    switch (type) {
      case MessageType.DISCOVER:
        return this.handleDiscover(ctx);
      case MessageType.REQUEST:
        return this.handleRequest(ctx);
      case MessageType.DECLINE:
        return this.handleDecline(ctx);
      case MessageType.RELEASE:
        return this.handleRelease(ctx);
      case MessageType.INFORM:
        return this.handleInform(ctx);
      default:
        return this.ignore(mac, typeName, `unexpected message type ${typeName}`, 'ignored:type', 'debug');
    }
  }

  /**
   * Dry run of `handle` for a DISCOVER (or any request in proxy mode): the same decision, address
   * choice and reply encoding, but nothing is reserved or reclaimed — no offer is recorded, no
   * expired binding is removed, the allocation cursor does not move (explain, `GET /v1/explain`).
   */
  preview(p: DhcpPacket, via: ReceivedVia = { localPort: 67, address: '0.0.0.0', port: 68 }): Outcome {
    const type = getMessageType(p);
    const typeName = messageTypeName(type);
    const mac = macOf(p);
    if (p.op !== 1 || type === undefined) {
      return this.ignore(mac, typeName, 'not a DHCP request', 'ignored:not-request', 'debug');
    }
    const ctx = requestContext(p, type, typeName, mac, via);
    // handleProxy mutates nothing; in full mode only DISCOVER has a side-effect-free dry run.
    if (this.options.mode === 'proxy') return this.handleProxy(ctx);
    if (type !== MessageType.DISCOVER) {
      return this.ignore(mac, typeName, 'only DISCOVER can be previewed', 'ignored:type', 'debug');
    }
    return this.handleDiscover(ctx, false);
  }

  // --- message handlers -----------------------------------------------------------------------

  private handleDiscover(ctx: RequestCtx, commit = true): Outcome {
    const pool = this.poolFor(ctx);
    if (!pool) return this.noSubnet(ctx);
    const decision = this.runDecide(ctx);
    if (decision.action === 'ignore') return this.denied(ctx, decision);
    const boot = this.bootFor(ctx, decision, pool);
    if (isIgnore(boot)) return this.ignore(ctx.mac, ctx.typeName, boot.ignore, 'ignored:arch-unmapped');
    const now = this.deps.clock.now();
    const chosen = this.chooseAddress(ctx, pool, decision, now, commit);
    if (typeof chosen === 'string') {
      return this.ignore(
        ctx.mac,
        ctx.typeName,
        chosen === 'pool exhausted' ? this.exhaustedText(pool, now) : chosen,
        chosen === 'pool exhausted' ? 'ignored:pool-exhausted' : 'ignored:reservation',
        'warn',
        decision.node,
      );
    }
    let binding = chosen;
    if (binding.state !== 'bound' || binding.expiresAt <= now) {
      binding = { ...binding, state: 'offered', expiresAt: now + this.options.offerTtl * 1000 };
      if (commit) pool.set(binding);
    }
    const address = intToIp(binding.address);
    const reply = this.buildReply(ctx, MessageType.OFFER, pool, {
      yiaddr: address,
      boot,
      decision,
      lease: true,
    });
    return {
      reply,
      stat: 'offer',
      received: ctx.typeName,
      event: {
        type: 'dhcp.offer',
        mac: ctx.mac,
        level: 'info',
        message: `offered ${address}${this.bootText(boot)}`,
        data: this.eventData(ctx, { address, boot, decision }),
        ...(decision.node ? { node: decision.node } : {}),
      },
    };
  }

  private handleRequest(ctx: RequestCtx): Outcome {
    const { p } = ctx;
    const serverId = getServerId(p);
    const requested = getRequestedAddress(p);
    const pool = this.poolFor(ctx);
    const now = this.deps.clock.now();
    if (serverId !== undefined) {
      // SELECTING (RFC 2131 §4.3.2): the client chose a server; if not us, drop our offer silently.
      if (!this.serverIds.has(serverId)) {
        const offered = pool?.byMac.get(ctx.mac);
        if (pool && offered && offered.state === 'offered') pool.remove(offered);
        return this.ignore(
          ctx.mac,
          ctx.typeName,
          `request for another server ${serverId}`,
          'ignored:other-server',
          'info',
        );
      }
    }
    if (!pool) return this.noSubnet(ctx);
    let state: 'SELECTING' | 'INIT-REBOOT' | 'RENEWING';
    let address: string;
    if (serverId !== undefined) {
      state = 'SELECTING';
      if (requested === undefined) {
        return this.ignore(
          ctx.mac,
          ctx.typeName,
          'SELECTING request without requested address (option 50)',
          'ignored:bad-request',
        );
      }
      address = requested;
    } else if (requested !== undefined && p.ciaddr === '0.0.0.0') {
      state = 'INIT-REBOOT';
      address = requested;
    } else if (p.ciaddr !== '0.0.0.0') {
      state = 'RENEWING'; // or REBINDING: without IP_PKTINFO the two look the same and are handled alike
      address = p.ciaddr;
    } else {
      return this.ignore(
        ctx.mac,
        ctx.typeName,
        'request without server id, requested address or ciaddr',
        'ignored:bad-request',
      );
    }
    const decision = this.runDecide(ctx);
    if (decision.action === 'ignore') return this.denied(ctx, decision);
    const addr = ipToInt(address);
    if (!pool.contains(addr)) {
      return this.nakOrSilence(
        ctx,
        pool,
        `requested ${address} is on the wrong network (${pool.options.cidr})`,
        'wrong-network',
        decision,
      );
    }
    const mine = pool.byMac.get(ctx.mac);
    if (decision.reservedAddress !== undefined && decision.reservedAddress !== address) {
      return this.nak(
        ctx,
        pool,
        `requested ${address} but ${ctx.mac} is reserved ${decision.reservedAddress}`,
        decision,
      );
    }
    if (!mine || mine.address !== addr) {
      const holder = pool.get(addr);
      if (mine && state === 'SELECTING') {
        return this.nak(ctx, pool, `requested ${address} but offered ${intToIp(mine.address)}`, decision);
      }
      if (isLive(holder, now) && holder.mac !== ctx.mac) {
        return this.nak(ctx, pool, `${address} is leased to another client`, decision);
      }
      if (mine)
        return this.nak(
          ctx,
          pool,
          `requested ${address} but the lease is for ${intToIp(mine.address)}`,
          decision,
        );
      if (state === 'SELECTING') return this.nak(ctx, pool, `no offer for ${address}`, decision);
      return this.nakOrSilence(ctx, pool, `no lease for ${address}`, 'unknown-lease', decision);
    }
    if (mine.state === 'declined') return this.nak(ctx, pool, `${address} was declined`, decision);
    if (state !== 'SELECTING' && this.isOutsideRange(pool, addr, ctx.mac, decision)) {
      // The range changed since this lease was granted (live reload, or a restart). The lease is
      // not revoked while it runs, but not extended: RFC 2131 §4.3.2 wants a NAK when the client's
      // address is not correct for its network, so it starts over (DISCOVER) in the new range.
      // Not authoritative: stay silent, the client keeps the address until the lease ends.
      const reason = `${address} is outside the dynamic range ${this.rangeText(pool)}: lease not renewed`;
      if (this.options.authoritative) {
        pool.remove(mine);
        this.dirty = true;
      }
      return this.nakOrSilence(ctx, pool, reason, 'outside-range', decision);
    }
    const boot = this.bootFor(ctx, decision, pool);
    if (isIgnore(boot)) return this.ignore(ctx.mac, ctx.typeName, boot.ignore, 'ignored:arch-unmapped');
    const clientId = getClientId(p);
    const hostname = getHostname(p);
    const binding: Binding = {
      address: addr,
      mac: ctx.mac,
      clientId: clientId?.toString('hex'),
      state: 'bound',
      expiresAt: now + pool.options.leaseTime * 1000,
      hostname,
    };
    pool.set(binding);
    this.dirty = true;
    const reply = this.buildReply(ctx, MessageType.ACK, pool, {
      yiaddr: address,
      boot,
      decision,
      lease: true,
    });
    return {
      reply,
      stat: 'ack',
      received: ctx.typeName,
      event: {
        type: 'dhcp.ack',
        mac: ctx.mac,
        level: 'info',
        message: `acknowledged ${address} for ${pool.options.leaseTime} s (${state})${this.bootText(boot)}`,
        data: { ...this.eventData(ctx, { address, boot, decision }), state },
        ...(decision.node ? { node: decision.node } : {}),
      },
    };
  }

  private handleDecline(ctx: RequestCtx): Outcome {
    const pool = this.poolFor(ctx);
    const requested = getRequestedAddress(ctx.p);
    if (!pool || requested === undefined) {
      return this.ignore(
        ctx.mac,
        ctx.typeName,
        'DECLINE without requested address (option 50) or subnet',
        'ignored:bad-request',
      );
    }
    const addr = ipToInt(requested);
    const mine = pool.byMac.get(ctx.mac);
    if (!mine || mine.address !== addr || !pool.contains(addr)) {
      return this.ignore(
        ctx.mac,
        ctx.typeName,
        `DECLINE of ${requested}, which is not leased to this client`,
        'ignored:bad-request',
      );
    }
    // RFC 2131 §4.3.3: mark the address as not available; the client starts over with DISCOVER.
    pool.remove(mine);
    const quarantine: Binding = {
      address: addr,
      mac: '',
      clientId: undefined,
      state: 'declined',
      expiresAt: this.deps.clock.now() + this.options.declineQuarantine * 1000,
      hostname: undefined,
    };
    pool.set(quarantine);
    this.dirty = true;
    return {
      stat: 'decline',
      received: ctx.typeName,
      event: {
        type: 'dhcp.decline',
        mac: ctx.mac,
        level: 'warn',
        message: `declined ${requested} (in use on the network?): quarantined for ${this.options.declineQuarantine} s`,
        data: { address: requested },
      },
    };
  }

  private handleRelease(ctx: RequestCtx): Outcome {
    const pool = this.poolFor(ctx);
    const mine = pool?.byMac.get(ctx.mac);
    if (!pool || !mine || intToIp(mine.address) !== ctx.p.ciaddr || mine.state !== 'bound') {
      return this.ignore(
        ctx.mac,
        ctx.typeName,
        `RELEASE of ${ctx.p.ciaddr}, which is not leased to this client`,
        'ignored:bad-request',
        'info',
      );
    }
    // RFC 2131 §4.3.4: mark the address as not allocated.
    pool.remove(mine);
    this.dirty = true;
    return {
      stat: 'release',
      received: ctx.typeName,
      event: {
        type: 'dhcp.release',
        mac: ctx.mac,
        level: 'info',
        message: `released ${ctx.p.ciaddr}`,
        data: { address: ctx.p.ciaddr },
      },
    };
  }

  private handleInform(ctx: RequestCtx): Outcome {
    const pool = this.poolFor(ctx);
    if (!pool) return this.noSubnet(ctx);
    const decision = this.runDecide(ctx);
    if (decision.action === 'ignore') return this.denied(ctx, decision);
    const boot = this.bootFor(ctx, decision, pool);
    const usable = isIgnore(boot) ? undefined : boot;
    // RFC 2131 §4.3.5: ACK with configuration only: no yiaddr, no lease time; unicast to ciaddr.
    const reply = this.buildReply(ctx, MessageType.ACK, pool, {
      yiaddr: '0.0.0.0',
      boot: usable,
      decision,
      lease: false,
    });
    return {
      reply,
      stat: 'inform',
      received: ctx.typeName,
      event: {
        type: 'dhcp.inform',
        mac: ctx.mac,
        level: 'info',
        message: `answered INFORM from ${ctx.p.ciaddr} (configuration only, no lease)${this.bootText(usable)}`,
        data: this.eventData(ctx, { address: ctx.p.ciaddr, boot: usable, decision }),
      },
    };
  }

  /**
   * proxyDHCP (PXE spec 2.1 §2.2.5): answer PXE clients with boot information only, both to the
   * broadcast DISCOVER/REQUEST on port 67 and to the boot-server REQUEST on port 4011.
   */
  private handleProxy(ctx: RequestCtx): Outcome {
    const { type } = ctx;
    const onBootPort = ctx.via.localPort !== 67;
    if (!ctx.kind.isPxe) {
      return this.ignore(ctx.mac, ctx.typeName, 'not a PXE client (proxy mode)', 'ignored:not-pxe', 'debug');
    }
    if (type === MessageType.REQUEST && !onBootPort) {
      const serverId = getServerId(ctx.p);
      if (serverId === undefined || !this.serverIds.has(serverId)) {
        return this.ignore(
          ctx.mac,
          ctx.typeName,
          `request for another server ${serverId ?? '(none)'} (proxy mode)`,
          'ignored:other-server',
          'debug',
        );
      }
    } else if (
      type !== MessageType.DISCOVER &&
      !(type === MessageType.REQUEST && onBootPort) &&
      type !== MessageType.INFORM
    ) {
      return this.ignore(
        ctx.mac,
        ctx.typeName,
        `${ctx.typeName} not handled in proxy mode`,
        'ignored:type',
        'debug',
      );
    }
    const pool = this.poolFor(ctx);
    if (!pool) return this.noSubnet(ctx);
    const decision = this.runDecide(ctx);
    if (decision.action === 'ignore') return this.denied(ctx, decision);
    const boot = this.bootFor(ctx, decision, pool);
    if (isIgnore(boot)) return this.ignore(ctx.mac, ctx.typeName, boot.ignore, 'ignored:arch-unmapped');
    if (!boot)
      return this.ignore(ctx.mac, ctx.typeName, 'no boot file for this client', 'ignored:not-pxe', 'debug');
    const replyType = type === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK;
    const reply = this.buildReply(ctx, replyType, pool, {
      yiaddr: '0.0.0.0',
      boot,
      decision,
      lease: false,
      proxy: true,
    });
    const what =
      replyType === MessageType.OFFER
        ? 'proxy offer'
        : onBootPort
          ? 'proxy boot-server ACK (port 4011)'
          : 'proxy ACK';
    return {
      reply,
      stat: replyType === MessageType.OFFER ? 'proxy-offer' : 'proxy-ack',
      received: ctx.typeName,
      event: {
        type: replyType === MessageType.OFFER ? 'dhcp.offer' : 'dhcp.ack',
        mac: ctx.mac,
        level: 'info',
        message: `${what}: ${boot.file} (${boot.label}), no address`,
        data: { ...this.eventData(ctx, { boot, decision }), proxy: true, port: ctx.via.localPort },
        ...(decision.node ? { node: decision.node } : {}),
      },
    };
  }

  // --- helpers ----------------------------------------------------------------------------------

  private poolFor(ctx: RequestCtx): Pool | undefined {
    if (ctx.relayed) {
      const giaddr = ipToInt(ctx.p.giaddr);
      return this.pools.find((pool) => pool.contains(giaddr));
    }
    if (ctx.p.ciaddr !== '0.0.0.0') {
      const ciaddr = ipToInt(ctx.p.ciaddr);
      const pool = this.pools.find((candidate) => candidate.contains(ciaddr));
      if (pool) return pool;
    }
    return this.localPool;
  }

  /**
   * A dynamic address the pool's range does not hold and no reservation explains: left over from
   * an earlier range (reload or restart with a new [dhcp] range_start/range_end).
   */
  private isOutsideRange(pool: Pool, addr: number, mac: string, decision?: Decision): boolean {
    if (pool.size === 0 || pool.inRange(addr)) return false;
    if (decision?.action === 'serve' && decision.reservedAddress !== undefined)
      return ipToInt(decision.reservedAddress) !== addr;
    return this.reservations.get(mac) !== addr;
  }

  /** Why the pool is full, for the operator: the range and what holds its addresses. */
  private exhaustedText(pool: Pool, now: number): string {
    let bound = 0;
    let offered = 0;
    for (const b of pool.slots) {
      if (b === undefined || b.expiresAt <= now) continue;
      if (b.state === 'bound') bound += 1;
      else if (b.state === 'offered') offered += 1;
    }
    return (
      `pool exhausted: no free address in ${this.rangeText(pool)} (${pool.size} addresses: ` +
      `${bound} leased, ${offered} offered, ${pool.size - bound - offered} declined or reserved)`
    );
  }

  private rangeText(pool: Pool): string {
    return `${intToIp(pool.start)}-${intToIp(pool.start + pool.size - 1)}`;
  }

  private runDecide(ctx: RequestCtx): Decision {
    try {
      return this.decide({
        mac: ctx.mac,
        packet: ctx.p,
        messageType: ctx.typeName,
        arch: ctx.kind.arch,
        userClass: ctx.kind.userClasses,
        vendorClass: ctx.kind.vendorClass,
        giaddr: ctx.p.giaddr,
        relayed: ctx.relayed,
      });
    } catch (error) {
      return { action: 'ignore', reason: `decision hook failed: ${(error as Error).message}` };
    }
  }

  private bootFor(
    ctx: RequestCtx,
    decision: Decision & { action: 'serve' },
    pool: Pool,
  ): BootInfo | { ignore: string } | undefined {
    const nextServer = decision.nextServer ?? this.options.tftpServer ?? pool.serverId;
    if (decision.bootFile !== undefined) {
      return {
        file: decision.bootFile,
        nextServer,
        http: /^https?:\/\//.test(decision.bootFile),
        ipxe: ctx.kind.isIpxe,
        label: ctx.kind.isIpxe ? 'iPXE' : `arch ${archName(ctx.kind.arch)}`,
      };
    }
    const selection = selectBootFile(ctx.kind, this.options.boot, { server: pool.serverId, mac: ctx.mac });
    if (selection.kind === 'none') return undefined;
    if (selection.kind === 'unmapped') return { ignore: selection.reason };
    return {
      file: selection.bootFile,
      nextServer,
      http: selection.http,
      ipxe: selection.ipxe,
      label: selection.label,
    };
  }

  /**
   * RFC 2131 §4.3.1 address choice: reservation, current binding, requested address, lowest free.
   * `commit = false` (preview) gives the same answer without touching the pool.
   */
  private chooseAddress(
    ctx: RequestCtx,
    pool: Pool,
    decision: Decision & { action: 'serve' },
    now: number,
    commit = true,
  ): Binding | string {
    const base = (address: number): Binding => ({
      address,
      mac: ctx.mac,
      clientId: getClientId(ctx.p)?.toString('hex'),
      state: 'offered',
      expiresAt: 0,
      hostname: undefined,
    });
    const mine = pool.byMac.get(ctx.mac);
    const reservedText = decision.reservedAddress;
    const reserved = reservedText !== undefined ? ipToInt(reservedText) : this.reservations.get(ctx.mac);
    if (reserved !== undefined) {
      if (Number.isNaN(reserved) || !pool.contains(reserved)) {
        return `reserved address ${reservedText ?? intToIp(reserved)} is not in subnet ${pool.options.cidr}`;
      }
      const holder = pool.get(reserved);
      if (isLive(holder, now) && holder.mac !== ctx.mac) {
        return `reserved address ${intToIp(reserved)} is in use by ${holder.mac || 'a declined quarantine'}`;
      }
      if (mine && mine.address !== reserved && commit) {
        if (mine.state === 'bound') this.dirty = true;
        pool.remove(mine);
      }
      return holder && holder.mac === ctx.mac ? holder : base(reserved);
    }
    if (mine && mine.state !== 'declined') {
      // Reuse the client's binding unless its address meanwhile went to someone else, or the
      // dynamic range no longer holds it (changed by a reload): then it gets a new address.
      if (pool.get(mine.address) === mine && !this.isOutsideRange(pool, mine.address, ctx.mac, decision))
        return mine;
      if (pool.get(mine.address) === mine && commit) {
        if (mine.state === 'bound') this.dirty = true;
        pool.remove(mine);
      }
    }
    const requested = getRequestedAddress(ctx.p);
    if (requested !== undefined) {
      const addr = ipToInt(requested);
      if (pool.inRange(addr) && !this.reservedAddresses.has(addr) && !isLive(pool.get(addr), now)) {
        const stale = pool.get(addr);
        if (stale && commit) pool.remove(stale);
        return base(addr);
      }
    }
    const offset = this.lowestFree(pool, now, commit);
    return offset === undefined ? 'pool exhausted' : base(pool.start + offset);
  }

  /**
   * Sequential allocation: the lowest free offset at or after the cursor, then a full rescan.
   * `commit = false` scans the same way but reclaims nothing and leaves the cursor where it is.
   */
  private lowestFree(pool: Pool, now: number, commit = true): number | undefined {
    if (pool.size === 0 || now < pool.exhaustedUntil) return undefined;
    let cursor = pool.cursor;
    if (now >= pool.belowCursorExpiry) {
      // Something below the cursor has expired: the lowest free address may be there.
      cursor = 0;
      if (commit) {
        pool.cursor = 0;
        pool.belowCursorExpiry = Infinity;
      }
    }
    const scan = (from: number, to: number): number | undefined => {
      for (let i = from; i < to; i += 1) {
        const b = pool.slots[i];
        if (this.reservedAddresses.has(pool.start + i)) continue;
        if (b === undefined) return i;
        if (b.expiresAt <= now) {
          if (commit) pool.remove(b); // an expired lease or offer is reclaimed
          return i;
        }
        if (commit && b.expiresAt < pool.belowCursorExpiry) pool.belowCursorExpiry = b.expiresAt;
      }
      return undefined;
    };
    let found = scan(cursor, pool.size);
    if (found === undefined) found = scan(0, Math.min(cursor, pool.size));
    if (found === undefined) {
      if (!commit) return undefined;
      let soonest = Infinity;
      for (const b of pool.slots) if (b && b.expiresAt < soonest) soonest = b.expiresAt;
      pool.exhaustedUntil = soonest;
      return undefined;
    }
    if (commit) pool.cursor = found + 1;
    return found;
  }

  private buildReply(
    ctx: RequestCtx,
    type: number,
    pool: Pool,
    r: {
      yiaddr: string;
      boot: BootInfo | undefined;
      decision: Decision & { action: 'serve' };
      lease: boolean;
      proxy?: boolean;
    },
  ): Reply {
    const { p } = ctx;
    const options: Array<[number, Buffer]> = [
      [Opt.MESSAGE_TYPE, messageTypeBufs.get(type) as Buffer],
      [Opt.SERVER_ID, pool.serverIdBuf],
    ];
    if (r.lease) {
      options.push(
        [Opt.LEASE_TIME, pool.leaseBufs[0]],
        [Opt.RENEWAL_TIME, pool.leaseBufs[1]],
        [Opt.REBINDING_TIME, pool.leaseBufs[2]],
      );
    }
    if (!r.proxy) {
      options.push([Opt.SUBNET_MASK, pool.maskBuf]);
      if (pool.routerBuf) options.push([Opt.ROUTER, pool.routerBuf]);
      if (pool.dnsBuf) options.push([Opt.DNS, pool.dnsBuf]);
      if (pool.domainBuf) options.push([Opt.DOMAIN_NAME, pool.domainBuf]);
    }
    const boot = r.boot;
    if (boot) {
      if (!boot.http) options.push([Opt.TFTP_SERVER, optString(boot.nextServer)]);
      options.push([Opt.BOOTFILE, optString(boot.file)]);
      if (r.proxy) {
        options.push([Opt.VENDOR_CLASS, optString('PXEClient')], [Opt.VENDOR_SPECIFIC, pxeVendorOptions]);
      } else if (boot.http && ctx.kind.isHttpClient) {
        // UEFI HTTP boot (UEFI 2.5 §24.7): the offer must carry vendor class HTTPClient.
        options.push([Opt.VENDOR_CLASS, optString('HTTPClient')]);
      } else if (this.options.echoPxeClient && ctx.kind.isPxe && !boot.ipxe) {
        options.push([Opt.VENDOR_CLASS, optString('PXEClient')]);
      }
      if (boot.ipxe && this.options.boot.sendIpxeNoPxedhcp) options.push([Opt.IPXE_ENCAP, ipxeNoPxedhcp]);
      // PXE clients expect their machine identifier echoed (PXE spec 2.1 §2.2.5 / RFC 4578 §2.3).
      const uuid = p.options.get(Opt.CLIENT_UUID);
      if (uuid && ctx.kind.isPxe) options.push([Opt.CLIENT_UUID, uuid]);
    }
    for (const extra of r.decision.extraOptions ?? []) {
      const at = options.findIndex(([code]) => code === extra[0]);
      if (at >= 0) options[at] = extra;
      else options.push(extra);
    }
    // RFC 3046 §2.2: the relay agent information option is echoed back to the relay.
    const relayInfo = p.options.get(Opt.RELAY_AGENT_INFO);
    if (relayInfo && ctx.relayed) options.push([Opt.RELAY_AGENT_INFO, relayInfo]);
    const { buffer } = encode(
      {
        htype: p.htype,
        hlen: p.hlen,
        xid: p.xid,
        flags: p.flags,
        ciaddr: type === MessageType.ACK && r.yiaddr === '0.0.0.0' ? p.ciaddr : '0.0.0.0',
        yiaddr: r.yiaddr,
        siaddr: boot && !boot.http ? boot.nextServer : '0.0.0.0',
        giaddr: p.giaddr,
        chaddr: p.chaddr,
        file: boot?.file,
        options,
      },
      {
        ...(p.options.has(Opt.PARAMETER_LIST) ? { parameterList: getParameterList(p) } : {}),
        maxMessageSize: getMaxMessageSize(p),
        alwaysSend: r.decision.extraOptions?.length
          ? new Set([...alwaysSend, ...r.decision.extraOptions.map(([code]) => code)])
          : alwaysSend,
      },
    );
    return { buffer, ...this.destination(ctx, pool, type) };
  }

  /** RFC 2131 §4.1 reply addressing, with the subnet-directed broadcast for unaddressed clients. */
  private destination(ctx: RequestCtx, pool: Pool, type: number): { address: string; port: number } {
    const { p, via } = ctx;
    if (via.localPort !== 67) return { address: via.address, port: via.port };
    if (ctx.relayed) return { address: p.giaddr, port: 67 };
    if (type !== MessageType.NAK && p.ciaddr !== '0.0.0.0') return { address: p.ciaddr, port: 68 };
    // No SO_BINDTODEVICE in Node: the broadcast of the local subnet leaves by the right interface,
    // 255.255.255.255 would follow the default route (dependencies.md §1).
    return { address: (this.localPool ?? pool).broadcast, port: 68 };
  }

  private nak(
    ctx: RequestCtx,
    pool: Pool,
    reason: string,
    decision: Decision & { action: 'serve' },
  ): Outcome {
    const { p } = ctx;
    const options: Array<[number, Buffer]> = [
      [Opt.MESSAGE_TYPE, messageTypeBufs.get(MessageType.NAK) as Buffer],
      [Opt.SERVER_ID, pool.serverIdBuf],
      [Opt.MESSAGE, optString(reason)],
    ];
    const relayInfo = p.options.get(Opt.RELAY_AGENT_INFO);
    if (relayInfo && ctx.relayed) options.push([Opt.RELAY_AGENT_INFO, relayInfo]);
    const { buffer } = encode(
      {
        htype: p.htype,
        hlen: p.hlen,
        xid: p.xid,
        // RFC 2131 §4.3.2: a NAK through a relay has the broadcast bit set so the relay broadcasts it.
        flags: ctx.relayed ? p.flags | BROADCAST_FLAG : p.flags,
        giaddr: p.giaddr,
        chaddr: p.chaddr,
        options,
      },
      { maxMessageSize: getMaxMessageSize(p) },
    );
    return {
      reply: { buffer, ...this.destination(ctx, pool, MessageType.NAK) },
      stat: 'nak',
      received: ctx.typeName,
      event: {
        type: 'dhcp.nak',
        mac: ctx.mac,
        level: 'warn',
        message: `NAK: ${reason}`,
        data: this.eventData(ctx, { decision }),
        ...(decision.node ? { node: decision.node } : {}),
      },
    };
  }

  private nakOrSilence(
    ctx: RequestCtx,
    pool: Pool,
    reason: string,
    key: string,
    decision: Decision & { action: 'serve' },
  ): Outcome {
    if (this.options.authoritative) return this.nak(ctx, pool, reason, decision);
    return this.ignore(ctx.mac, ctx.typeName, `${reason} (not authoritative)`, `ignored:${key}`, 'info');
  }

  private noSubnet(ctx: RequestCtx): Outcome {
    const where = ctx.relayed
      ? `relay giaddr ${ctx.p.giaddr}`
      : `local address ${this.options.serverAddress}`;
    return this.ignore(
      ctx.mac,
      ctx.typeName,
      `no subnet configured for ${where}`,
      'ignored:no-subnet',
      'warn',
    );
  }

  private denied(ctx: RequestCtx, decision: { reason: string; node?: string }): Outcome {
    return this.ignore(ctx.mac, ctx.typeName, decision.reason, 'ignored:decision', 'info', decision.node);
  }

  private ignore(
    mac: string,
    received: string,
    reason: string,
    stat: string,
    level: 'debug' | 'info' | 'warn' = 'info',
    node?: string,
  ): Outcome {
    return {
      stat,
      received,
      event: {
        type: 'dhcp.ignored',
        mac,
        level,
        message: `ignored: ${reason}`,
        data: { reason, request: received },
        ...(node ? { node } : {}),
      },
    };
  }

  private bootText(boot: BootInfo | undefined): string {
    return boot ? ` with ${boot.file} (${boot.label})` : ' (no boot file)';
  }

  private eventData(
    ctx: RequestCtx,
    d: { address?: string; boot?: BootInfo | undefined; decision?: Decision },
  ): Record<string, unknown> {
    return {
      request: ctx.typeName,
      xid: ctx.p.xid,
      ...(d.address ? { address: d.address } : {}),
      ...(d.boot ? { bootFile: d.boot.file, nextServer: d.boot.nextServer } : {}),
      ...(ctx.kind.arch !== undefined ? { arch: ctx.kind.arch } : {}),
      ...(ctx.kind.vendorClass ? { vendorClass: ctx.kind.vendorClass } : {}),
      ...(ctx.kind.userClasses.length ? { userClass: ctx.kind.userClasses } : {}),
      ...(ctx.relayed ? { giaddr: ctx.p.giaddr } : {}),
    };
  }
}
