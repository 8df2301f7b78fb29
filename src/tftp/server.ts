// The TFTP server's I/O shell: the port-69 listener, one ephemeral socket per transfer (RFC 1350
// §4 TIDs), admission caps with a queue, positional reads into per-transfer reused buffers, timers,
// and one event per transfer. Protocol decisions live in transfer.ts.
import dgram from 'node:dgram';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import {
  decodePacket,
  encodeError,
  ErrorCode,
  Opcode,
  writeDataHeader,
  type RequestPacket,
} from './packet.js';
import { PathJail, normalizeRequestPath } from './jail.js';
import { defaultLimits, ReadTransfer, type Outcome, type Step } from './transfer.js';

const openFile = promisify(fs.open);
const fstat = promisify(fs.fstat);

export interface TftpServerOptions {
  /** Listener address; use the provisioning IP on multi-homed hosts (replies leave from it). */
  address: string;
  /** Listener UDP port (RFC 1350: 69). 0 picks a free port (tests). */
  port: number;
  /** Boot root directory: every filesystem read is jailed inside it. */
  root: string;
  /** Largest blksize agreed (RFC 2348 bounds 8–65464). */
  maxBlksize: number;
  /** Largest windowsize agreed (RFC 7440), 1–64. */
  maxWindowsize: number;
  /** Initial retransmission timeout (ms) when the client does not negotiate `timeout`. */
  timeoutMs: number;
  /** Upper bound of the retransmission back-off (ms). */
  maxTimeoutMs: number;
  /** Floor of the adaptive retransmission timeout (ms). */
  minTimeoutMs: number;
  /** A transfer without progress for this long is abandoned (vanished client) (ms). */
  idleTimeoutMs: number;
  /** A duplicate ACK resends the window only this long after it left (ms); see transfer.ts. */
  dupAckHoldoffMs: number;
  /** Concurrent transfers, all clients together; more requests wait in the queue. */
  maxTransfers: number;
  /** Concurrent transfers per client IP; more requests from it wait in the queue. */
  maxTransfersPerClient: number;
  /** Requests allowed to wait; beyond this a request is refused (ERROR 0, server busy). */
  maxQueued: number;
  /** A queued request older than this is dropped (its client has given up by then) (ms). */
  queueTimeoutMs: number;
}

export const defaultTftpOptions: Omit<TftpServerOptions, 'root'> = {
  address: '0.0.0.0',
  port: 69,
  maxBlksize: defaultLimits.maxBlksize,
  maxWindowsize: defaultLimits.maxWindowsize,
  timeoutMs: defaultLimits.timeoutMs,
  maxTimeoutMs: defaultLimits.maxTimeoutMs,
  minTimeoutMs: defaultLimits.minTimeoutMs,
  idleTimeoutMs: defaultLimits.idleTimeoutMs,
  dupAckHoldoffMs: defaultLimits.dupAckHoldoffMs,
  maxTransfers: 128,
  maxTransfersPerClient: 8,
  maxQueued: 1024,
  queueTimeoutMs: 30_000,
};

export interface TftpClient {
  address: string;
  port: number;
}

/** Generated content (per-MAC configs) or a trusted file outside the root (loader binaries). */
export type ResolvedContent = { kind: 'buffer'; data: Buffer } | { kind: 'file'; path: string };

/**
 * Consulted before the filesystem with the normalised relative path (no leading `/`, `\` mapped,
 * `..` already refused). `null` falls through to the jailed boot root. A `file` path is trusted
 * as given (it comes from our own code, not from the peer).
 */
export type ContentResolver = (
  path: string,
  client: TftpClient,
) => ResolvedContent | null | Promise<ResolvedContent | null>;

export interface TftpServerDeps {
  options: Partial<TftpServerOptions> & Pick<TftpServerOptions, 'root'>;
  log: Logger;
  events: EventSink;
  clock?: Clock;
  resolve?: ContentResolver;
}

export type TransferOutcome = Outcome | 'superseded' | 'server-error' | 'shutdown';
export type RefusalReason =
  'write-request' | 'not-found' | 'access-violation' | 'bad-request' | 'queue-full' | 'queue-timeout';

