// pci_devices: counts data.pci_devices matching [pci_devices] alias entries into capabilities
// `<name>:<count>` (reference §5).
import { asArray, asRecord, mergeCapabilities, type ProcessingHook } from '../hook.js';

export const pciDevicesHook: ProcessingHook = {
  name: 'pci_devices',
  async beforeUpdate(data, context) {
    const aliases = context.settings.pciAliases;
    if (aliases.length === 0) return;
    const devices = asArray(data.pci_devices).map(asRecord);
    if (devices.length === 0) {
      context.log.warn(
        {},
        'no PCI devices in the data; is the pci-devices collector enabled in the ramdisk?',
      );
      return;
    }
    const counts: Record<string, string> = {};
    for (const alias of aliases) {
      const n = devices.filter(
        (d) =>
          String(d.vendor_id).toLowerCase() === alias.vendor_id.toLowerCase() &&
          String(d.product_id).toLowerCase() === alias.product_id.toLowerCase(),
      ).length;
      if (n > 0) counts[alias.name] = String(n);
    }
    await mergeCapabilities(context, counts);
  },
};
