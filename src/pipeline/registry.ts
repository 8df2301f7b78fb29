// The table of built-in processing hooks, by the names [processing] processing_hooks uses.
import type { ProcessingHook } from './hook.js';
import { capabilitiesHook } from './hooks/capabilities.js';
import { pciDevicesHook } from './hooks/pci-devices.js';
import { ramdiskErrorHook } from './hooks/ramdisk-error.js';
import { rootDiskSelectionHook } from './hooks/root-disk-selection.js';
import { schedulerHook } from './hooks/scheduler.js';
import { validateInterfacesHook } from './hooks/validate-interfaces.js';
import { extraHardwareHook } from './hooks/extra-hardware.js';
import { raidDeviceHook } from './hooks/raid-device.js';
import { lldpBasicHook } from './hooks/lldp-basic.js';
import { localLinkConnectionHook } from './hooks/local-link-connection.js';
import { physnetCidrMapHook } from './hooks/physnet-cidr-map.js';
import { acceleratorsHook } from './hooks/accelerators.js';
import { exampleHook } from './hooks/example.js';

export const builtinHooks: readonly ProcessingHook[] = [
  ramdiskErrorHook,
  rootDiskSelectionHook,
  schedulerHook,
  validateInterfacesHook,
  capabilitiesHook,
  pciDevicesHook,
  extraHardwareHook,
  raidDeviceHook,
  lldpBasicHook,
  localLinkConnectionHook,
  physnetCidrMapHook,
  acceleratorsHook,
  exampleHook,
];

export function hookRegistry(extra: readonly ProcessingHook[] = []): Map<string, ProcessingHook> {
  const map = new Map<string, ProcessingHook>();
  for (const hook of [...builtinHooks, ...extra]) map.set(hook.name, hook);
  return map;
}

/** Load an external hook module (`[hooks] external = name=/path/module.js`): default export or `hook`. */
export async function loadExternalHook(name: string, modulePath: string): Promise<ProcessingHook> {
  const mod = (await import(modulePath)) as { default?: unknown; hook?: unknown };
  const hook = (mod.default ?? mod.hook) as ProcessingHook | undefined;
  if (
    !hook ||
    typeof hook !== 'object' ||
    (typeof hook.beforeProcessing !== 'function' && typeof hook.beforeUpdate !== 'function')
  ) {
    throw new Error(
      `module ${modulePath} does not export a processing hook (default export with beforeProcessing/beforeUpdate)`,
    );
  }
  return { ...hook, name };
}
