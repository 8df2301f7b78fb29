// IPMI command encoders and response decoders (application and chassis network functions).
// Each command is a spec (netFn, cmd, data, decode); decoders return a Result and never throw.
// IPMI v2.0 §20 (device), §22 (session/user), §28 (chassis), §28.13 Table 28-14 (boot options).
import { fail, ok, type LanResponse, type Result } from './rmcp.js';

export const NETFN = { chassis: 0x00, app: 0x06 } as const;

/** Completion codes we name in messages or tolerate (IPMI v2.0 §5.2 Table 5-2). */
export const CC = {
  ok: 0x00,
  nodeBusy: 0xc0,
  invalidCommand: 0xc1,
  timeout: 0xc3,
  outOfSpace: 0xc4,
  requestLengthInvalid: 0xc7,
  parameterOutOfRange: 0xc9,
  invalidDataField: 0xcc,
  duplicateRequest: 0xcf,
  insufficientPrivilege: 0xd4,
} as const;

export interface CommandSpec<T> {
  /** For errors and events, e.g. "Get Chassis Status". */
  name: string;
  netFn: number;
  cmd: number;
  data: Buffer;
  /** Completion codes other than 00h that the caller handles itself (decode sees them). */
  tolerate?: readonly number[];
  decode(response: LanResponse): Result<T>;
}

const noData = (): Result<void> => ok(undefined);

export function completionCodeText(cc: number): string {
  const names: Record<number, string> = {
    0xc0: 'node busy',
    0xc1: 'invalid command',
    0xc2: 'command invalid for given LUN',
    0xc3: 'timeout while processing command',
    0xc4: 'out of space',
    0xc5: 'reservation cancelled or invalid',
    0xc6: 'request data truncated',
    0xc7: 'request data length invalid',
    0xc8: 'request data field length limit exceeded',
    0xc9: 'parameter out of range',
    0xca: 'cannot return number of requested data bytes',
    0xcb: 'requested sensor, data, or record not present',
    0xcc: 'invalid data field in request',
    0xcd: 'command illegal for specified sensor or record type',
    0xce: 'command response could not be provided',
    0xcf: 'cannot execute duplicated request',
    0xd0: 'SDR repository in update mode',
    0xd1: 'device in firmware update mode',
    0xd2: 'BMC initialization in progress',
    0xd3: 'destination unavailable',
    0xd4: 'insufficient privilege level',
    0xd5: 'command not supported in present state',
    0xd6: 'command sub-function disabled or unavailable',
    0xff: 'unspecified error',
  };
  return `0x${cc.toString(16).padStart(2, '0')} (${names[cc] ?? 'command-specific'})`;
}

// ---------------------------------------------------------------- privilege levels (§6.8)

export const PRIVILEGE = {
  callback: 1,
  user: 2,
  operator: 3,
  administrator: 4,
  oem: 5,
  noAccess: 0x0f,
} as const;

// ---------------------------------------------------------------- Get Channel Authentication Capabilities (§22.13)

export interface AuthCapabilities {
  /** The channel the request arrived on: the LAN channel to use in user-access commands. */
  channel: number;
  authTypes: { none: boolean; md2: boolean; md5: boolean; straight: boolean; oem: boolean };
  v2ExtendedData: boolean;
  /** K_G is set to a non-zero value: SIK must use the BMC key, not KUID. */
  kgSet: boolean;
  perMessageAuthDisabled: boolean;
  userLevelAuthDisabled: boolean;
  nonNullUsers: boolean;
  nullUsers: boolean;
  anonymousLogin: boolean;
  ipmi20: boolean;
  ipmi15: boolean;
  oemIana: number;
}

/** `8E 04` = this channel, ask for IPMI v2.0 extended data, maximum privilege Administrator. */
export function getChannelAuthCapabilities(
  opts: { channel?: number; v2?: boolean; privilege?: number } = {},
): CommandSpec<AuthCapabilities> {
  const v2 = opts.v2 ?? true;
  return {
    name: 'Get Channel Authentication Capabilities',
    netFn: NETFN.app,
    cmd: 0x38,
    data: Buffer.from([
      ((opts.channel ?? 0x0e) & 0x0f) | (v2 ? 0x80 : 0),
      opts.privilege ?? PRIVILEGE.administrator,
    ]),
    decode: (r) => {
      const d = r.data;
      if (d.length < 8) return fail(`auth capabilities response too short (${d.length} bytes)`);
      const types = d[1]!;
      const flags = d[2]!;
      const ext = d[3]!;
      const v2ExtendedData = (types & 0x80) !== 0;
      return ok({
        channel: d[0]! & 0x0f,
        authTypes: {
          none: (types & 0x01) !== 0,
          md2: (types & 0x02) !== 0,
          md5: (types & 0x04) !== 0,
          straight: (types & 0x10) !== 0,
          oem: (types & 0x20) !== 0,
        },
        v2ExtendedData,
        kgSet: (flags & 0x20) !== 0,
        perMessageAuthDisabled: (flags & 0x10) !== 0,
        userLevelAuthDisabled: (flags & 0x08) !== 0,
        nonNullUsers: (flags & 0x04) !== 0,
        nullUsers: (flags & 0x02) !== 0,
        anonymousLogin: (flags & 0x01) !== 0,
        ipmi20: v2ExtendedData && (ext & 0x02) !== 0,
        ipmi15: !v2ExtendedData || (ext & 0x01) !== 0,
        oemIana: d[4]! | (d[5]! << 8) | (d[6]! << 16),
      });
    },
  };
}

