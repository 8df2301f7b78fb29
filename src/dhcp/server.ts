// DHCP/proxyDHCP transport: node:dgram sockets on 0.0.0.0:67 (and 4011 in proxy mode), the
// responder in between, batched lease persistence and counters. The only DHCP file doing I/O.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { messageTypeName } from './packet.js';
import {
  DhcpResponder,
  type AdoptedBindings,
  type DecideFn,
  type Lease,
  type LeaseStore,
  type Outcome,
  type ResponderOptions,
} from './responder.js';

export interface DhcpServerOptions extends ResponderOptions {
  /** Address to bind; must be 0.0.0.0 to receive broadcasts (dependencies.md §1). */
  listenAddress?: string;
  /** DHCP server port (RFC 2131 §4.1: 67). */
  port?: number;
  /** PXE boot-server port used in proxy mode (PXE spec 2.1: 4011); 0 disables it. */
  proxyPort?: number;
  /** Longest delay between a lease change and its save (ms); changes in between are batched. */
  leaseSaveDelayMs?: number;
  /**
   * SO_RCVBUF in bytes (capped by net.core.rmem_max): absorbs bursts, e.g. many nodes powered
   * on together, while the event loop is busy saving leases. Default 4 MiB.
   */
  receiveBufferBytes?: number;
}

export interface DhcpServerDeps {
  log: Logger;
  events: EventSink;
  clock: Clock;
  leaseStore: LeaseStore;
  /** Per-client gate called before any reply (PXE filter verdict, reservations, arch rules). */
  decide?: DecideFn;
}

export interface DhcpStats {
  /** Requests received by message type (`DISCOVER`, …, `MALFORMED`). */
  received: Record<string, number>;
  /** Replies sent by message type (`OFFER`, `ACK`, `NAK`). */
  sent: Record<string, number>;
  /** Decisions by reason key (`offer`, `ack`, `nak`, `ignored:pool-exhausted`, …). */
  decisions: Record<string, number>;
  malformed: number;
  sendErrors: number;
  leaseSaves: number;
  leaseSaveErrors: number;
  leases: number;
}

function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

export class DhcpServer {
  private current: DhcpResponder;
  private sockets: Socket[] = [];
  private readonly counters = {
    received: {} as Record<string, number>,
    sent: {} as Record<string, number>,
    decisions: {} as Record<string, number>,
    malformed: 0,
    sendErrors: 0,
    leaseSaves: 0,
    leaseSaveErrors: 0,
  };
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  /** ACK sends waiting for the lease save that makes their binding durable. */
  private held: Array<() => void> = [];
  private committing = false;
  private lastMalformedEvent = 0;
  private suppressedMalformed = 0;

  constructor(
    private readonly options: DhcpServerOptions,
    private readonly deps: DhcpServerDeps,
  ) {
    this.current = this.newResponder(options);
  }

  /** The live state machine; replaced by reconfigure(), so read it at use time. */
  get responder(): DhcpResponder {
    return this.current;
  }

  private newResponder(options: ResponderOptions): DhcpResponder {
    return new DhcpResponder(options, {
      clock: this.deps.clock,
      ...(this.deps.decide ? { decide: this.deps.decide } : {}),
    });
  }

  /**
   * Swap in new reply options (range, lease time, router/DNS, boot files, …) while the sockets
   * stay bound: the next datagram is answered with them. Offers and leases carry over (see
   * DhcpResponder.adoptBindings). Throws ERR_DHCP_CONFIG before changing anything when the options
   * are invalid. Socket options (listenAddress, port, proxyPort, mode) are not re-read here.
   */
  reconfigure(options: ResponderOptions): AdoptedBindings {
    const next = this.newResponder({ ...options, mode: this.options.mode });
    const adopted = next.adoptBindings(this.current);
    this.current = next;
    if (next.takeDirty()) this.scheduleSave();
    return adopted;
  }

  /** Reload leases, bind the sockets; rejects with ERR_DHCP_BIND when a port is taken. */
  async start(): Promise<void> {
    const restored = this.responder.restore(this.deps.leaseStore.load());
    this.deps.log.info({ restored }, 'dhcp: leases reloaded');
    const host = this.options.listenAddress ?? '0.0.0.0';
    const ports = [this.options.port ?? 67];
    const proxyPort = this.options.proxyPort ?? 4011;
    if (this.options.mode === 'proxy' && proxyPort > 0) ports.push(proxyPort);
    try {
      for (const port of ports) this.sockets.push(await this.bind(host, port));
    } catch (error) {
      await this.closeSockets();
      throw error;
    }
    this.deps.log.info({ ports, host, mode: this.options.mode }, 'dhcp: listening');
  }

  /** Close the sockets and flush the leases. */
  async stop(): Promise<void> {
    await this.closeSockets();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saving;
    await this.saveNow();
  }

  stats(): DhcpStats {
    return {
      received: { ...this.counters.received },
      sent: { ...this.counters.sent },
      decisions: { ...this.counters.decisions },
      malformed: this.counters.malformed,
      sendErrors: this.counters.sendErrors,
      leaseSaves: this.counters.leaseSaves,
      leaseSaveErrors: this.counters.leaseSaveErrors,
      leases: this.responder.leases().length,
    };
  }

