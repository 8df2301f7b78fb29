// IPMI-over-LAN client: owns one connect()ed UDP socket per RMCP+ session, retries, deadlines,
// keep-alive, Close Session in `finally`, one session per BMC at a time, a global concurrency bound.
// The protocol itself lives in session.ts; timing rules from dependencies.md §4.2 (ipmitool defaults).
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { AppError } from '../core/errors.js';
import type { BmcTarget } from '../core/power.js';
import { Semaphore } from '../core/semaphore.js';
import {
  CC,
  closeSession,
  completionCodeText,
  getDeviceId,
  setSessionPrivilege,
  type AuthCapabilities,
  type CommandSpec,
} from './commands.js';
import type { LanRequest, LanResponse } from './rmcp.js';
import { Ipmi15Session } from './ipmi15-session.js';
import { RmcpPlusSession, type SessionPhase, type Step } from './session.js';

/** The message-protection half both session engines share. */
interface SessionProtocol {
  readonly phase: SessionPhase;
  readonly bmcSessionId: number;
  wrap(request: LanRequest): Buffer;
  unwrap(datagram: Uint8Array): Step<LanResponse>;
}

export interface IpmiClientOptions {
  /** Response timeout of each try, in ms; their count is the number of tries (ipmitool: 1 s +1 s per retry). */
  retryTimeoutsMs: number[];
  /** Upper bound in ms for one exchange with its retries, and for establishing a session. */
  deadlineMs: number;
  /** Sessions open at the same time across all BMCs. */
  maxConcurrentSessions: number;
  /** Idle time in ms after which a cheap command keeps a long session alive (BMCs drop idle ones ~60 s). */
  keepAliveMs: number;
  /** Session privilege: 4 = Administrator (needed for user management), 3 = Operator suffices for power. */
  privilege: number;
  /** RMCP+ cipher suite: 3 (verified); 17 is tabled but unverified. */
  cipherSuite: number;
}

export const defaultIpmiClientOptions: IpmiClientOptions = {
  retryTimeoutsMs: [1000, 2000, 3000, 3000],
  deadlineMs: 15_000,
  maxConcurrentSessions: 16,
  keepAliveMs: 25_000,
  privilege: 4,
  cipherSuite: 3,
};

export interface IpmiClientDeps {
  log: Logger;
  options?: Partial<IpmiClientOptions>;
  /** Random bytes for session IDs, Rm and IVs (tests inject a fixed source). */
  random?: (length: number) => Buffer;
}

export interface RunOptions {
  /** Send at most this many tries (non-idempotent commands use 1, then re-read state). */
  attempts?: number;
  /** Resend the previous request with its rqSeq: a BMC that already executed it answers CC CFh. */
  repeatPrevious?: boolean;
}

/** An open RMCP+ session, valid inside `withSession`. Commands are serialised. */
export interface IpmiSession {
  readonly bmc: string;
  readonly authCapabilities: AuthCapabilities;
  readonly bmcSessionId: number;
  /** Datagrams sent so far in this session (handshake included), for tests and logs. */
  readonly packetsSent: number;
  run<T>(command: CommandSpec<T>, options?: RunOptions): Promise<T>;
}

export interface SessionOverrides {
  privilege?: number;
  cipherSuite?: number;
  /** Tries/timeouts for this call only (e.g. quick verification polls). */
  retryTimeoutsMs?: number[];
  /**
   * Opt-in per node: when the BMC has no RMCP+, fall back to an IPMI 1.5 session with MD5
   * AuthCodes (no encryption: never use it to set passwords on an untrusted network).
   */
  allowIpmi15Md5?: boolean;
}

type Accept<T> = (datagram: Buffer) => Step<T> | { kind: 'ignore'; reason: string };

/** A connected UDP socket with one waiter at a time; stray or late datagrams are discarded. */
class Channel {
  private waiter: ((datagram: Buffer) => void) | undefined;
  lastSocketError: string | undefined;
  packetsSent = 0;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg) => {
      try {
        this.waiter?.(msg);
      } catch {
        /* a peer's bytes must never throw out of the socket handler */
      }
    });
    // ICMP port unreachable etc. surface here on connected sockets: remember, keep retrying.
    socket.on('error', (error) => {
      this.lastSocketError = (error as NodeJS.ErrnoException).code ?? error.message;
    });
  }

  static async open(address: string, port: number): Promise<Channel> {
    const socket = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    const channel = new Channel(socket);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      socket.once('error', onError);
      socket.connect(port, address, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    return channel;
  }

  send(packet: Buffer): void {
    this.packetsSent += 1;
    this.socket.send(packet, (error) => {
      if (error) this.lastSocketError = (error as NodeJS.ErrnoException).code ?? error.message;
    });
  }

  /** Resolves with the first datagram `accept` keeps, or undefined after `timeoutMs`. */
  wait<T>(
    timeoutMs: number,
    accept: Accept<T>,
    onDrop: (reason: string) => void,
  ): Promise<Exclude<Step<T>, { kind: 'drop' }> | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (datagram) => {
        const step = accept(datagram);
        if (step.kind === 'drop') return onDrop(step.reason);
        if (step.kind === 'ignore') return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(step);
      };
    });
  }

  close(): void {
    this.waiter = undefined;
    try {
      this.socket.close();
    } catch {
      /* already closed */
    }
  }
}