// ---------------------------------------------------------------- Get Device ID (§20.1)

export interface DeviceId {
  deviceId: number;
  deviceRevision: number;
  providesSdrs: boolean;
  firmwareMajor: number;
  /** BCD-decoded minor revision. */
  firmwareMinor: number;
  updateInProgress: boolean;
  /** e.g. "2.0". */
  ipmiVersion: string;
  additionalSupport: number;
  manufacturerId: number;
  productId: number;
}

export function getDeviceId(): CommandSpec<DeviceId> {
  return {
    name: 'Get Device ID',
    netFn: NETFN.app,
    cmd: 0x01,
    data: Buffer.alloc(0),
    decode: (r) => {
      const d = r.data;
      if (d.length < 11) return fail(`Get Device ID response too short (${d.length} bytes)`);
      const bcd = (b: number) => (b >> 4) * 10 + (b & 0x0f);
      return ok({
        deviceId: d[0]!,
        deviceRevision: d[1]! & 0x0f,
        providesSdrs: (d[1]! & 0x80) !== 0,
        firmwareMajor: d[2]! & 0x7f,
        updateInProgress: (d[2]! & 0x80) !== 0,
        firmwareMinor: bcd(d[3]!),
        ipmiVersion: `${d[4]! & 0x0f}.${d[4]! >> 4}`,
        additionalSupport: d[5]!,
        manufacturerId: d[6]! | (d[7]! << 8) | ((d[8]! & 0x0f) << 16),
        productId: d[9]! | (d[10]! << 8),
      });
    },
  };
}

// ---------------------------------------------------------------- chassis (§28.2, §28.3)

export interface ChassisStatus {
  powerOn: boolean;
  powerOverload: boolean;
  interlock: boolean;
  powerFault: boolean;
  controlFault: boolean;
  /** 0 stay off, 1 restore previous, 2 always on, 3 unknown. */
  restorePolicy: number;
  lastPowerEvent: number;
  misc: number;
}

export function getChassisStatus(): CommandSpec<ChassisStatus> {
  return {
    name: 'Get Chassis Status',
    netFn: NETFN.chassis,
    cmd: 0x01,
    data: Buffer.alloc(0),
    decode: (r) => {
      const d = r.data;
      if (d.length < 3) return fail(`Get Chassis Status response too short (${d.length} bytes)`);
      const b1 = d[0]!;
      return ok({
        powerOn: (b1 & 0x01) !== 0,
        powerOverload: (b1 & 0x02) !== 0,
        interlock: (b1 & 0x04) !== 0,
        powerFault: (b1 & 0x08) !== 0,
        controlFault: (b1 & 0x10) !== 0,
        restorePolicy: (b1 >> 5) & 0x03,
        lastPowerEvent: d[1]!,
        misc: d[2]!,
      });
    },
  };
}

export type ChassisAction = 'off' | 'on' | 'cycle' | 'reset' | 'diag' | 'soft';
export const CHASSIS_CONTROL: Record<ChassisAction, number> = {
  off: 0x00,
  on: 0x01,
  cycle: 0x02,
  reset: 0x03,
  diag: 0x04,
  soft: 0x05,
};

export function chassisControl(action: ChassisAction): CommandSpec<void> {
  return {
    name: `Chassis Control (${action})`,
    netFn: NETFN.chassis,
    cmd: 0x02,
    data: Buffer.from([CHASSIS_CONTROL[action]]),
    decode: noData,
  };
}

// ---------------------------------------------------------------- system boot options (§28.12, §28.13)

export type BootDeviceName = 'none' | 'pxe' | 'disk' | 'safe' | 'diag' | 'cdrom' | 'bios' | 'floppy';
/** Boot flags data 2 bits 5:2 (Table 28-14, parameter 5), shifted into place. */
export const BOOT_DEVICE_SELECTOR: Record<BootDeviceName, number> = {
  none: 0x00,
  pxe: 0x04,
  disk: 0x08,
  safe: 0x0c,
  diag: 0x10,
  cdrom: 0x14,
  bios: 0x18,
  floppy: 0x3c,
};

