// accelerators: PCI devices matched against the known accelerator list ([accelerators]
// known_devices) → properties.accelerators [{vendor_id, device_id, type, device_info,
// pci_address}] (reference §5).
import {
  parseKnownDevices,
  acceleratorsFor,
  DEFAULT_KNOWN_ACCELERATORS_YAML,
} from '../hook-logic/accelerators.js';
import type { KnownDevice } from '../hook-logic/accelerators.js';
import { updateProperties, type ProcessingHook } from '../hook.js';

/** The reference's shipped list, used when no [accelerators] known_devices file was loaded.
 * A constant: parsed once here, not on every callback. */
const SHIPPED_DEVICES: readonly KnownDevice[] = (() => {
  const parsed = parseKnownDevices(DEFAULT_KNOWN_ACCELERATORS_YAML);
  return parsed.ok ? parsed.devices : [];
})();

export const acceleratorsHook: ProcessingHook = {
  name: 'accelerators',
  async beforeUpdate(data, context) {
    const known = context.settings.knownAccelerators ?? SHIPPED_DEVICES;
    const found = acceleratorsFor(data.pci_devices, known);
    if (found.length === 0) {
      context.log.info({}, 'no known accelerator among the PCI devices');
      return;
    }
    await updateProperties(context, { accelerators: found });
  },
};