/** How a BMC is named in messages, events and logs: `address:port`, IPv6 in brackets. */
export function bmcLabel(target: Pick<BmcTarget, 'address' | 'port'>): string {
  return target.address.includes(':')
    ? `[${target.address}]:${target.port}`
    : `${target.address}:${target.port}`;
}

/** The session-opening and command machinery over one Channel. */
class OpenSession implements IpmiSession {
  readonly bmc: string;
  authCapabilities!: AuthCapabilities;
  private rqSeq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;
  private protocol: SessionProtocol;

  constructor(
    readonly target: BmcTarget,
    private readonly channel: Channel,
    private readonly engine: RmcpPlusSession,
    private readonly options: IpmiClientOptions & { retryTimeoutsMs: number[]; allowIpmi15Md5?: boolean },
    private readonly log: Logger,
    private readonly random: (length: number) => Buffer,
  ) {
    this.bmc = bmcLabel(target);
    this.protocol = engine;
  }

  get bmcSessionId(): number {
    return this.protocol.bmcSessionId;
  }

  get packetsSent(): number {
    return this.channel.packetsSent;
  }

  /** Get Channel Auth Caps → Open Session → RAKP1–4 → Set Session Privilege (dependencies.md §4.2). */
  async establish(): Promise<void> {
    const deadlineAt = Date.now() + this.options.deadlineMs;
    const e = this.engine;
    try {
      this.authCapabilities = await this.exchange(
        'Get Channel Auth Caps',
        () => e.authCapabilitiesRequest(true),
        (d) => e.acceptAuthCapabilities(d),
        deadlineAt,
      );
    } catch (error) {
      // Some BMCs ignore or reject the v2.0-extended form: ask once more in plain 1.5 form.
      if (!(error instanceof AppError) || error.code === 'ERR_IPMI_AUTH') throw error;
      this.log.debug({ err: error.message }, 'auth caps with v2 bit failed; retrying in IPMI 1.5 form');
      this.authCapabilities = await this.exchange(
        'Get Channel Auth Caps (1.5 form)',
        () => e.authCapabilitiesRequest(false),
        (d) => e.acceptAuthCapabilities(d),
        deadlineAt,
        this.options.retryTimeoutsMs.slice(0, 1),
      ).catch(() => {
        throw error;
      });
    }
    if (!this.authCapabilities.ipmi20) {
      if (this.options.allowIpmi15Md5 && this.authCapabilities.authTypes.md5)
        return this.establish15(deadlineAt);
      throw new AppError(
        'ERR_IPMI_PROTOCOL',
        `BMC ${this.bmc} does not support IPMI 2.0 (RMCP+)` +
          (this.options.allowIpmi15Md5
            ? ' nor IPMI 1.5 MD5'
            : '; the IPMI 1.5 MD5 fallback is not enabled for it'),
      );
    }
    await this.exchange(
      'Open Session',
      () => e.openSessionRequest(),
      (d) => e.acceptOpenSessionResponse(d),
      deadlineAt,
    );
    await this.exchange(
      'RAKP1/RAKP2',
      () => e.rakp1(),
      (d) => e.acceptRakp2(d),
      deadlineAt,
    );
    await this.exchange(
      'RAKP3/RAKP4',
      () => e.rakp3(),
      (d) => e.acceptRakp4(d),
      deadlineAt,
    );
    // ipmitool always raises the privilege first; sessions start at User level (§22.18).
    await this.run(setSessionPrivilege(e.privilege));
  }