export interface TftpStats {
  transfers: Record<TransferOutcome, number>;
  refused: Record<RefusalReason, number>;
  /** Payload bytes acknowledged by clients. */
  bytes: number;
  /** DATA/OACK packets sent again (added when a transfer ends). */
  retransmits: number;
  active: number;
  queued: number;
  /** High-water mark of the queue since start. */
  queuedPeak: number;
  /** Datagrams that did not decode. */
  malformed: number;
  /** Datagrams from a foreign address/port on a transfer socket (answered with ERROR 5). */
  unknownTid: number;
}

interface Queued {
  key: string;
  client: TftpClient;
  request: RequestPacket;
  relative: string;
  since: number;
}

interface Active {
  key: string;
  client: TftpClient;
  request: RequestPacket;
  relative: string;
  started: number;
  socket: dgram.Socket | null;
  engine: ReadTransfer | null;
  source: 'hook' | 'file';
  fd: number | null;
  /** Size of the content being sent. */
  engineSize: number;
  buffer: Buffer | null;
  /** One reusable packet buffer per window position (header + payload). */
  slots: Buffer[];
  /** Absolute block held by each slot, so retransmissions skip the read. */
  slotBlock: Float64Array;
  /** Read-ahead: one positional read fills many blocks (file offset and valid length). */
  chunk: Buffer | null;
  chunkStart: number;
  chunkLength: number;
  timer: NodeJS.Timeout | null;
  deadline: number;
  timerAt: number;
  received: boolean;
  closed: boolean;
}

