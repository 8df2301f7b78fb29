// Where Debian installs the network boot loaders the appliance serves (pxelinux/syslinux-common
// and ipxe packages, installed by scripts/setup.sh); the composition root copies or maps them.
import { access } from 'node:fs/promises';

export type BootLoaderName =
  'pxelinux.0' | 'ldlinux.c32' | 'undionly.kpxe' | 'ipxe.efi' | 'snponly.efi' | 'ldlinux.e64';

/** Candidate system paths per boot file name, most likely first (Debian 12 package layout). */
export const bootLoaderCandidates: Readonly<Record<BootLoaderName, readonly string[]>> = {
  // pxelinux: BIOS PXE NBP; it then fetches ldlinux.c32 from the same TFTP directory.
  'pxelinux.0': ['/usr/lib/PXELINUX/pxelinux.0'],
  'ldlinux.c32': ['/usr/lib/syslinux/modules/bios/ldlinux.c32'],
  // iPXE: undionly.kpxe for BIOS PXE ROMs, ipxe.efi / snponly.efi for UEFI x64.
  'undionly.kpxe': ['/usr/lib/ipxe/undionly.kpxe'],
  'ipxe.efi': ['/usr/lib/ipxe/ipxe.efi', '/boot/ipxe.efi'],
  'snponly.efi': ['/usr/lib/ipxe/snponly.efi'],
  // syslinux.efi's companion (syslinux-efi is a demo-only package).
  'ldlinux.e64': ['/usr/lib/syslinux/modules/efi64/ldlinux.e64'],
};

/** The first existing path per boot file; `null` when the package is not installed. */
export async function findBootLoaders(
  exists: (path: string) => Promise<boolean> = (p) =>
    access(p).then(
      () => true,
      () => false,
    ),
): Promise<Record<BootLoaderName, string | null>> {
  const out = {} as Record<BootLoaderName, string | null>;
  for (const [name, candidates] of Object.entries(bootLoaderCandidates) as Array<
    [BootLoaderName, readonly string[]]
  >) {
    out[name] = null;
    for (const candidate of candidates) {
      if (await exists(candidate)) {
        out[name] = candidate;
        break;
      }
    }
  }
  return out;
}
