// Explain boot (dry run): what the appliance would do right now for one network-booting client —
// filter verdict, DHCP reply, boot file, rendered boot config, HTTP URLs — built from the same
// functions the real DHCP/TFTP/HTTP path uses, changing nothing (no offer, no lease, no token).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { AppError } from './core/errors.js';
import { normalizeMac } from './core/node.js';
import type { NodeRepository } from './core/node-repository.js';
import { filterVerdict, type FilterPolicy } from './core/pxe-filter.js';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getMessageType,
  messageTypeName,
  optString,
  optU16,
  parseSubOptions,
  type DhcpPacket,
} from './dhcp/packet.js';
import { archName } from './dhcp/pxe.js';
import type { DecideFn, DhcpResponder } from './dhcp/responder.js';
import { grubConfigPath, pxelinuxConfigPath, type BootConfigKind } from './http-boot/boot-config.js';
import type { BootRenderer } from './netboot.js';

/** What an operator asks about: one client, described as its DHCP DISCOVER would describe it. */
export interface ExplainQuery {
  mac: string;
  /** Option 93 client architecture (RFC 4578 §2.1); undefined = not a PXE client. */
  arch?: number;
  /** Option 77 user classes (e.g. `iPXE`). */
  userClass?: string[];
  /** Option 60; defaults to `PXEClient:Arch:NNNNN:UNDI:003016` when `arch` is given. */
  vendorClass?: string;
  /** Relay agent address (RFC 3046): set for a client behind a DHCP relay. */
  giaddr?: string;
}

/** Shown instead of a real callback token: explain never mints one. */
export const TOKEN_PLACEHOLDER = 'TOKEN-MINTED-AT-BOOT';

/** Names operators use for option 93 values (IANA "Processor Architecture Types"). */
const ARCH_ALIASES: Readonly<Record<string, number>> = {
  bios: 0,
  pcbios: 0,
  efi32: 6,
  'efi-ia32': 6,
  efi64: 7,
  'efi-x64': 7,
  efibc: 9,
  'efi-arm32': 10,
  'efi-arm64': 11,
  arm64: 11,
  http: 16,
  'efi64-http': 16,
  'efi-arm64-http': 19,
};

