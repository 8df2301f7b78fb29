// PowerControl port over IPMI: validate credentials, read/set chassis power, set the boot device.
// Emits one event per action to the node's timeline; passwords never leave BmcTarget.
// Chassis Control / Get Chassis Status IPMI v2.0 §28.2–§28.3; boot flags §28.13 (parameter 5).
import type { Logger } from 'pino';
import { AppError, isAppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type {
  BmcTarget,
  BootDevice,
  BootDeviceOptions,
  PowerAction,
  PowerControl,
  PowerState,
} from '../core/power.js';
import { bmcLabel, type IpmiSession, type IpmiSessionRunner, type SessionOverrides } from './client.js';
import {
  BOOT_PARAM,
  CC,
  chassisControl,
  decodeBootFlags,
  encodeBootFlags,
  getChassisStatus,
  getSystemBootOptions,
  setSystemBootOptions,
  type ChassisAction,
} from './commands.js';

export interface IpmiPowerControlDeps {
  client: IpmiSessionRunner;
  events: EventSink;
  log: Logger;
  /** Per-target session settings, e.g. `{ allowIpmi15Md5: true }` for nodes configured for IPMI 1.5. */
  sessionOverrides?: (target: BmcTarget) => SessionOverrides;
}

/** Completion codes a BMC may answer for the optional boot-option parameters 0 and 4. */
const OPTIONAL_PARAM_CCS = [0x80, CC.invalidCommand, CC.parameterOutOfRange, CC.invalidDataField];

/** Checks what we can before touching the network: a bad record is the operator's to fix. */
export function checkTarget(target: BmcTarget): void {
  const problems: string[] = [];
  if (!target.address) problems.push('no BMC address');
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
    problems.push('invalid BMC port');
  if (typeof target.username !== 'string') problems.push('no BMC username');
  else if (Buffer.byteLength(target.username, 'utf8') > 16)
    problems.push('BMC username longer than 16 bytes');
  if (typeof target.password !== 'string') problems.push('no BMC password');
  else if (Buffer.byteLength(target.password, 'utf8') > 20)
    problems.push('BMC password longer than 20 bytes');
  if (problems.length > 0) {
    throw new AppError('ERR_IPMI_NO_CREDENTIALS', `Invalid BMC settings: ${problems.join(', ')}`);
  }
}

export class IpmiPowerControl implements PowerControl {
  constructor(private readonly deps: IpmiPowerControlDeps) {}

  async validate(target: BmcTarget): Promise<void> {
    await this.guard(target, 'validate', async () => {
      checkTarget(target);
      const summary = await this.deps.client.validate(target, this.overrides(target));
      this.emit(target, 'ipmi.validate', `BMC ${bmcLabel(target)} accepted the credentials (RMCP+ session)`, {
        channel: summary.channel,
      });
    });
  }

  async getPowerState(target: BmcTarget): Promise<PowerState> {
    return this.guard(target, 'power status', async () => {
      checkTarget(target);
      const status = await this.deps.client.withSession(
        target,
        (s) => s.run(getChassisStatus()),
        this.overrides(target),
      );
      const state: PowerState = status.powerOn ? 'power on' : 'power off';
      this.emit(target, 'ipmi.power_state', `BMC ${bmcLabel(target)} reports ${state}`, { state }, 'debug');
      return state;
    });
  }

  async setPower(target: BmcTarget, action: PowerAction): Promise<void> {
    await this.guard(target, `power ${action}`, async () => {
      checkTarget(target);
      const sent = await this.deps.client.withSession(
        target,
        (s) => this.powerInSession(s, action),
        this.overrides(target),
      );
      const note = sent === action ? '' : ` (chassis was off: sent "${sent}" instead)`;
      this.emit(target, 'ipmi.power', `power ${action} sent to BMC ${bmcLabel(target)}${note}`, {
        action,
        sent,
      });
    });
  }

  async setBootDevice(target: BmcTarget, device: BootDevice, options: BootDeviceOptions): Promise<void> {
    await this.guard(target, `boot device ${device}`, async () => {
      checkTarget(target);
      const efi = options.efi ?? false;
      const readBack = await this.deps.client.withSession(
        target,
        async (s) => {
          // ipmitool's sequence: set-in-progress, clear boot-info ack, boot flags, set complete.
          // Parameters 0 and 4 are optional: ipmi_sim answers CCh to set-in-progress.
          await s.run(
            setSystemBootOptions(BOOT_PARAM.setInProgress, Buffer.from([0x01]), OPTIONAL_PARAM_CCS),
          );
          await s.run(
            setSystemBootOptions(BOOT_PARAM.bootInfoAck, Buffer.from([0x01, 0x01]), OPTIONAL_PARAM_CCS),
          );
          await s.run(
            setSystemBootOptions(
              BOOT_PARAM.bootFlags,
              encodeBootFlags(device, { persistent: options.persistent, efi }),
            ),
          );
          await s.run(
            setSystemBootOptions(BOOT_PARAM.setInProgress, Buffer.from([0x00]), OPTIONAL_PARAM_CCS),
          );
          const param = await s.run(getSystemBootOptions(BOOT_PARAM.bootFlags));
          const flags = decodeBootFlags(param.data);
          return flags.ok ? flags.value : undefined;
        },
        this.overrides(target),
      );
      const mode = `${options.persistent ? 'persistent' : 'next boot only'}, ${efi ? 'EFI' : 'legacy'}`;
      const mismatch = readBack !== undefined && readBack.device !== device;
      this.emit(
        target,
        'ipmi.bootdev',
        `boot device ${device} (${mode}) set on BMC ${bmcLabel(target)}${mismatch ? `; BMC reads back ${readBack.device}` : ''}`,
        { device, persistent: options.persistent, efi, readBack: readBack?.device ?? null },
        mismatch ? 'warn' : 'info',
      );
    });
  }

  /**
   * on/off/soft are idempotent and retried normally. cycle/reset are not (§4.2): they are sent
   * once; after a timeout the chassis state is re-read before resending with the same rqSeq, so a
   * BMC that already executed it answers "duplicate" (CFh) instead of cycling twice. A chassis that
   * is off gets "on" instead (some BMCs reject cycle when off). Returns the command actually sent.
   */
  private async powerInSession(s: IpmiSession, action: PowerAction): Promise<ChassisAction> {
    if (action === 'on' || action === 'off' || action === 'soft') {
      await s.run(chassisControl(action));
      return action;
    }
    const before = await s.run(getChassisStatus());
    if (!before.powerOn) {
      await s.run(chassisControl('on'));
      return 'on';
    }
    try {
      await s.run(chassisControl(action), { attempts: 1 });
      return action;
    } catch (error) {
      if (!isAppError(error) || error.code !== 'ERR_IPMI_UNREACHABLE') throw error;
      this.deps.log.warn(
        { bmc: s.bmc, action },
        'no answer to a non-idempotent power command; re-reading state',
      );
      const after = await s.run(getChassisStatus());
      if (!after.powerOn) {
        // Off now: the cycle may be half done, or the node went down; "on" is safe either way.
        await s.run(chassisControl('on'));
        return 'on';
      }
      await s.run(chassisControl(action), { repeatPrevious: true });
      return action;
    }
  }

  private overrides(target: BmcTarget): SessionOverrides {
    return this.deps.sessionOverrides?.(target) ?? {};
  }

  private async guard<T>(target: BmcTarget, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const code = isAppError(error) ? error.code : 'ERR_INTERNAL';
      const message = (error as Error).message;
      this.emit(target, 'ipmi.error', `IPMI ${what} failed: ${message}`, { operation: what, code }, 'error');
      throw error;
    }
  }

  private emit(
    target: BmcTarget,
    type: `ipmi.${string}`,
    message: string,
    data: Record<string, unknown>,
    level: 'debug' | 'info' | 'warn' | 'error' = 'info',
  ): void {
    this.deps.events.emit({
      type,
      level,
      message,
      ...(target.node ? { node: target.node } : {}),
      data: { bmc: bmcLabel(target), username: target.username, ...data },
    });
  }
}
