// PXE boot-file selection: which file (or URL) a network-booting client gets, from its client
// architecture (option 93, RFC 4578 §2.1 / IANA "Processor Architecture Types"), its vendor class
// (option 60 `PXEClient` / `HTTPClient`) and user class (option 77 `iPXE`, RFC 3004).
import { Opt, getClientArch, getUserClasses, getVendorClass, optSub, type DhcpPacket } from './packet.js';

/** IANA processor architecture types the defaults know by name. */
export const ArchNames: Readonly<Record<number, string>> = {
  0: 'BIOS',
  6: 'UEFI ia32',
  7: 'UEFI x64',
  9: 'UEFI x64',
  10: 'UEFI arm32',
  11: 'UEFI arm64',
  15: 'UEFI ia32 HTTP',
  16: 'UEFI x64 HTTP',
  19: 'UEFI arm64 HTTP',
};

export function archName(arch: number | undefined): string {
  if (arch === undefined) return 'none';
  return ArchNames[arch] ?? `arch 0x${arch.toString(16).padStart(2, '0')}`;
}

export interface BootFileOptions {
  /**
   * Boot file per option-93 architecture (decimal keys). A value starting with `http://` or
   * `https://` is an HTTP-boot URL (templated like `ipxeScriptUrl`). Unlisted arches are ignored.
   */
  archMap: Readonly<Record<number, string>>;
  /**
   * Where iPXE clients (option 77 `iPXE`) go: an HTTP iPXE script, so iPXE does not chainload
   * itself again. `${server}`, `${port}`, `${mac}` (aa:bb:…) and `${mac-hyphen}` are replaced.
   */
  ipxeScriptUrl: string;
  /** HTTP port of the daemon, for `${port}`. */
  httpPort: number;
  /** Send iPXE option 175.176 (no-pxedhcp = 1) to iPXE clients: no wait for ProxyDHCP offers. */
  sendIpxeNoPxedhcp: boolean;
}

export const defaultBootFiles: BootFileOptions = {
  archMap: {
    0: 'pxelinux.0',
    7: 'grubx64.efi',
    9: 'grubx64.efi',
    11: 'grubaa64.efi',
    16: 'http://${server}:${port}/boot/ipxe.efi',
  },
  ipxeScriptUrl: 'http://${server}:${port}/boot/ipxe/${mac}.ipxe',
  httpPort: 8080,
  sendIpxeNoPxedhcp: true,
};

export interface ClientKind {
  /** First option-93 value, or the `Arch:NNNNN` of a `PXEClient:` vendor class. */
  arch: number | undefined;
  userClasses: string[];
  vendorClass: string | undefined;
  isIpxe: boolean;
  /** Vendor class starts with `PXEClient` or `HTTPClient`, or option 93 is present. */
  isPxe: boolean;
  isHttpClient: boolean;
}

const vendorArch = /^(?:PXEClient|HTTPClient):Arch:(\d{5})/;

export function classifyClient(p: DhcpPacket): ClientKind {
  const vendorClass = p.options.has(Opt.VENDOR_CLASS) ? getVendorClass(p) : undefined;
  const userClasses = p.options.has(Opt.USER_CLASS) ? getUserClasses(p) : [];
  let arch = getClientArch(p)?.[0];
  if (arch === undefined && vendorClass) {
    const m = vendorArch.exec(vendorClass);
    if (m) arch = Number(m[1]);
  }
  const isIpxe = userClasses.includes('iPXE');
  const isHttpClient = vendorClass?.startsWith('HTTPClient') ?? false;
  const isPxe =
    arch !== undefined || isIpxe || isHttpClient || (vendorClass?.startsWith('PXEClient') ?? false);
  return { arch, userClasses, vendorClass, isIpxe, isPxe, isHttpClient };
}

export type BootSelection =
  | { kind: 'none' } // not a network-booting client (e.g. the ramdisk's udhcpc): address only
  | { kind: 'file'; bootFile: string; http: boolean; label: string; ipxe: boolean }
  | { kind: 'unmapped'; reason: string };

export function expandTemplate(
  template: string,
  vars: { server: string; port: number; mac: string },
): string {
  return template
    .replaceAll('${server}', vars.server)
    .replaceAll('${port}', String(vars.port))
    .replaceAll('${mac-hyphen}', vars.mac.replaceAll(':', '-'))
    .replaceAll('${mac}', vars.mac);
}

/** Choose the boot file for a client. iPXE wins over the architecture (breaks the chainload loop). */
export function selectBootFile(
  kind: ClientKind,
  options: BootFileOptions,
  vars: { server: string; mac: string },
): BootSelection {
  const tvars = { ...vars, port: options.httpPort };
  if (kind.isIpxe) {
    return {
      kind: 'file',
      bootFile: expandTemplate(options.ipxeScriptUrl, tvars),
      http: true,
      label: 'iPXE',
      ipxe: true,
    };
  }
  if (!kind.isPxe) return { kind: 'none' };
  if (kind.arch === undefined) return { kind: 'unmapped', reason: 'PXE client without architecture' };
  const file = options.archMap[kind.arch];
  if (file === undefined || file === '') {
    return { kind: 'unmapped', reason: `arch 0x${kind.arch.toString(16).padStart(2, '0')} unmapped` };
  }
  const http = /^https?:\/\//.test(file);
  return {
    kind: 'file',
    bootFile: http ? expandTemplate(file, tvars) : file,
    http,
    label: `arch ${archName(kind.arch)}`,
    ipxe: false,
  };
}

/** Option 175 value carrying 176 (no-pxedhcp) = 1: iPXE skips its ProxyDHCP wait. */
export const ipxeNoPxedhcp: Buffer = optSub([[176, Buffer.from([1])]]);

/**
 * PXE option 43 for proxyDHCP offers (PXE spec 2.1 §2.4.3): sub-option 6 PXE_DISCOVERY_CONTROL
 * bit 3 = "boot file present: download it directly", so no boot-server menu is needed.
 */
export const pxeVendorOptions: Buffer = optSub([[6, Buffer.from([0x08])]], true);
