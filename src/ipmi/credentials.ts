// BMC credential setting that proves itself: out-of-band rotation into a free user slot, and
// polling verification for the in-band flow (the ramdisk sets them, we log in over the LAN).
// User commands IPMI v2.0 §22.26–§22.30; the flow is dependencies.md §4.3 "Credential-setting flow".
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { BmcTarget } from '../core/power.js';
import { bmcLabel, type IpmiSession, type IpmiSessionRunner } from './client.js';
import {
  getUserAccess,
  getUserName,
  PRIVILEGE,
  setUserAccess,
  setUserName,
  setUserPassword,
} from './commands.js';
import { checkTarget } from './power-control.js';

const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random letters+digits: the character set every BMC accepts (ironic-inspector's rule). */
export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

/** Completion codes meaning "no 20-byte password form here": retry with 16 bytes (§4.3). */
const NO_20_BYTE_FORM = [0x81, 0xc7, 0xcc];

export interface IpmiCredentialsDeps {
  client: IpmiSessionRunner;
  events: EventSink;
  log: Logger;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; defaults to generatePassword. */
  generatePassword?: (length: number) => string;
}

export interface RotateOptions {
  /** Name of the user to create (≤ 16 bytes). Default `inspector`. */
  username?: string;
  /**
   * The operator's own new password (≤ 20 bytes). Absent: a random one of letters and digits. Up to
   * 16 bytes it is set in the 16-byte form, longer in the 20-byte form (§22.30), with no fallback.
   */
  password?: string;
  /** Fresh-session verification after the change: tries and pause between them. */
  verifyTries?: number;
  verifyIntervalMs?: number;
}

export interface RotationResult {
  /** The proven credentials: same address/port/node, new username/password. */
  target: BmcTarget;
  uid: number;
  channel: number;
  passwordForm: 16 | 20;
}

export interface VerifyOptions {
  tries: number;
  intervalMs: number;
  /** Per-try response timeouts of each login attempt (default 1 s, 2 s). */
  retryTimeoutsMs?: number[];
  /** No error event on failure (an intermediate check the caller recovers from). */
  quiet?: boolean;
}

interface SlotInfo {
  uid: number;
  name: string | undefined;
  enabled: boolean;
}

export class IpmiCredentials {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly makePassword: (length: number) => string;

  constructor(private readonly deps: IpmiCredentialsDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.makePassword = deps.generatePassword ?? generatePassword;
  }

  /**
   * Creates a new admin user in a free slot using working `current` credentials, then proves the new
   * ones with a fresh RMCP+ session. Returns them only after that login succeeded. Never touches
   * uid 1 (anonymous) or the slot of the user we are logged in as.
   */
  async rotate(current: BmcTarget, options: RotateOptions = {}): Promise<RotationResult> {
    checkTarget(current);
    let username = options.username ?? 'inspector';
    if (username === current.username) username = `${username.slice(0, 15)}2`;
    if (Buffer.byteLength(username, 'utf8') > 16) {
      throw new AppError('ERR_IPMI_NO_CREDENTIALS', 'New BMC username longer than 16 bytes');
    }
    const chosen = options.password;
    if (chosen !== undefined && (chosen === '' || Buffer.byteLength(chosen, 'utf8') > 20)) {
      throw new AppError('ERR_IPMI_NO_CREDENTIALS', 'New BMC password must be 1 to 20 bytes long');
    }
    // Some BMCs (ipmi_sim among them) accept the 20-byte form but keep only 16 bytes: only a login
    // tells. So a random 20-byte password that does not log in is replaced by a 16-byte one. An
    // operator's password cannot be shortened: it gets the one form its length needs.
    const forms: ReadonlyArray<16 | 20> =
      chosen === undefined ? [20, 16] : Buffer.byteLength(chosen, 'utf8') <= 16 ? [16] : [20];
    for (const form of forms) {
      let applied: Omit<RotationResult, 'target'> & { password: string };
      try {
        applied = await this.deps.client.withSession(current, (s) =>
          this.applyInSession(s, current, username, form, chosen),
        );
      } catch (error) {
        this.emitError(
          current,
          `credential rotation on BMC ${bmcLabel(current)} failed: ${(error as Error).message}`,
          error,
        );
        throw error;
      }
      const target: BmcTarget = { ...current, username, password: applied.password };
      const lastForm = applied.passwordForm === 16 || chosen !== undefined;
      try {
        await this.verifyCredentials(target, {
          tries: lastForm ? (options.verifyTries ?? 3) : 2,
          intervalMs: lastForm ? (options.verifyIntervalMs ?? 1000) : 500,
          quiet: !lastForm,
        });
      } catch (error) {
        if (!lastForm) {
          this.deps.log.info(
            { bmc: bmcLabel(current), uid: applied.uid },
            '20-byte BMC password did not log in; using 16 bytes',
          );
          continue;
        }
        // Do not leave a half-working admin behind: disable the slot with the old credentials.
        await this.deps.client
          .withSession(current, (s) => s.run(setUserPassword(applied.uid, 'disable')))
          .catch((e: Error) =>
            this.deps.log.warn({ err: e.message }, 'could not disable unverified BMC user'),
          );
        if (chosen !== undefined && applied.passwordForm === 20 && isAppError(error)) {
          throw new AppError(
            error.code,
            `${error.message}; this BMC may keep only 16 bytes of a password: choose at most 16 characters`,
          );
        }
        throw error;
      }
      this.emit(
        current,
        'ipmi.credentials.set',
        `new BMC credentials for user "${username}" (uid ${applied.uid}) set on ${bmcLabel(current)} and verified by login`,
        {
          uid: applied.uid,
          newUsername: username,
          channel: applied.channel,
          passwordForm: applied.passwordForm,
        },
      );
      return { target, uid: applied.uid, channel: applied.channel, passwordForm: applied.passwordForm };
    }
    throw new AppError(
      'ERR_IPMI_CREDENTIALS_UNVERIFIED',
      `BMC ${bmcLabel(current)}: new credentials never verified`,
    );
  }

  /**
   * Disables the BMC user named `username` (Set User Password "disable", §22.30) in a session opened
   * with `as` — after a rotation, the new credentials retire the previous ones. Never uid 1 and
   * never the user of that session. Returns the disabled uid, or null when no slot has that name.
   */
  async disableUser(as: BmcTarget, username: string): Promise<number | null> {
    checkTarget(as);
    if (username === as.username) {
      throw new AppError(
        'ERR_IPMI_COMMAND',
        `refusing to disable user "${username}": it is the session's own user`,
      );
    }
    try {
      const uid = await this.deps.client.withSession(as, async (s) => {
        const { maxUsers } = await s.run(getUserAccess(s.authCapabilities.channel, 1));
        for (let uid = 2; uid <= Math.min(maxUsers, 63); uid++) {
          const name = await s.run(getUserName(uid)).catch(() => undefined);
          if (name !== username) continue;
          await s.run(setUserPassword(uid, 'disable'));
          return uid;
        }
        return null;
      });
      if (uid !== null) {
        this.emit(
          as,
          'ipmi.credentials.disabled',
          `previous BMC user "${username}" (uid ${uid}) disabled on ${bmcLabel(as)}`,
          {
            uid,
            disabledUsername: username,
          },
        );
      }
      return uid;
    } catch (error) {
      this.emitError(
        as,
        `disabling BMC user "${username}" on ${bmcLabel(as)} failed: ${(error as Error).message}`,
        error,
      );
      throw error;
    }
  }

  /**
   * Polls until `target` can open an RMCP+ session (in-band flow: the ramdisk has just set them).
   * Throws ERR_IPMI_CREDENTIALS_UNVERIFIED after `tries` failed logins.
   */
  async verifyCredentials(
    target: BmcTarget,
    options: VerifyOptions = { tries: 10, intervalMs: 3000 },
  ): Promise<void> {
    checkTarget(target);
    let last = 'no attempt made';
    for (let attempt = 1; attempt <= Math.max(1, options.tries); attempt++) {
      try {
        await this.deps.client.validate(target, { retryTimeoutsMs: options.retryTimeoutsMs ?? [1000, 2000] });
        this.emit(
          target,
          'ipmi.credentials.verified',
          `BMC ${bmcLabel(target)} accepted user "${target.username}" (login ${attempt}/${options.tries})`,
          { attempt },
        );
        return;
      } catch (error) {
        last = isAppError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
        this.deps.log.debug({ attempt, err: last }, 'BMC credential verification attempt failed');
        if (isAppError(error) && error.code === 'ERR_IPMI_NO_CREDENTIALS') break;
      }
      if (attempt < options.tries) await this.sleep(options.intervalMs);
    }
    const message = `BMC ${bmcLabel(target)} did not accept user "${target.username}" after ${options.tries} logins (last: ${last})`;
    if (!options.quiet) this.emitError(target, message);
    throw new AppError('ERR_IPMI_CREDENTIALS_UNVERIFIED', message);
  }

  private async applyInSession(
    s: IpmiSession,
    current: BmcTarget,
    username: string,
    form: 16 | 20,
    chosen: string | undefined,
  ): Promise<Omit<RotationResult, 'target'> & { password: string }> {
    const channel = s.authCapabilities.channel;
    const { maxUsers } = await s.run(getUserAccess(channel, 1));
    const slots: SlotInfo[] = [];
    for (let uid = 2; uid <= Math.min(maxUsers, 63); uid++) {
      // A slot whose name we cannot read is treated as taken: never overwrite what we can't see.
      const name = await s.run(getUserName(uid)).catch(() => undefined);
      let enabled = false;
      if (name === '') {
        const access = await s.run(getUserAccess(channel, uid)).catch(() => undefined);
        enabled = access?.status === 'enabled';
      }
      slots.push({ uid, name, enabled });
      if (name === username) break;
    }
    // Reuse a slot already named like the new user (a previous rotation), else the first empty one.
    const slot =
      slots.find((x) => x.name === username && x.name !== current.username) ??
      slots.find((x) => x.name === '' && !x.enabled);
    if (!slot) {
      throw new AppError('ERR_IPMI_NO_FREE_USER', `BMC ${s.bmc}: no free user slot among uid 2..${maxUsers}`);
    }
    const uid = slot.uid;
    await s.run(setUserName(uid, username));
    let passwordForm: 16 | 20 = form;
    let password = chosen ?? this.makePassword(form);
    try {
      await s.run(setUserPassword(uid, 'set', password, form));
    } catch (error) {
      const cc = isAppError(error) ? (error.details?.cc as number | undefined) : undefined;
      if (form === 16 || cc === undefined || !NO_20_BYTE_FORM.includes(cc)) throw error;
      if (chosen !== undefined) {
        throw new AppError(
          'ERR_IPMI_COMMAND',
          `BMC ${s.bmc} has no 20-byte password form: choose a password of at most 16 characters`,
          { cc },
        );
      }
      passwordForm = 16;
      password = this.makePassword(16);
      await s.run(setUserPassword(uid, 'set', password, 16));
    }
    await s.run(
      setUserAccess({
        channel,
        uid,
        privilege: PRIVILEGE.administrator,
        linkAuth: true,
        ipmiMessaging: true,
      }),
    );
    await s.run(setUserPassword(uid, 'enable'));
    // The BMC's own check of what it stored; 80h = mismatch. BMCs without "test" are not fatal:
    // the fresh login below is the real proof.
    const tested = await s.run(setUserPassword(uid, 'test', password, passwordForm)).catch(() => undefined);
    if (tested === 0x80) {
      throw new AppError(
        'ERR_IPMI_CREDENTIALS_UNVERIFIED',
        `BMC ${s.bmc}: stored password test failed for uid ${uid}`,
      );
    }
    return { uid, channel, passwordForm, password };
  }

  private emit(
    target: BmcTarget,
    type: `ipmi.${string}`,
    message: string,
    data: Record<string, unknown>,
  ): void {
    this.deps.events.emit({
      type,
      level: 'info',
      message,
      ...(target.node ? { node: target.node } : {}),
      data: { bmc: bmcLabel(target), ...data },
    });
  }

  private emitError(target: BmcTarget, message: string, error?: unknown): void {
    this.deps.events.emit({
      type: 'ipmi.error',
      level: 'error',
      message,
      ...(target.node ? { node: target.node } : {}),
      data: {
        bmc: bmcLabel(target),
        operation: 'credentials',
        ...(isAppError(error) ? { code: error.code } : {}),
      },
    });
  }
}
