// raid_device hook logic (ironic-inspector raid_device / discoverd root_device_hint): learn the
// root disk after RAID creation by diffing disk serials against the ones saved on a first run.

/** Disk serials from the IPA inventory, or the legacy `block_devices.serials`. */
export function diskSerials(data: Record<string, unknown>): string[] {
  const inventory = data['inventory'];
  if (typeof inventory === 'object' && inventory !== null) {
    const disks = (inventory as Record<string, unknown>)['disks'];
    if (!Array.isArray(disks)) return [];
    return disks
      .map((d: unknown) =>
        typeof d === 'object' && d !== null ? (d as Record<string, unknown>)['serial'] : undefined,
      )
      .filter((s): s is string => typeof s === 'string' && s !== '');
  }
  const legacy = data['block_devices'];
  if (typeof legacy === 'object' && legacy !== null) {
    const serials = (legacy as Record<string, unknown>)['serials'];
    if (Array.isArray(serials)) return serials.filter((s): s is string => typeof s === 'string' && s !== '');
  }
  return [];
}

/** Phase 1: a missing/zero local_gb is faked as 1 so later checks pass until RAID exists. */
export function raidDeviceLocalGb(data: Record<string, unknown>): number | null {
  return data['local_gb'] ? null : 1;
}

export type RaidDecision =
  | { action: 'none'; reason: string }
  /** First run: save the serials in node.extra.block_devices = {serials}. */
  | { action: 'remember'; blockDevices: { serials: string[] } }
  /** Second run: exactly one new disk → properties.root_device = {serial}; remove extra.block_devices. */
  | { action: 'set-root'; rootDevice: { serial: string } };

/** Phase 2 decision from the data and the node's properties/extra. */
export function raidDevice(
  data: Record<string, unknown>,
  node: { properties: Record<string, unknown>; extra: Record<string, unknown> },
): RaidDecision {
  const current = diskSerials(data);
  if (current.length === 0) return { action: 'none', reason: 'No block device was received from ramdisk' };
  if ('root_device' in node.properties)
    return { action: 'none', reason: 'Root device is already known for the node' };
  const saved = node.extra['block_devices'];
  if (saved === undefined) return { action: 'remember', blockDevices: { serials: current } };
  const previous =
    typeof saved === 'object' &&
    saved !== null &&
    Array.isArray((saved as Record<string, unknown>)['serials'])
      ? ((saved as Record<string, unknown>)['serials'] as unknown[])
      : [];
  const added = current.filter((s) => !previous.includes(s));
  if (added.length > 1) {
    return {
      action: 'none',
      reason: 'Root device cannot be identified because multiple new devices were found',
    };
  }
  const serial = added[0];
  if (serial === undefined) return { action: 'none', reason: 'No new devices were found' };
  return { action: 'set-root', rootDevice: { serial } };
}
