// accelerators hook logic: PCI devices from the ramdisk (`pci_devices` [{vendor_id,
// product_id, bus}]) matched against a YAML list of known accelerator devices, in ironic's
// known_devices format: `pci_devices: [{vendor_id, device_id, type, device_info}]`.
import { parse as parseYaml } from 'yaml';

export interface KnownDevice {
  vendor_id: string;
  device_id: string;
  type?: string;
  device_info?: string;
  [key: string]: unknown;
}

export interface Accelerator extends KnownDevice {
  pci_address: string | null;
}

/** ironic-inspector's shipped default (NVIDIA Tesla T4 and GV100GL). */
export const DEFAULT_KNOWN_ACCELERATORS_YAML = `pci_devices:
  - vendor_id: "10de"
    device_id: "1eb8"
    type: GPU
    device_info: NVIDIA Corporation Tesla T4
  - vendor_id: "10de"
    device_id: "1df6"
    type: GPU
    device_info: NVIDIA Corporation GV100GL
`;

export type KnownDevicesParse = { ok: true; devices: KnownDevice[] } | { ok: false; error: string };

function idText(v: unknown): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v.trim().toLowerCase();
  // An unquoted YAML id like 1234 is read as a number; keep its digits.
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return null;
}

/** Parse and check the known-devices YAML ([accelerators] known_devices); never throws. */
export function parseKnownDevices(yamlText: string): KnownDevicesParse {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (e) {
    return { ok: false, error: `known devices file is not valid YAML: ${(e as Error).message}` };
  }
  const list =
    typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['pci_devices'] : undefined;
  if (list === undefined) return { ok: false, error: 'Could not find pci_devices in the known devices file' };
  if (!Array.isArray(list)) return { ok: false, error: 'pci_devices should contain a list of devices' };
  const devices: KnownDevice[] = [];
  for (const [i, item] of list.entries()) {
    const dev = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const vendor = idText(dev['vendor_id']);
    const device = idText(dev['device_id']);
    if (!vendor || !device)
      return { ok: false, error: `pci_devices[${i}] is missing vendor_id or device_id` };
    devices.push({ ...dev, vendor_id: vendor, device_id: device });
  }
  return { ok: true, devices };
}

/** Every known accelerator among the PCI devices, with its bus address, in PCI order. */
export function acceleratorsFor(pciDevices: unknown, known: readonly KnownDevice[]): Accelerator[] {
  if (!Array.isArray(pciDevices)) return [];
  const out: Accelerator[] = [];
  for (const pci of pciDevices) {
    if (typeof pci !== 'object' || pci === null) continue;
    const p = pci as Record<string, unknown>;
    const vendor = idText(p['vendor_id']);
    const product = idText(p['product_id']);
    const match = known.find((k) => k.vendor_id === vendor && k.device_id === product);
    if (match) out.push({ ...match, pci_address: typeof p['bus'] === 'string' ? p['bus'] : null });
  }
  return out;
}