export interface BootFlags {
  valid: boolean;
  /** false = applies to the next boot only. */
  persistent: boolean;
  efi: boolean;
  device: BootDeviceName | 'unknown';
  deviceSelector: number;
}

/** Parameter 5 data: d1 bit7 valid, bit6 persistent, bit5 EFI; d2 bits5:2 device; d3–d5 0. */
export function encodeBootFlags(device: BootDeviceName, opts: { persistent: boolean; efi: boolean }): Buffer {
  const d1 = 0x80 | (opts.persistent ? 0x40 : 0) | (opts.efi ? 0x20 : 0);
  return Buffer.from([d1, BOOT_DEVICE_SELECTOR[device], 0x00, 0x00, 0x00]);
}

export function decodeBootFlags(d: Uint8Array): Result<BootFlags> {
  if (d.length < 2) return fail(`boot flags too short (${d.length} bytes)`);
  const selector = d[1]! & 0x3c;
  const device = (Object.entries(BOOT_DEVICE_SELECTOR).find(([, v]) => v === selector)?.[0] ?? 'unknown') as
    BootDeviceName | 'unknown';
  return ok({
    valid: (d[0]! & 0x80) !== 0,
    persistent: (d[0]! & 0x40) !== 0,
    efi: (d[0]! & 0x20) !== 0,
    device,
    deviceSelector: selector,
  });
}

export const BOOT_PARAM = { setInProgress: 0x00, bootInfoAck: 0x04, bootFlags: 0x05 } as const;

export function setSystemBootOptions(parameter: number, data: Uint8Array, tolerate: readonly number[] = []) {
  const spec: CommandSpec<number> = {
    name: `Set System Boot Options (parameter ${parameter})`,
    netFn: NETFN.chassis,
    cmd: 0x08,
    data: Buffer.concat([Buffer.from([parameter & 0x7f]), data]),
    tolerate,
    decode: (r) => ok(r.cc),
  };
  return spec;
}

export interface BootOptionParameter {
  version: number;
  parameter: number;
  /** Parameter valid bit is 0 when the BMC marks it invalid/locked (bit7 of the parameter byte). */
  invalid: boolean;
  data: Buffer;
}

export function getSystemBootOptions(
  parameter: number,
  setSelector = 0,
  blockSelector = 0,
): CommandSpec<BootOptionParameter> {
  return {
    name: `Get System Boot Options (parameter ${parameter})`,
    netFn: NETFN.chassis,
    cmd: 0x09,
    data: Buffer.from([parameter & 0x7f, setSelector, blockSelector]),
    decode: (r) => {
      const d = r.data;
      if (d.length < 2) return fail(`Get System Boot Options response too short (${d.length} bytes)`);
      return ok({
        version: d[0]!,
        parameter: d[1]! & 0x7f,
        invalid: (d[1]! & 0x80) !== 0,
        data: Buffer.from(d.subarray(2)),
      });
    },
  };
}

// ---------------------------------------------------------------- users (§22.26–§22.30)

function checkUid(uid: number): void {
  // Programming error, not peer input: callers pass a slot number they chose.
  if (!Number.isInteger(uid) || uid < 1 || uid > 63)
    throw new RangeError(`user ID ${uid} out of range 1..63`);
}

export function setUserName(uid: number, name: string): CommandSpec<void> {
  checkUid(uid);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 16) throw new RangeError('IPMI user names are at most 16 bytes');
  const data = Buffer.alloc(17);
  data[0] = uid;
  bytes.copy(data, 1);
  return { name: `Set User Name (uid ${uid})`, netFn: NETFN.app, cmd: 0x45, data, decode: noData };
}

export function getUserName(uid: number): CommandSpec<string> {
  checkUid(uid);
  return {
    name: `Get User Name (uid ${uid})`,
    netFn: NETFN.app,
    cmd: 0x46,
    data: Buffer.from([uid]),
    decode: (r) => {
      if (r.data.length < 16) return fail(`Get User Name response too short (${r.data.length} bytes)`);
      const raw = r.data.subarray(0, 16);
      const end = raw.indexOf(0);
      const name = raw.subarray(0, end === -1 ? 16 : end);
      // Some BMCs fill empty slots with FFh instead of 00h.
      if (name.every((b) => b === 0xff)) return ok('');
      return ok(name.toString('utf8'));
    },
  };
}

export type PasswordOperation = 'disable' | 'enable' | 'set' | 'test';
const PASSWORD_OP: Record<PasswordOperation, number> = { disable: 0x00, enable: 0x01, set: 0x02, test: 0x03 };

