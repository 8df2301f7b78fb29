// The one bound on concurrent BMC power operations ([ipmi] max_concurrent_power_ops): a PowerControl
// decorator shared by every caller (managed introspection, power REST routes), FIFO when full.
// Pacing of power-ons between introspections ([DEFAULT] introspection_delay) stays in introspection.ts.
import type {
  BmcTarget,
  BootDevice,
  BootDeviceOptions,
  PowerAction,
  PowerControl,
  PowerState,
} from './power.js';
import { Semaphore } from './semaphore.js';

export interface PowerGateOptions {
  /** Power operations (status, on/off/cycle, boot device) running at once across all BMCs. */
  maxConcurrent: number;
}

/**
 * Bounds getPowerState, setPower and setBootDevice. validate (a login at introspection start, which
 * answers the HTTP request) is not a power operation and is not queued behind them.
 */
export class GatedPowerControl implements PowerControl {
  readonly gate: Semaphore;

  constructor(
    private readonly inner: PowerControl,
    options: PowerGateOptions,
  ) {
    this.gate = new Semaphore(options.maxConcurrent);
  }

  validate(target: BmcTarget): Promise<void> {
    return this.inner.validate(target);
  }

  getPowerState(target: BmcTarget): Promise<PowerState> {
    return this.gate.run(() => this.inner.getPowerState(target));
  }

  setPower(target: BmcTarget, action: PowerAction): Promise<void> {
    return this.gate.run(() => this.inner.setPower(target, action));
  }

  setBootDevice(target: BmcTarget, device: BootDevice, options: BootDeviceOptions): Promise<void> {
    return this.gate.run(() => this.inner.setBootDevice(target, device, options));
  }
}