/** `efi64`, `bios`, `efi-arm64`, `http` or a number (decimal or 0x hex); null when not one. */
export function parseArch(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t in ARCH_ALIASES) return ARCH_ALIASES[t] as number;
  const n = /^0x[0-9a-f]+$/.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 0xffff ? n : null;
}

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Query-string parameters → an ExplainQuery (ERR_API_BAD_PARAM on bad values). */
export function parseExplainQuery(q: Record<string, unknown>): ExplainQuery {
  const text = (name: string): string | undefined => {
    const v = q[name];
    if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const mac = normalizeMac(text('mac'));
  if (!mac) throw new AppError('ERR_API_BAD_PARAM', 'mac is required: a MAC address like 52:54:00:12:34:56');
  const out: ExplainQuery = { mac };
  const arch = text('arch');
  if (arch !== undefined) {
    const parsed = parseArch(arch);
    if (parsed === null)
      throw new AppError(
        'ERR_API_BAD_PARAM',
        `arch must be bios, efi64, efi-arm64, http or an option-93 number, not ${JSON.stringify(arch)}`,
      );
    out.arch = parsed;
  }
  const userClass = text('user_class');
  if (userClass !== undefined) out.userClass = userClass.split(',').filter((c) => c !== '');
  const vendorClass = text('vendor_class');
  if (vendorClass !== undefined) out.vendorClass = vendorClass;
  const giaddr = text('giaddr');
  if (giaddr !== undefined) {
    if (!ipv4.test(giaddr) || giaddr.split('.').some((p) => Number(p) > 255))
      throw new AppError(
        'ERR_API_BAD_PARAM',
        `giaddr must be an IPv4 address, not ${JSON.stringify(giaddr)}`,
      );
    out.giaddr = giaddr;
  }
  return out;
}

/**
 * The DHCPDISCOVER such a client would broadcast, through the real encoder and decoder. No option
 * 55, so the reply shows every option the server would put in it.
 */
export function probePacket(q: ExplainQuery): DhcpPacket {
  const chaddr = Buffer.alloc(16);
  Buffer.from(q.mac.replace(/:/g, ''), 'hex').copy(chaddr);
  const options: Array<[number, Buffer]> = [[Opt.MESSAGE_TYPE, Buffer.from([MessageType.DISCOVER])]];
  const vendorClass =
    q.vendorClass ??
    (q.arch !== undefined ? `PXEClient:Arch:${String(q.arch).padStart(5, '0')}:UNDI:003016` : undefined);
  if (vendorClass !== undefined) options.push([Opt.VENDOR_CLASS, optString(vendorClass)]);
  if (q.arch !== undefined) options.push([Opt.CLIENT_ARCH, optU16(q.arch)]);
  // RFC 3004 §4 list form: one length-prefixed item per class (iPXE's bare string decodes the same).
  if (q.userClass?.length)
    options.push([
      Opt.USER_CLASS,
      Buffer.concat(q.userClass.map((c) => Buffer.concat([Buffer.from([c.length]), optString(c)]))),
    ]);
  const buffer = encodeRequest({
    htype: 1,
    hlen: 6,
    hops: q.giaddr ? 1 : 0,
    xid: 0x0e1a1a1e,
    flags: 0x8000,
    chaddr,
    ...(q.giaddr ? { giaddr: q.giaddr } : {}),
    options,
  });
  const decoded = decode(buffer);
  if (!decoded.ok) throw new AppError('ERR_API_BAD_PARAM', `cannot build a probe packet: ${decoded.error}`);
  return decoded.packet;
}

export interface ReplyFields {
  type: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The BOOTP file field. */
  file: string;
  options: Record<string, { hex: string; text?: string; sub?: Record<string, string> }>;
}

const TEXT_OPTIONS = new Set<number>([Opt.TFTP_SERVER, Opt.BOOTFILE, Opt.VENDOR_CLASS, Opt.MESSAGE]);
const IP_OPTIONS = new Set<number>([Opt.SERVER_ID, Opt.SUBNET_MASK, Opt.ROUTER, Opt.DNS]);

/** The reply as the client would decode it: header fields and every option (43/175 sub-options). */
export function describeReply(buffer: Buffer): ReplyFields | { error: string } {
  const decoded = decode(buffer);
  if (!decoded.ok) return { error: decoded.error };
  const p = decoded.packet;
  const options: ReplyFields['options'] = {};
  for (const [code, value] of [...p.options].sort((a, b) => a[0] - b[0])) {
    const entry: ReplyFields['options'][string] = { hex: value.toString('hex') };
    if (TEXT_OPTIONS.has(code)) entry.text = value.toString('latin1');
    else if (IP_OPTIONS.has(code) && value.length % 4 === 0) {
      const ips: string[] = [];
      for (let i = 0; i < value.length; i += 4) ips.push([...value.subarray(i, i + 4)].join('.'));
      entry.text = ips.join(', ');
    } else if (code === Opt.LEASE_TIME || code === Opt.RENEWAL_TIME || code === Opt.REBINDING_TIME) {
      if (value.length === 4) entry.text = `${value.readUInt32BE(0)} s`;
    } else if (code === Opt.MESSAGE_TYPE) entry.text = messageTypeName(value[0]);
    if (code === Opt.VENDOR_SPECIFIC || code === Opt.IPXE_ENCAP) {
      const sub = parseSubOptions(value);
      if (sub) entry.sub = Object.fromEntries([...sub].map(([k, v]) => [String(k), v.toString('hex')]));
    }
    options[String(code)] = entry;
  }
  return {
    type: messageTypeName(getMessageType(p)),
    yiaddr: p.yiaddr,
    siaddr: p.siaddr,
    giaddr: p.giaddr,
    file: p.file,
    options,
  };
}

/** Which boot config a boot file leads to, and the path the loader asks for it. */
export function bootConfigFor(
  file: string | undefined,
  mac: string,
): { kind: BootConfigKind; path: string } | null {
  if (!file) return null;
  const base = file.split('/').pop() ?? file;
  // iPXE (a script URL, or the iPXE binary that then fetches the per-MAC script over HTTP).
  if (/\.ipxe$/.test(base) || /ipxe|undionly|snponly/i.test(base))
    return { kind: 'ipxe', path: `ipxe/${mac}.ipxe` };
  if (/pxelinux|\.0$/i.test(base)) return { kind: 'pxelinux', path: pxelinuxConfigPath(mac) };
  if (/grub/i.test(base)) return { kind: 'grub', path: grubConfigPath(mac) };
  return null;
}

export interface ExplainSources {
  config: Config;
  clock: Clock;
  policy: FilterPolicy;
  nodeOf: (mac: string) => string | undefined;
  decide: DecideFn;
  dhcpRunning: boolean;
  responder: () => DhcpResponder;
  renderer: () => Promise<BootRenderer>;
}

export interface ExplainDeps {
  nodes: NodeRepository;
  /** Introspection state of a node (undefined when never introspected). */
  introspectionOf: (
    uuid: string,
  ) => { state: string; started_at: string; finished_at: string | null } | undefined;
  /** The URL nodes reach the daemon at (netboot.ts bootBaseUrl). */
  baseUrl: string;
}

export interface ExplainReport {
  mac: string;
  client: {
    arch: number | null;
    arch_name: string;
    user_class: string[];
    vendor_class: string | null;
    giaddr: string | null;
  };
  filter: { allowed: boolean; reason: string; unknown_macs: 'allow' | 'deny' };
  node: { uuid: string; name: string | null; introspection: Record<string, unknown> | null } | null;
  dhcp: {
    enabled: boolean;
    mode: string;
    /** offer / proxy-offer / ignored:<why>, as the DHCP server's decision counters name it. */
    outcome: string;
    message: string;
    would_reply: boolean;
    reply: ReplyFields | { error: string } | null;
  };
  boot_file: { file: string; next_server: string | null; via: 'tftp' | 'http' } | null;
  boot_config: {
    kind: BootConfigKind;
    /** TFTP path (pxelinux/GRUB) or HTTP path under /boot/ (iPXE). */
    path: string;
    url: string | null;
    text: string;
    token: string | null;
  } | null;
  urls: { ipxe_script: string; kernel: string; initramfs: string; callback: string };
  notes: string[];
}

/** The dry run itself: pure given its sources (the live responder is only read). */
export async function explainBoot(
  sources: ExplainSources,
  deps: ExplainDeps,
  q: ExplainQuery,
): Promise<ExplainReport> {
  const { config } = sources;
  const notes: string[] = [];
  const verdict = filterVerdict(sources.policy, q.mac, sources.clock.now());
  const nodeUuid = verdict.node ?? sources.nodeOf(q.mac);
  const nodeRecord = nodeUuid ? deps.nodes.get(nodeUuid) : undefined;
  const introspection = nodeUuid ? deps.introspectionOf(nodeUuid) : undefined;

  const packet = probePacket(q);
  let outcome: ReturnType<DhcpResponder['preview']> | null = null;
  try {
    outcome = sources.responder().preview(packet);
  } catch (error) {
    notes.push(`DHCP preview unavailable: ${(error as Error).message}`);
  }
  if (!sources.dhcpRunning)
    notes.push('[dhcp] enabled = false: this appliance sends no DHCP reply; shown is what it would send');
  const reply = outcome?.reply ? describeReply(outcome.reply.buffer) : null;
  const data = (outcome?.event.data ?? {}) as { bootFile?: string; nextServer?: string };
  const bootFile = data.bootFile;
  const httpBoot = bootFile !== undefined && /^https?:\/\//.test(bootFile);
  const boot_file =
    bootFile !== undefined
      ? {
          file: bootFile,
          next_server: httpBoot ? null : (data.nextServer ?? null),
          via: httpBoot ? ('http' as const) : ('tftp' as const),
        }
      : null;

  const base = deps.baseUrl;
  const h = config.http_boot;
  const urls = {
    ipxe_script: `${base}/boot/ipxe/${q.mac}.ipxe`,
    kernel: `${base}/boot/files/${h.kernel}`,
    initramfs: `${base}/boot/files/${h.initramfs}`,
    callback: `${base}/v1/continue`,
  };

  let boot_config: ExplainReport['boot_config'] = null;
  const target = bootConfigFor(bootFile, q.mac);
  if (target) {
    // A token is minted at render time only for a known node while callback_auth is on.
    const token = nodeRecord && config.processing.callback_auth !== 'none' ? TOKEN_PLACEHOLDER : undefined;
    try {
      const text = (await sources.renderer()).render(target.kind, q.mac, { token });
      boot_config = {
        kind: target.kind,
        path: target.path,
        url: target.kind === 'ipxe' ? urls.ipxe_script : null,
        text,
        token: token ?? null,
      };
    } catch (error) {
      notes.push(`boot config not rendered: ${(error as Error).message}`);
    }
    if (target.kind !== 'ipxe' && !config.tftp.enabled)
      notes.push(`[tftp] enabled = false: ${target.path} is not served by this appliance`);
    if (target.kind === 'ipxe' && !h.enabled)
      notes.push('[http_boot] enabled = false: the iPXE script is not served by this appliance');
  }
  if (!verdict.allowed && config.pxe_filter.driver === 'nftables' && !q.giaddr)
    notes.push('the nftables PXE filter drops this MAC in the kernel: the DHCP server never sees it');

  return {
    mac: q.mac,
    client: {
      arch: q.arch ?? null,
      arch_name: archName(q.arch),
      user_class: q.userClass ?? [],
      vendor_class: packet.options.has(Opt.VENDOR_CLASS)
        ? (packet.options.get(Opt.VENDOR_CLASS) as Buffer).toString('latin1')
        : null,
      giaddr: q.giaddr ?? null,
    },
    filter: { allowed: verdict.allowed, reason: verdict.reason, unknown_macs: sources.policy.unknown },
    node: nodeUuid
      ? {
          uuid: nodeUuid,
          name: nodeRecord?.name ?? null,
          introspection: introspection
            ? {
                state: introspection.state,
                started_at: introspection.started_at,
                finished_at: introspection.finished_at,
              }
            : null,
        }
      : null,
    dhcp: {
      enabled: sources.dhcpRunning,
      mode: config.dhcp.mode,
      outcome: outcome?.stat ?? 'unavailable',
      message: outcome?.event.message ?? 'no DHCP preview',
      would_reply: sources.dhcpRunning && outcome?.reply !== undefined,
      reply,
    },
    boot_file,
    boot_config,
    urls,
    notes,
  };
}

/** Human-readable lines for the CLI's table format are built there; the route serves JSON. */
export function registerExplainRoute(
  app: FastifyInstance,
  deps: ExplainDeps & { sources: () => ExplainSources },
): void {
  app.get('/v1/explain', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>) => {
    const query = parseExplainQuery(request.query);
    return explainBoot(deps.sources(), deps, query);
  });
}