/**
 * Set User Password: b1 bit7 = 20-byte form, bits5:0 uid; b2 operation; password (16 or 20 bytes,
 * zero-padded) for set/test. ipmitool sends 16 zero bytes with enable/disable too; so do we.
 * CC 80h = test failed (wrong password), 81h = wrong password size.
 */
export function setUserPassword(
  uid: number,
  operation: PasswordOperation,
  password = '',
  form: 16 | 20 = 20,
): CommandSpec<number> {
  checkUid(uid);
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length > form) throw new RangeError(`password longer than the ${form}-byte form`);
  const withPassword = operation === 'set' || operation === 'test';
  const size = withPassword ? form : 16;
  const data = Buffer.alloc(2 + size);
  data[0] = (withPassword && form === 20 ? 0x80 : 0x00) | (uid & 0x3f);
  data[1] = PASSWORD_OP[operation];
  if (withPassword) bytes.copy(data, 2);
  return {
    name: `Set User Password (uid ${uid}, ${operation}${withPassword ? `, ${form}-byte form` : ''})`,
    netFn: NETFN.app,
    cmd: 0x47,
    data,
    tolerate: operation === 'test' ? [0x80, 0x81] : [],
    decode: (r) => ok(r.cc),
  };
}

export interface UserAccessRequest {
  channel: number;
  uid: number;
  privilege: number;
  linkAuth: boolean;
  ipmiMessaging: boolean;
  callbackOnly?: boolean;
  /** 0 = no limit (byte omitted). */
  sessionLimit?: number;
}

/** Set User Access: b1 bit7 change bits 6:4, bit6 callback-only, bit5 link auth, bit4 IPMI messaging, bits3:0 channel. */
export function setUserAccess(req: UserAccessRequest): CommandSpec<void> {
  checkUid(req.uid);
  const b1 =
    0x80 |
    (req.callbackOnly ? 0x40 : 0) |
    (req.linkAuth ? 0x20 : 0) |
    (req.ipmiMessaging ? 0x10 : 0) |
    (req.channel & 0x0f);
  const bytes = [b1, req.uid & 0x3f, req.privilege & 0x0f];
  if (req.sessionLimit) bytes.push(req.sessionLimit & 0x0f);
  else bytes.push(0x00);
  return {
    name: `Set User Access (uid ${req.uid})`,
    netFn: NETFN.app,
    cmd: 0x43,
    data: Buffer.from(bytes),
    decode: noData,
  };
}

export interface UserAccess {
  maxUsers: number;
  enabledUsers: number;
  /** Bits 7:6 of byte 2 (IPMI v2.0 §22.27): the queried user's enable status. */
  status: 'unspecified' | 'enabled' | 'disabled' | 'reserved';
  fixedNames: number;
  callbackOnly: boolean;
  linkAuth: boolean;
  ipmiMessaging: boolean;
  privilege: number;
}

export function getUserAccess(channel: number, uid: number): CommandSpec<UserAccess> {
  checkUid(uid);
  return {
    name: `Get User Access (uid ${uid})`,
    netFn: NETFN.app,
    cmd: 0x44,
    data: Buffer.from([channel & 0x0f, uid & 0x3f]),
    decode: (r) => {
      const d = r.data;
      if (d.length < 4) return fail(`Get User Access response too short (${d.length} bytes)`);
      const statuses = ['unspecified', 'enabled', 'disabled', 'reserved'] as const;
      return ok({
        maxUsers: d[0]! & 0x3f,
        enabledUsers: d[1]! & 0x3f,
        status: statuses[(d[1]! >> 6) & 0x03]!,
        fixedNames: d[2]! & 0x3f,
        callbackOnly: (d[3]! & 0x40) !== 0,
        linkAuth: (d[3]! & 0x20) !== 0,
        ipmiMessaging: (d[3]! & 0x10) !== 0,
        privilege: d[3]! & 0x0f,
      });
    },
  };
}

// ---------------------------------------------------------------- session (§22.18, §22.19)

export function setSessionPrivilege(privilege: number): CommandSpec<number> {
  return {
    name: 'Set Session Privilege Level',
    netFn: NETFN.app,
    cmd: 0x3b,
    data: Buffer.from([privilege & 0x0f]),
    decode: (r) =>
      r.data.length < 1 ? fail('Set Session Privilege response without a level') : ok(r.data[0]! & 0x0f),
  };
}

export function closeSession(bmcSessionId: number): CommandSpec<void> {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(bmcSessionId >>> 0, 0);
  return { name: 'Close Session', netFn: NETFN.app, cmd: 0x3c, data, decode: noData };
}