// Replies go to the literal address of the peer: resolve it synchronously so that dgram sends at
// once instead of after a deferred dns.lookup (which would also delay the buffer being copied).
const literalLookup = (
  address: string,
  _family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void => callback(null, address, 4);

const refusalCode: Record<RefusalReason, number> = {
  'write-request': ErrorCode.ACCESS_VIOLATION,
  'not-found': ErrorCode.FILE_NOT_FOUND,
  'access-violation': ErrorCode.ACCESS_VIOLATION,
  'bad-request': ErrorCode.ILLEGAL_OPERATION,
  'queue-full': ErrorCode.NOT_DEFINED,
  'queue-timeout': ErrorCode.NOT_DEFINED,
};
const refusalText: Record<RefusalReason, string> = {
  'write-request': 'Write requests are not accepted (read-only server)',
  'not-found': 'File not found',
  'access-violation': 'Access violation',
  'bad-request': 'Illegal TFTP operation',
  'queue-full': 'Server busy',
  'queue-timeout': 'Server busy',
};

export class TftpServer {
  private readonly opts: TftpServerOptions;
  private readonly log: Logger;
  private readonly events: EventSink;
  private readonly clock: Clock;
  private readonly resolveHook: ContentResolver | undefined;
  private readonly jail: PathJail;
  private listener: dgram.Socket | null = null;
  private readonly active = new Map<string, Active>();
  private readonly perClient = new Map<string, number>();
  private readonly queue: Queued[] = [];
  private readonly counters: TftpStats = {
    transfers: {
      complete: 0,
      declined: 0,
      timeout: 0,
      'client-error': 0,
      'protocol-error': 0,
      superseded: 0,
      'server-error': 0,
      shutdown: 0,
    },
    refused: {
      'write-request': 0,
      'not-found': 0,
      'access-violation': 0,
      'bad-request': 0,
      'queue-full': 0,
      'queue-timeout': 0,
    },
    bytes: 0,
    retransmits: 0,
    active: 0,
    queued: 0,
    queuedPeak: 0,
    malformed: 0,
    unknownTid: 0,
  };

  constructor(deps: TftpServerDeps) {
    this.opts = { ...defaultTftpOptions, ...deps.options };
    this.log = deps.log;
    this.events = deps.events;
    this.clock = deps.clock ?? systemClock;
    this.resolveHook = deps.resolve;
    this.jail = new PathJail(this.opts.root);
  }

  /** Binds the listener; resolves with the bound address (port 0 → the chosen one). */
  async start(): Promise<{ address: string; port: number }> {
    const socket = dgram.createSocket({ type: 'udp4', lookup: literalLookup });
    socket.on('message', (msg, rinfo) =>
      this.onListenerMessage(msg, { address: rinfo.address, port: rinfo.port }),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(
          new AppError('ERR_TFTP_BIND', `cannot bind ${this.opts.address}:${this.opts.port}: ${err.message}`),
        );
      });
      socket.bind({ address: this.opts.address, port: this.opts.port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.log.error({ err }, 'tftp listener socket error'));
        // A boot storm sends hundreds of RRQs at once; the default ~200 KiB buffer drops them in
        // the kernel, where no counter of ours sees them (the DHCP listener does the same).
        try {
          socket.setRecvBufferSize(4 * 1024 * 1024);
        } catch (err) {
          this.log.warn({ err }, 'tftp: could not enlarge the listener receive buffer');
        }
        resolve();
      });
    });
    this.listener = socket;
    const bound = socket.address();
    this.log.info(
      { address: bound.address, port: bound.port, root: this.opts.root },
      'tftp server listening',
    );
    return { address: bound.address, port: bound.port };
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    this.queue.length = 0;
    for (const t of [...this.active.values()]) this.finish(t, 'shutdown', 'server stopping');
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  stats(): TftpStats {
    return {
      ...this.counters,
      transfers: { ...this.counters.transfers },
      refused: { ...this.counters.refused },
      active: this.active.size,
      queued: this.queue.length,
    };
  }

  // --- listener -----------------------------------------------------------------------------

  private onListenerMessage(msg: Buffer, client: TftpClient): void {
    try {
      const decoded = decodePacket(msg);
      if (!decoded.ok) {
        this.counters.malformed += 1;
        this.log.debug({ client, reason: decoded.reason }, 'tftp: undecodable datagram on the listener');
        return;
      }
      const packet = decoded.packet;
      if (packet.op === 'wrq') {
        this.refuse(client, packet.filename, 'write-request', 'write requests are refused: read-only server');
        return;
      }
      if (packet.op !== 'rrq') {
        // RFC 1350 §4: DATA/ACK/… belong to a transfer TID, never to port 69. ERRORs get no answer.
        if (packet.op !== 'error') this.reply(client, ErrorCode.UNKNOWN_TID, 'Unknown transfer ID');
        return;
      }
      this.onRequest(packet, client);
    } catch (err) {
      // Nothing a peer sends may take the server down.
      this.log.error({ err, client }, 'tftp: unexpected failure handling a request');
    }
  }

  private onRequest(request: RequestPacket, client: TftpClient): void {
    const normal = normalizeRequestPath(request.filename);
    if (!normal.ok) {
      this.refuse(
        client,
        request.filename,
        normal.reason === 'invalid' ? 'bad-request' : 'access-violation',
        `path ${normal.reason}`,
      );
      return;
    }
    const key = `${client.address}:${client.port}`;
    const existing = this.active.get(key);
    if (existing) {
      // The same request again before we heard from the client: a retransmitted RRQ. Our own
      // timer answers it; starting a second transfer would only race the first.
      if (!existing.received && sameRequest(existing.request, request)) return;
      // Otherwise the client has moved on (e.g. a PXE ROM re-requesting after a tsize probe
      // whose ERROR 8 got lost, from the same port): the old transfer is dead.
      this.finish(existing, 'superseded', 'client sent a new request from the same port');
    }
    const queuedAt = this.queue.findIndex((q) => q.key === key);
    if (queuedAt >= 0) this.queue.splice(queuedAt, 1);
    if (this.canAdmit(client.address)) {
      void this.begin({ key, client, request, relative: normal.relative });
      return;
    }
    if (this.queue.length >= this.opts.maxQueued) {
      this.refuse(client, request.filename, 'queue-full', `${this.queue.length} requests already waiting`);
      return;
    }
    this.queue.push({ key, client, request, relative: normal.relative, since: this.clock.now() });
    this.counters.queuedPeak = Math.max(this.counters.queuedPeak, this.queue.length);
  }

  private canAdmit(address: string): boolean {
    return (
      this.active.size < this.opts.maxTransfers &&
      (this.perClient.get(address) ?? 0) < this.opts.maxTransfersPerClient
    );
  }

  private drainQueue(): void {
    const now = this.clock.now();
    for (let i = 0; i < this.queue.length && this.active.size < this.opts.maxTransfers;) {
      const q = this.queue[i] as Queued;
      if (now - q.since > this.opts.queueTimeoutMs) {
        this.queue.splice(i, 1);
        this.refuse(
          q.client,
          q.request.filename,
          'queue-timeout',
          `waited ${now - q.since} ms for a free slot`,
          false,
        );
        continue;
      }
      if (this.canAdmit(q.client.address)) {
        this.queue.splice(i, 1);
        void this.begin(q);
        continue;
      }
      i++;
    }
  }

  // --- transfer set-up ----------------------------------------------------------------------

  private async begin(q: Omit<Queued, 'since'>): Promise<void> {
    const t: Active = {
      key: q.key,
      client: q.client,
      request: q.request,
      relative: q.relative,
      started: this.clock.now(),
      socket: null,
      engine: null,
      source: 'file',
      fd: null,
      engineSize: 0,
      buffer: null,
      slots: [],
      slotBlock: new Float64Array(0),
      chunk: null,
      chunkStart: 0,
      chunkLength: 0,
      timer: null,
      deadline: 0,
      timerAt: 0,
      received: false,
      closed: false,
    };
    // Reserve the slot before any await so the caps hold while files are being opened.
    this.active.set(t.key, t);
    this.perClient.set(t.client.address, (this.perClient.get(t.client.address) ?? 0) + 1);
    try {
      const size = await this.open(t);
      if (size === null || t.closed) return;
      t.engineSize = size;
      const socket = dgram.createSocket({ type: 'udp4', lookup: literalLookup });
      t.socket = socket;
      socket.on('message', (msg, rinfo) => this.onTransferMessage(t, msg, rinfo));
      socket.on('error', (err) => this.finish(t, 'server-error', `socket error: ${err.message}`));
      // A failed bind ends the transfer through the 'error' handler above; settle here too, so
      // that this transfer's start does not wait forever.
      await new Promise<void>((resolve) => {
        socket.once('error', () => resolve());
        socket.bind({ address: this.opts.address, port: 0 }, resolve);
      });
      if (t.closed) return;
      const engine = new ReadTransfer(q.request.options, size, {
        maxBlksize: this.opts.maxBlksize,
        maxWindowsize: Math.min(64, this.opts.maxWindowsize),
        timeoutMs: this.opts.timeoutMs,
        maxTimeoutMs: this.opts.maxTimeoutMs,
        minTimeoutMs: this.opts.minTimeoutMs,
        idleTimeoutMs: this.opts.idleTimeoutMs,
        dupAckHoldoffMs: this.opts.dupAckHoldoffMs,
      });
      t.engine = engine;
      const { blksize, windowsize } = engine.options;
      // Never more slots than blocks: small config files need one buffer, not 64.
      const slotCount = Math.min(windowsize, engine.totalBlocks);
      for (let i = 0; i < slotCount; i++) t.slots.push(Buffer.allocUnsafe(4 + blksize));
      t.slotBlock = new Float64Array(slotCount).fill(-1);
      if (t.fd !== null) {
        // At least 64 KiB or one window per read: a pread per 1468-byte block cost ~10 % of the
        // server CPU under 16 concurrent clients (profile in docs/benchmarks.md).
        const blocks = Math.max(windowsize, Math.ceil(READ_AHEAD / blksize));
        t.chunk = Buffer.allocUnsafe(Math.min(blocks * blksize, Math.max(size, 1)));
      }
      this.apply(t, engine.start(this.clock.now()));
    } catch (err) {
      this.log.warn({ err, client: t.client, file: t.relative }, 'tftp: transfer set-up failed');
      this.finish(t, 'server-error', `set-up failed: ${(err as Error).message}`);
    }
  }

  /** Finds the content (hook first, then the jailed root); refuses and returns null when absent. */
  private async open(t: Active): Promise<number | null> {
    const hooked = this.resolveHook ? await this.resolveHook(t.relative, t.client) : null;
    if (hooked?.kind === 'buffer') {
      t.source = 'hook';
      t.buffer = hooked.data;
      return hooked.data.length;
    }
    let path: string;
    if (hooked?.kind === 'file') {
      t.source = 'hook';
      path = hooked.path;
    } else {
      const jailed = await this.jail.resolve(t.relative);
      if (!jailed.ok) {
        const reason = jailed.reason === 'not-found' ? 'not-found' : 'access-violation';
        this.release(t);
        // The root's path tells the operator where the file was looked for (a file copied elsewhere).
        const detail =
          jailed.reason === 'not-found'
            ? `no such file in the boot root ${this.opts.root}`
            : `path ${jailed.reason}`;
        this.refuse(t.client, t.request.filename, reason, detail);
        return null;
      }
      path = jailed.path;
    }
    let fd: number;
    try {
      fd = await openFile(path, 'r');
    } catch {
      this.release(t);
      this.refuse(t.client, t.request.filename, 'not-found', 'cannot open file');
      return null;
    }
    if (t.closed) {
      fs.close(fd, () => undefined);
      return null;
    }
    t.fd = fd;
    const info = await fstat(fd);
    return info.size;
  }

  // --- transfer traffic ---------------------------------------------------------------------

  private onTransferMessage(t: Active, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      if (t.closed || !t.engine) return;
      if (rinfo.port !== t.client.port || rinfo.address !== t.client.address) {
        // RFC 1350 §4: a packet from a foreign TID gets ERROR 5 and leaves the transfer untouched.
        this.counters.unknownTid += 1;
        t.socket?.send(encodeError(ErrorCode.UNKNOWN_TID, 'Unknown transfer ID'), rinfo.port, rinfo.address);
        return;
      }
      t.received = true;
      if (msg.length >= 4 && msg[0] === 0 && msg[1] === Opcode.ACK) {
        // Hot path: half of all traffic; no decoded-object allocation.
        this.apply(t, t.engine.onPacket({ op: 'ack', block: (msg[2]! << 8) | msg[3]! }, this.clock.now()));
        return;
      }
      const decoded = decodePacket(msg);
      if (!decoded.ok) {
        this.counters.malformed += 1;
        return;
      }
      this.apply(t, t.engine.onPacket(decoded.packet, this.clock.now()));
    } catch (err) {
      this.log.error({ err, client: t.client }, 'tftp: unexpected failure in a transfer');
      this.finish(t, 'server-error', `internal error: ${(err as Error).message}`);
    }
  }

  private onTimer(t: Active): void {
    t.timer = null;
    if (t.closed || !t.engine) return;
    const now = this.clock.now();
    // The deadline moves on every ACK without touching the timer; re-arm for what is left.
    if (now < t.deadline) {
      t.timerAt = t.deadline;
      t.timer = setTimeout(() => this.onTimer(t), t.deadline - now);
      return;
    }
    try {
      this.apply(t, t.engine.onTimeout(now));
    } catch (err) {
      this.finish(t, 'server-error', `internal error: ${(err as Error).message}`);
    }
  }

  private apply(t: Active, step: Step): void {
    const socket = t.socket;
    const engine = t.engine;
    if (!socket || !engine) return;
    const { port, address } = t.client;
    for (const action of step.send) {
      if (action.kind === 'packet') {
        socket.send(action.bytes, port, address);
        continue;
      }
      const index = action.block % t.slots.length;
      const slot = t.slots[index] as Buffer;
      // A slot is refilled only when its block changes; a block's slot is reused only after the
      // client acknowledged it, so a send still queued in the kernel never sees new bytes.
      if (t.slotBlock[index] !== action.block) {
        if (action.length > 0) {
          if (t.buffer) t.buffer.copy(slot, 4, action.offset, action.offset + action.length);
          else this.readBlock(t, slot, action.offset, action.length);
        }
        writeDataHeader(slot, action.block & 0xffff);
        t.slotBlock[index] = action.block;
      }
      socket.send(slot, 0, 4 + action.length, port, address);
    }
    if (step.done) {
      this.finish(t, step.done.outcome, step.done.reason);
      return;
    }
    if (step.timerMs !== null) {
      // Moving a deadline is a field write; the timer is only replaced when it must fire earlier.
      t.deadline = this.clock.now() + step.timerMs;
      if (t.timer && t.deadline < t.timerAt) {
        clearTimeout(t.timer);
        t.timer = null;
      }
      if (!t.timer) {
        t.timerAt = t.deadline;
        t.timer = setTimeout(() => this.onTimer(t), step.timerMs);
      }
    }
  }

  /** Copies a block from the read-ahead chunk, refilling it with one pread when needed. */
  private readBlock(t: Active, slot: Buffer, offset: number, length: number): void {
    const chunk = t.chunk as Buffer;
    if (offset < t.chunkStart || offset + length > t.chunkStart + t.chunkLength) {
      t.chunkStart = offset;
      t.chunkLength = readFully(
        t.fd as number,
        chunk,
        0,
        Math.min(chunk.length, Math.max(0, t.engineSize - offset)),
        offset,
      );
    }
    chunk.copy(slot, 4, offset - t.chunkStart, offset - t.chunkStart + length);
  }

  // --- endings ------------------------------------------------------------------------------

  private release(t: Active): void {
    if (this.active.get(t.key) === t) this.active.delete(t.key);
    const n = (this.perClient.get(t.client.address) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(t.client.address);
    else this.perClient.set(t.client.address, n);
  }

  private finish(t: Active, outcome: TransferOutcome, reason: string): void {
    if (t.closed) return;
    t.closed = true;
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
    if (t.socket) {
      const socket = t.socket;
      // Close after pending sends (e.g. a final ERROR) have left.
      setImmediate(() => socket.close());
    }
    if (t.fd !== null) fs.close(t.fd, () => undefined);
    t.fd = null;
    this.release(t);
    const engine = t.engine;
    const ms = this.clock.now() - t.started;
    const bytes = engine?.bytesAcked ?? 0;
    const retransmits = engine?.retransmits ?? 0;
    this.counters.transfers[outcome] += 1;
    this.counters.bytes += bytes;
    this.counters.retransmits += retransmits;
    const options = engine
      ? {
          blksize: engine.options.blksize,
          windowsize: engine.options.windowsize,
          timeout: engine.options.timeoutMs / 1000,
          ...(engine.options.tsize !== undefined ? { tsize: engine.options.tsize } : {}),
        }
      : {};
    const level =
      outcome === 'complete' ? 'info' : outcome === 'declined' || outcome === 'shutdown' ? 'debug' : 'warn';
    const size = engine?.size ?? 0;
    this.events.emit({
      type: 'tftp.transfer',
      level,
      message:
        `TFTP ${t.relative} to ${t.client.address}:${t.client.port}: ${outcome} — ${reason} ` +
        `(${bytes}/${size} bytes, ${ms} ms, ${retransmits} retransmits` +
        (engine ? `, blksize ${engine.options.blksize}, windowsize ${engine.options.windowsize})` : ')'),
      data: {
        file: t.relative,
        client: { ...t.client },
        source: t.source,
        options,
        size,
        bytes,
        retransmits,
        ms,
        outcome,
        reason,
      },
    });
    this.drainQueue();
  }

  private refuse(
    client: TftpClient,
    file: string,
    reason: RefusalReason,
    detail: string,
    answer = true,
  ): void {
    this.counters.refused[reason] += 1;
    if (answer) this.reply(client, refusalCode[reason], refusalText[reason]);
    this.events.emit({
      type: 'tftp.refused',
      level: reason === 'not-found' ? 'info' : 'warn',
      message: `TFTP request for ${JSON.stringify(file)} from ${client.address}:${client.port} refused: ${reason} (${detail})`,
      data: { file, client: { ...client }, reason, detail },
    });
    this.drainQueue();
  }

  private reply(client: TftpClient, code: number, message: string): void {
    this.listener?.send(encodeError(code, message), client.port, client.address);
  }
}

function sameRequest(a: RequestPacket, b: RequestPacket): boolean {
  if (a.filename !== b.filename || a.mode !== b.mode) return false;
  const ka = Object.keys(a.options);
  if (ka.length !== Object.keys(b.options).length) return false;
  return ka.every((k) => a.options[k] === b.options[k]);
}

const READ_AHEAD = 64 * 1024;

/** Positional read of `length` bytes into `buf` at `at`; returns `length`. */
function readFully(fd: number, buf: Buffer, at: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    // Synchronous pread: boot files sit in the page cache, and a thread-pool round trip per
    // read would cost more than the copy (a lock-step client waits on every block).
    const n = fs.readSync(fd, buf, at + done, length - done, position + done);
    if (n === 0) {
      // The file shrank under us: send zeros rather than stale bytes; the client's checksum
      // will tell. This only happens when the operator rewrites a file mid-transfer.
      buf.fill(0, at + done, at + length);
      return length;
    }
    done += n;
  }
  return length;
}
