// raid_device (discoverd root_device_hint): on the first run remember the disk serials in
// extra.block_devices; on the next run exactly one new serial becomes properties.root_device
// (the RAID volume created meanwhile) (reference §5).
import type { ProcessingHook } from '../hook.js';
import { raidDevice, raidDeviceLocalGb } from '../hook-logic/raid-device.js';

export const raidDeviceHook: ProcessingHook = {
  name: 'raid_device',
  beforeProcessing(data) {
    // Before RAID exists the node may report no usable disk; a fake 1 GiB keeps checks passing.
    const fake = raidDeviceLocalGb(data);
    if (fake !== null) data.local_gb = fake;
  },
  async beforeUpdate(data, context) {
    const decision = raidDevice(data, context.node);
    switch (decision.action) {
      case 'none':
        context.log.info({}, decision.reason);
        return;
      case 'remember':
        await context.nodes.update(context.node.uuid, (node) => {
          node.extra.block_devices = decision.blockDevices;
        });
        return;
      case 'set-root':
        context.log.info({ serial: decision.rootDevice.serial }, 'root device found by RAID serial diff');
        await context.nodes.update(context.node.uuid, (node) => {
          node.properties.root_device = decision.rootDevice;
          delete node.extra.block_devices;
        });
    }
  },
};
