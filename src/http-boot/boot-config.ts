// Pure renderers of the per-node boot configurations (pxelinux, GRUB, iPXE) from the templates in
// assets/templates/, plus the per-MAC file names the loaders ask for. Only loadBootTemplates reads.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../core/errors.js';
import { normalizeMac } from '../core/node.js';

export interface BootTemplates {
  pxelinux: string;
  grub: string;
  ipxe: string;
}

export type BootConfigKind = keyof BootTemplates;

export interface BootConfigInput {
  /** Kernel: a TFTP path for pxelinux/GRUB (`discovery.kernel`) or an URL for iPXE. */
  kernel: string;
  /** Initramfs: path or URL, like `kernel`. */
  initramfs: string;
  /** The ramdisk posts its inventory here (`ipa-inspection-callback-url`). */
  callbackUrl: string;
  /** Extra kernel arguments, appended as given (already space-separated tokens). */
  extraKernelArgs?: readonly string[];
  /** Per-node callback token (`inspectord-token=`), when the token feature is on. */
  token?: string;
  /** The node's MAC (any common notation): only used in the header comment. */
  mac?: string;
  /** IPA collectors (`ipa-inspection-collectors`); default `default,logs`. */
  collectors?: string;
  /** Serial console (`console=`); default `ttyS0,115200n8` (the lab VM and most BMC SOL). */
  console?: string;
}

/** assets/templates/ of this checkout (dist/src/http-boot → ../../../assets/templates). */
export function defaultTemplateDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${path.sep}dist${path.sep}`) ? ['..', '..', '..'] : ['..', '..'];
  return path.resolve(here, ...up, 'assets', 'templates');
}

export async function loadBootTemplates(dir = defaultTemplateDir()): Promise<BootTemplates> {
  const [pxelinux, grub, ipxe] = await Promise.all(
    ['pxelinux.cfg.tpl', 'grub.cfg.tpl', 'boot.ipxe.tpl'].map((f) => readFile(path.join(dir, f), 'utf8')),
  );
  return { pxelinux: pxelinux as string, grub: grub as string, ipxe: ipxe as string };
}

export { normalizeMac };

/** pxelinux per-MAC config name: `pxelinux.cfg/01-<mac with hyphens>` (01 = ARP type Ethernet). */
export function pxelinuxConfigPath(mac: string): string {
  return `pxelinux.cfg/01-${hyphenated(mac)}`;
}

/** GRUB (UEFI) per-MAC config name, looked up next to the GRUB image: `grub.cfg-01-<mac>`. */
export function grubConfigPath(mac: string): string {
  return `grub.cfg-01-${hyphenated(mac)}`;
}

/**
 * Recognises the per-MAC names the loaders request (for the TFTP resolve hook): pxelinux's
 * `pxelinux.cfg/01-…` and GRUB's `grub.cfg-01-…` (in the root or under `grub/`).
 */
export function parseBootConfigPath(relative: string): { kind: 'pxelinux' | 'grub'; mac: string } | null {
  const pxe = /^pxelinux\.cfg\/01-([0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2}){5})$/.exec(relative);
  if (pxe?.[1]) return { kind: 'pxelinux', mac: normalizeMac(pxe[1]) as string };
  const grub = /^(?:grub\/)?grub\.cfg-01-([0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2}){5})$/.exec(relative);
  if (grub?.[1]) return { kind: 'grub', mac: normalizeMac(grub[1]) as string };
  return null;
}

function hyphenated(mac: string): string {
  const normal = normalizeMac(mac);
  if (!normal) throw new AppError('ERR_BOOT_CONFIG_INVALID', `invalid MAC address: ${JSON.stringify(mac)}`);
  return normal.replace(/:/g, '-');
}

/** A value pasted into a config line must be one token: no whitespace, no quotes, no control bytes. */
function token(name: string, value: string): string {
  const control = [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (value === '' || control || /[\s"'\\;]/.test(value)) {
    throw new AppError(
      'ERR_BOOT_CONFIG_INVALID',
      `${name} must be a single token without quotes: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The kernel command line shared by all loaders (BOOTIF is added per loader). */
export function kernelCommandLine(input: BootConfigInput): string {
  const args = [
    `ipa-inspection-callback-url=${token('callbackUrl', input.callbackUrl)}`,
    `ipa-inspection-collectors=${token('collectors', input.collectors ?? 'default,logs')}`,
    `console=${token('console', input.console ?? 'ttyS0,115200n8')}`,
  ];
  if (input.token !== undefined) args.push(`inspectord-token=${token('token', input.token)}`);
  for (const extra of input.extraKernelArgs ?? []) args.push(token('extraKernelArgs', extra));
  return args.join(' ');
}

/** Renders one boot config; throws ERR_BOOT_CONFIG_INVALID on unsafe input (operator config). */
export function renderBootConfig(
  kind: BootConfigKind,
  templates: BootTemplates,
  input: BootConfigInput,
): string {
  const values: Record<string, string> = {
    kernel: token('kernel', input.kernel),
    initramfs: token('initramfs', input.initramfs),
    cmdline: kernelCommandLine(input),
    forMac: input.mac !== undefined ? ` for ${hyphenated(input.mac).replace(/-/g, ':')}` : '',
  };
  return templates[kind].replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
}
