// capabilities: boot_mode (when [capabilities] boot_mode) and CPU-flag capabilities
// (vmx/svm → cpu_vt …) merged into properties.capabilities (reference §5).
import { asArray, asRecord, mergeCapabilities, type ProcessingHook } from '../hook.js';

export const capabilitiesHook: ProcessingHook = {
  name: 'capabilities',
  async beforeUpdate(data, context) {
    const inventory = asRecord(data.inventory);
    const caps: Record<string, string> = {};
    if (context.settings.capabilitiesBootMode) {
      const mode = asRecord(inventory.boot).current_boot_mode;
      if (typeof mode === 'string' && mode !== '') caps.boot_mode = mode;
    }
    const flags = new Set(asArray(asRecord(inventory.cpu).flags).map(String));
    for (const [flag, name] of Object.entries(context.settings.cpuFlags)) {
      if (flags.has(flag)) caps[name] = 'true';
    }
    await mergeCapabilities(context, caps);
  },
};
