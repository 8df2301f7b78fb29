// PowerControl port: how the introspection flow powers nodes and sets their boot device.
// The IPMI adapter (src/ipmi) implements it; core never knows the protocol.

export interface BmcTarget {
  address: string;
  /** UDP port, `driver_info.ipmi_port` (default 623). */
  port: number;
  username: string;
  password: string;
  /** Node UUID, for events and logs only. */
  node?: string;
}

export type PowerState = 'power on' | 'power off';
export type PowerAction = 'on' | 'off' | 'cycle' | 'reset' | 'soft';
export type BootDevice = 'pxe' | 'disk' | 'bios' | 'cdrom';

export interface BootDeviceOptions {
  /** false = next boot only (IPMI boot flags "valid, once"). */
  persistent: boolean;
  /** true = EFI boot type; false = legacy BIOS. */
  efi?: boolean;
}

export interface PowerControl {
  /** Opens and closes a session: proves address and credentials. Throws AppError on failure. */
  validate(target: BmcTarget): Promise<void>;
  getPowerState(target: BmcTarget): Promise<PowerState>;
  setPower(target: BmcTarget, action: PowerAction): Promise<void>;
  setBootDevice(target: BmcTarget, device: BootDevice, options: BootDeviceOptions): Promise<void>;
}