  leases(): Lease[] {
    return this.responder.leases();
  }

  private bind(host: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      // reuseAddr false: a second DHCP server on this host must make us fail, not share the port.
      const socket = createSocket({ type: 'udp4', reuseAddr: false });
      const onError = (error: NodeJS.ErrnoException): void => {
        socket.close();
        reject(
          new AppError(
            'ERR_DHCP_BIND',
            `could not bind DHCP port ${host}:${port}: ${error.code ?? error.message}`,
          ),
        );
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        socket.setBroadcast(true);
        try {
          socket.setRecvBufferSize(this.options.receiveBufferBytes ?? 4 * 1024 * 1024);
        } catch (error) {
          this.deps.log.warn({ err: error }, 'dhcp: could not enlarge the receive buffer');
        }
        socket.on('error', (error) => this.deps.log.warn({ err: error, port }, 'dhcp: socket error'));
        socket.on('message', (msg, rinfo) => this.onMessage(socket, port, msg, rinfo));
        resolve(socket);
      });
    });
  }

  private async closeSockets(): Promise<void> {
    const sockets = this.sockets;
    this.sockets = [];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private onMessage(socket: Socket, localPort: number, msg: Buffer, rinfo: RemoteInfo): void {
    let outcome: Outcome;
    try {
      outcome = this.responder.handleDatagram(msg, { localPort, address: rinfo.address, port: rinfo.port });
    } catch (error) {
      // handleDatagram does not throw; this is the last line of defence for the process.
      this.counters.malformed += 1;
      this.deps.log.error({ err: error }, 'dhcp: unexpected error in handler');
      return;
    }
    bump(this.counters.received, outcome.received);
    bump(this.counters.decisions, outcome.stat);
    if (outcome.stat === 'malformed' || outcome.stat === 'error') {
      this.counters.malformed += 1;
      this.emitMalformed(outcome);
    } else {
      this.emit(outcome);
    }
    const dirty = this.responder.takeDirty();
    const reply = outcome.reply;
    if (reply) {
      const type = messageTypeName(reply.buffer[242]);
      const send = (): void => {
        bump(this.counters.sent, type);
        try {
          socket.send(reply.buffer, reply.port, reply.address, (error) => {
            if (error) {
              this.counters.sendErrors += 1;
              this.deps.log.warn({ err: error, to: reply.address }, 'dhcp: send failed');
            }
          });
        } catch (error) {
          // The socket closed while the ACK waited for its lease save (stop): the client retries.
          this.counters.sendErrors += 1;
          this.deps.log.debug({ err: error, to: reply.address }, 'dhcp: send after close');
        }
      };
      if (dirty && type === 'ACK') {
        // RFC 2131 §1.6: a network address must not be in use by two clients, also across server
        // restarts. An ACK whose binding is not on disk yet could be forgotten by a crash and the
        // address given again: it leaves only after the lease save (group commit).
        this.held.push(send);
        void this.commitHeld();
        return;
      }
      send();
    }
    if (dirty) this.scheduleSave();
  }

  /** Saves the leases durably, then sends the ACKs held until then; one save covers a burst. */
  private async commitHeld(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.held.length > 0) {
        const batch = this.held;
        this.held = [];
        if (this.saveTimer) clearTimeout(this.saveTimer);
        this.saveTimer = undefined;
        // A failed save is logged and counted in saveNow; the ACKs go out anyway (the previous,
        // batched behaviour) rather than DHCP stopping while the disk is full.
        await this.saveNow();
        for (const send of batch) send();
      }
    } finally {
      this.committing = false;
    }
  }

  private emit(outcome: Outcome): void {
    try {
      this.deps.events.emit(outcome.event);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'dhcp: event sink failed');
    }
  }

  /** At most one malformed-packet event per second: a flood must not flood the timeline. */
  private emitMalformed(outcome: Outcome): void {
    const now = this.deps.clock.now();
    if (now - this.lastMalformedEvent < 1000) {
      this.suppressedMalformed += 1;
      return;
    }
    this.lastMalformedEvent = now;
    if (this.suppressedMalformed > 0) {
      outcome.event.data = { ...outcome.event.data, suppressedSinceLast: this.suppressedMalformed };
      this.suppressedMalformed = 0;
    }
    this.deps.log.debug({ event: outcome.event }, 'dhcp: malformed packet');
    this.emit(outcome);
  }

  /** Batched persistence: one save at most every leaseSaveDelayMs, however many leases change. */
  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveNow();
    }, this.options.leaseSaveDelayMs ?? 1000);
    this.saveTimer.unref();
  }

  private async saveNow(): Promise<void> {
    if (this.saving) {
      await this.saving;
    }
    const run = (async () => {
      try {
        await this.deps.leaseStore.save(this.responder.leases());
        this.counters.leaseSaves += 1;
      } catch (error) {
        this.counters.leaseSaveErrors += 1;
        this.deps.log.error({ err: error }, 'dhcp: saving leases failed');
      }
    })();
    this.saving = run;
    await run;
    if (this.saving === run) this.saving = undefined;
  }
}