  /** IPMI 1.5: Get Session Challenge → Activate Session (MD5) → Set Session Privilege (§22.16–§22.18). */
  private async establish15(deadlineAt: number): Promise<void> {
    let e: Ipmi15Session;
    try {
      e = new Ipmi15Session(
        { username: this.target.username, password: this.target.password },
        {
          privilege: this.engine.privilege,
          perMessageAuthDisabled: this.authCapabilities.perMessageAuthDisabled,
        },
        { random: this.random },
      );
    } catch (error) {
      throw new AppError('ERR_IPMI_NO_CREDENTIALS', `BMC ${this.bmc}: ${(error as Error).message}`);
    }
    this.log.warn('BMC has no RMCP+: using an IPMI 1.5 MD5 session (no confidentiality)');
    await this.exchange(
      'Get Session Challenge',
      () => e.challengeRequest(),
      (d) => e.acceptChallenge(d),
      deadlineAt,
    );
    // A 1.5 BMC silently drops an Activate Session whose MD5 AuthCode is wrong (ipmi_sim does):
    // the BMC just answered the challenge, so silence here means a wrong password. Two tries only.
    await this.exchange(
      'Activate Session',
      () => e.activateRequest(),
      (d) => e.acceptActivate(d),
      deadlineAt,
      this.options.retryTimeoutsMs.slice(0, 2),
    ).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'ERR_IPMI_UNREACHABLE') {
        throw new AppError(
          'ERR_IPMI_AUTH',
          `BMC ${this.bmc}: no answer to IPMI 1.5 Activate Session right after the challenge: credentials rejected`,
        );
      }
      throw error;
    });
    this.protocol = e;
    await this.run(setSessionPrivilege(e.privilege));
  }

  run<T>(command: CommandSpec<T>, options: RunOptions = {}): Promise<T> {
    const next = this.queue.then(() => this.runNow(command, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow<T>(command: CommandSpec<T>, options: RunOptions): Promise<T> {
    if (this.closed) throw new Error(`session to ${this.bmc} is closed`);
    this.disarmKeepAlive();
    if (!options.repeatPrevious) this.rqSeq = (this.rqSeq % 63) + 1;
    const rqSeq = this.rqSeq;
    const timeouts = this.options.retryTimeoutsMs.slice(
      0,
      options.attempts ?? this.options.retryTimeoutsMs.length,
    );
    const repeat = options.repeatPrevious === true;
    try {
      const response = await this.exchange<LanResponse>(
        command.name,
        () => this.protocol.wrap({ netFn: command.netFn, cmd: command.cmd, data: command.data, rqSeq }),
        (d) => {
          const step = this.protocol.unwrap(d);
          if (step.kind !== 'ok') return step;
          const r = step.value;
          if (r.netFn !== command.netFn + 1 || r.cmd !== command.cmd || r.rqSeq !== rqSeq) {
            return { kind: 'ignore', reason: 'response to another request' };
          }
          // A retry of an executed request may be answered "duplicate" (CFh): keep waiting for the
          // real answer, as ipmitool does — unless we repeat on purpose to learn it was executed.
          if (r.cc === CC.duplicateRequest && !repeat) return { kind: 'ignore', reason: 'duplicate request' };
          return step;
        },
        Date.now() + this.options.deadlineMs,
        timeouts,
      );
      if (response.cc !== CC.ok && !(command.tolerate ?? []).includes(response.cc)) {
        if (!(repeat && response.cc === CC.duplicateRequest)) {
          throw new AppError(
            'ERR_IPMI_COMMAND',
            `${command.name}: completion code ${completionCodeText(response.cc)}`,
            {
              cc: response.cc,
              command: command.name,
            },
          );
        }
      }
      const decoded = command.decode(response);
      if (!decoded.ok) throw new AppError('ERR_IPMI_PROTOCOL', `${command.name}: ${decoded.reason}`);
      return decoded.value;
    } finally {
      this.armKeepAlive();
    }
  }

  /**
   * Sends `build()` and waits; resends with the next timeout until a response is accepted, a hard
   * failure arrives, or tries/deadline run out. Every try is rebuilt: session packets need a new
   * sequence number (§4.2), handshake packets are identical.
   */
  private async exchange<T>(
    what: string,
    build: () => Buffer,
    accept: Accept<T>,
    deadlineAt: number,
    timeouts: number[] = this.options.retryTimeoutsMs,
  ): Promise<T> {
    let lastDrop: string | undefined;
    let tries = 0;
    const started = Date.now();
    for (const timeout of timeouts) {
      const left = deadlineAt - Date.now();
      if (left <= 0) break;
      tries += 1;
      this.channel.send(build());
      const step = await this.channel.wait(Math.min(timeout, left), accept, (reason) => {
        lastDrop = reason;
        this.log.debug({ reason }, `${what}: dropped an invalid packet`);
      });
      if (!step) continue;
      if (step.kind === 'ok') return step.value;
      throw new AppError(step.code, `BMC ${this.bmc}: ${step.reason}`, {
        step: what,
        ...(step.status === undefined ? {} : { status: step.status }),
      });
    }
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    if (lastDrop !== undefined) {
      throw new AppError(
        'ERR_IPMI_PROTOCOL',
        `BMC ${this.bmc}: ${what}: only invalid responses after ${tries} tries in ${elapsed} s (last: ${lastDrop})`,
        { step: what, tries },
      );
    }
    const sockErr = this.channel.lastSocketError ? ` (${this.channel.lastSocketError})` : '';
    throw new AppError(
      'ERR_IPMI_UNREACHABLE',
      `BMC ${this.bmc} is not answering: ${what}: no response after ${tries} tries in ${elapsed} s${sockErr}`,
      { step: what, tries },
    );
  }

  private armKeepAlive(): void {
    if (this.closed || this.options.keepAliveMs <= 0) return;
    this.disarmKeepAlive();
    this.keepAlive = setTimeout(() => {
      this.run(getDeviceId()).catch((error: Error) =>
        this.log.warn({ err: error.message }, 'IPMI keep-alive failed'),
      );
    }, this.options.keepAliveMs);
    this.keepAlive.unref();
  }

  private disarmKeepAlive(): void {
    if (this.keepAlive) clearTimeout(this.keepAlive);
    this.keepAlive = undefined;
  }

  /** Close Session (one quick try, best effort) and release the socket. */
  async close(): Promise<void> {
    this.disarmKeepAlive();
    if (!this.closed && this.protocol.phase === 'active') {
      await this.run(closeSession(this.protocol.bmcSessionId), { attempts: 1 }).catch((error: Error) =>
        this.log.debug({ err: error.message }, 'Close Session failed'),
      );
    }
    this.closed = true;
    this.disarmKeepAlive();
    this.channel.close();
  }
}

export interface SessionSummary {
  bmc: string;
  channel: number;
  packetsSent: number;
}

/** What the adapters need from the client (a seam for tests). */
export type IpmiSessionRunner = Pick<IpmiClient, 'withSession' | 'validate'>;

export class IpmiClient {
  readonly options: IpmiClientOptions;
  private readonly limiter: Semaphore;
  private readonly perBmc = new Map<string, Promise<unknown>>();
  private readonly random: (length: number) => Buffer;

  constructor(private readonly deps: IpmiClientDeps) {
    this.options = { ...defaultIpmiClientOptions, ...deps.options };
    if (this.options.retryTimeoutsMs.length === 0)
      throw new RangeError('retryTimeoutsMs needs at least one try');
    this.limiter = new Semaphore(Math.max(1, this.options.maxConcurrentSessions));
    this.random = deps.random ?? randomBytes;
  }

  /**
   * Opens an RMCP+ session to the BMC, runs `fn` and always closes the session. Calls for the same
   * BMC queue behind each other (session slots are scarce, often 4); at most
   * `maxConcurrentSessions` sessions are open across BMCs.
   */
  withSession<T>(
    target: BmcTarget,
    fn: (session: IpmiSession) => Promise<T>,
    overrides: SessionOverrides = {},
  ): Promise<T> {
    const key = `${target.address}|${target.port}`;
    const previous = this.perBmc.get(key) ?? Promise.resolve();
    const result = previous.then(() => this.limiter.run(() => this.sessionOnce(target, fn, overrides)));
    const tail = result.catch(() => undefined);
    this.perBmc.set(key, tail);
    void tail.then(() => {
      if (this.perBmc.get(key) === tail) this.perBmc.delete(key);
    });
    return result;
  }

  /** Opens and closes a session: proves address and credentials. */
  validate(target: BmcTarget, overrides: SessionOverrides = {}): Promise<SessionSummary> {
    return this.withSession(
      target,
      async (s) => ({ bmc: s.bmc, channel: s.authCapabilities.channel, packetsSent: s.packetsSent }),
      overrides,
    );
  }

  private async sessionOnce<T>(
    target: BmcTarget,
    fn: (session: IpmiSession) => Promise<T>,
    overrides: SessionOverrides,
  ): Promise<T> {
    const bmc = bmcLabel(target);
    const log = this.deps.log.child({ bmc, ...(target.node ? { node: target.node } : {}) });
    let channel: Channel;
    try {
      channel = await Channel.open(target.address, target.port);
    } catch (error) {
      throw new AppError(
        'ERR_IPMI_UNREACHABLE',
        `BMC ${bmc}: cannot reach address: ${(error as Error).message}`,
      );
    }
    const options = {
      ...this.options,
      ...(overrides.retryTimeoutsMs ? { retryTimeoutsMs: overrides.retryTimeoutsMs } : {}),
      allowIpmi15Md5: overrides.allowIpmi15Md5 === true,
    };
    let session: OpenSession;
    try {
      const engine = new RmcpPlusSession(
        { username: target.username, password: target.password },
        {
          cipherSuite: overrides.cipherSuite ?? this.options.cipherSuite,
          privilege: overrides.privilege ?? this.options.privilege,
        },
        { random: this.random },
      );
      session = new OpenSession(target, channel, engine, options, log, this.random);
    } catch (error) {
      channel.close();
      throw new AppError('ERR_IPMI_NO_CREDENTIALS', `BMC ${bmc}: ${(error as Error).message}`);
    }
    try {
      await session.establish();
      log.debug({ packets: session.packetsSent }, 'RMCP+ session established');
      return await fn(session);
    } finally {
      await session.close();
    }
  }
}
