// The read-only TFTP transfer state machine (RFC 1350 + RFC 2347/2348/2349/7440), with no I/O:
// it takes decoded packets and timer expiries and returns what to send and which timer to arm.
// DATA payloads are described as (file offset, length) so the server can read them in place.
import { encodeError, encodeOack, ErrorCode, type TftpPacket } from './packet.js';

export interface TransferLimits {
  /** Largest blksize we agree to (RFC 2348 allows 8–65464); bigger requests are capped. */
  maxBlksize: number;
  /** Largest windowsize we agree to (RFC 7440 allows 1–65535; we cap at ≤ 64). */
  maxWindowsize: number;
  /**
   * Retransmission timeout before any RTT sample and any back-off, when the client did not ask
   * for one (ms). Also the ceiling of the adaptive timeout.
   */
  timeoutMs: number;
  /** Floor of the adaptive retransmission timeout (ms). */
  minTimeoutMs: number;
  /** Without progress for this long, the transfer is abandoned (a vanished client) (ms). */
  idleTimeoutMs: number;
  /** Upper bound of the exponential back-off (ms). */
  maxTimeoutMs: number;
  /**
   * A duplicate of the current ACK resends the window only if the window left at least this long
   * ago (ms): that duplicate is the client's own timeout firing, not an echo of a duplicate DATA.
   */
  dupAckHoldoffMs: number;
}

export const defaultLimits: TransferLimits = {
  maxBlksize: 1468,
  maxWindowsize: 64,
  timeoutMs: 1000,
  minTimeoutMs: 100,
  idleTimeoutMs: 30_000,
  maxTimeoutMs: 8000,
  dupAckHoldoffMs: 250,
};

export interface NegotiatedOptions {
  blksize: number;
  windowsize: number;
  /** Base retransmission timeout in ms (from the RFC 2349 `timeout` option or the default). */
  timeoutMs: number;
  /** Present when the client asked for tsize (RFC 2349). */
  tsize?: number;
  /** True when an OACK was sent (some option was understood). */
  oack: boolean;
}

export type SendAction =
  | { kind: 'packet'; bytes: Buffer }
  /** A DATA packet: `block` is the absolute block number (wire value is `block & 0xffff`). */
  | { kind: 'data'; block: number; offset: number; length: number };

export type Outcome =
  | 'complete'
  /** RFC 2347 §2: the client refused our OACK (PXE ROMs do this after a tsize probe). */
  | 'declined'
  | 'timeout'
  | 'client-error'
  | 'protocol-error';

export interface Step {
  send: SendAction[];
  /** (Re-)arm the retransmission timer for this many ms; null = leave the timer as it is. */
  timerMs: number | null;
  /** Set once the transfer is over; the server then closes the socket and reports. */
  done?: { outcome: Outcome; reason: string };
}

/**
 * Negotiates RFC 2347 options. Unknown options and out-of-range values are ignored (RFC 2347 §2:
 * the server omits what it does not accept); oversized blksize/windowsize are capped.
 */
export function negotiate(
  requested: Record<string, string>,
  size: number,
  limits: TransferLimits,
): { options: NegotiatedOptions; oack: Record<string, string> } {
  const oack: Record<string, string> = {};
  const options: NegotiatedOptions = {
    blksize: 512,
    windowsize: 1,
    timeoutMs: limits.timeoutMs,
    oack: false,
  };
  const int = (name: string): number | null => {
    const v = requested[name];
    if (v === undefined || !/^\d{1,10}$/.test(v)) return null;
    return Number(v);
  };
  // RFC 2348: 8–65464 octets; a larger request may be answered with a smaller value.
  const blksize = int('blksize');
  if (blksize !== null && blksize >= 8) {
    options.blksize = Math.min(blksize, 65464, Math.max(8, limits.maxBlksize));
    oack.blksize = String(options.blksize);
  }
  // RFC 2349 §3: timeout 1–255 seconds; anything else is not acknowledged.
  const timeout = int('timeout');
  if (timeout !== null && timeout >= 1 && timeout <= 255) {
    options.timeoutMs = timeout * 1000;
    oack.timeout = String(timeout);
  }
  // RFC 2349 §4: in a RRQ the client sends 0 and the server answers with the file size.
  if (int('tsize') !== null) {
    options.tsize = size;
    oack.tsize = String(size);
  }
  // RFC 7440 §3: windowsize 1–65535; capped by our limit.
  const windowsize = int('windowsize');
  if (windowsize !== null && windowsize >= 1) {
    options.windowsize = Math.min(windowsize, 65535, Math.max(1, limits.maxWindowsize));
    oack.windowsize = String(options.windowsize);
  }
  options.oack = Object.keys(oack).length > 0;
  return { options, oack };
}

type Phase = 'oack' | 'data' | 'done';

export class ReadTransfer {
  readonly options: NegotiatedOptions;
  /** Number of DATA blocks, including the final short (possibly empty) one. */
  readonly totalBlocks: number;
  /** Packets sent again because of a timeout or a gap reported by the client. */
  retransmits = 0;
  /** Payload bytes the client acknowledged. */
  bytesAcked = 0;

  private phase: Phase;
  private readonly oackBytes: Buffer | null;
  private acked = 0; // highest absolute block acknowledged
  private sent = 0; // highest absolute block sent
  private tries = 0; // consecutive timeouts without progress (back-off exponent)
  private lastSendAt = 0; // when the current window last left
  private lastProgressAt = 0; // when the client last acknowledged something new
  private resent = false; // the current window went out more than once (Karn: no RTT sample)
  private srtt = -1; // smoothed RTT, ms (RFC 6298 §2); -1 = no sample yet
  private rttvar = 0;

  constructor(
    requested: Record<string, string>,
    readonly size: number,
    private readonly limits: TransferLimits = defaultLimits,
  ) {
    const { options, oack } = negotiate(requested, size, limits);
    this.options = options;
    // RFC 1350 §6: a block shorter than blksize ends the transfer, so a size that is a multiple
    // of blksize (including 0) needs one extra, empty block.
    this.totalBlocks = Math.floor(size / options.blksize) + 1;
    this.oackBytes = options.oack ? encodeOack(oack) : null;
    this.phase = options.oack ? 'oack' : 'data';
  }

  get isDone(): boolean {
    return this.phase === 'done';
  }

  /**
   * First packets of the transfer: the OACK, or (no options understood) the first window.
   * `now` (ms, any monotonic origin) only serves the duplicate-ACK hold-off.
   */
  start(now = 0): Step {
    this.lastSendAt = now;
    this.lastProgressAt = now;
    if (this.oackBytes) return { send: [{ kind: 'packet', bytes: this.oackBytes }], timerMs: this.timer() };
    return { send: this.window(), timerMs: this.timer() };
  }

  onPacket(packet: TftpPacket, now = 0): Step {
    if (this.phase === 'done') return { send: [], timerMs: null };
    switch (packet.op) {
      case 'ack':
        return this.onAck(packet.block, now);
      case 'error':
        if (this.phase === 'oack') {
          // RFC 2347 §2 / PXE spec: the ROM asks for tsize, reads the OACK and aborts with ERROR 8
          // before fetching for real. Closing without an answer is the expected behaviour.
          return this.finish(
            'declined',
            `client declined the OACK (error ${packet.code}: ${packet.message})`,
          );
        }
        return this.finish('client-error', `client sent error ${packet.code}: ${packet.message}`);
      default:
        // RFC 1350 §7: an unexpected opcode on an established transfer is an illegal operation.
        return this.finish(
          'protocol-error',
          `unexpected ${packet.op.toUpperCase()} during a read transfer`,
          encodeError(ErrorCode.ILLEGAL_OPERATION, 'Illegal TFTP operation'),
        );
    }
  }

  onTimeout(now = 0): Step {
    if (this.phase === 'done') return { send: [], timerMs: null };
    if (now - this.lastProgressAt >= this.limits.idleTimeoutMs) {
      return this.finish(
        'timeout',
        `no progress for ${now - this.lastProgressAt} ms (${this.tries} retransmissions): ${this.stallHint()}`,
      );
    }
    this.tries += 1;
    this.lastSendAt = now;
    this.resent = true;
    if (this.phase === 'oack' && this.oackBytes) {
      this.retransmits += 1;
      return { send: [{ kind: 'packet', bytes: this.oackBytes }], timerMs: this.timer() };
    }
    // Resend the whole window from the last acknowledged block + 1 (RFC 7440 §4).
    const send = this.window();
    this.retransmits += send.length;
    return { send, timerMs: this.timer() };
  }

  /**
   * Where the transfer stalled and what that usually means, for the operator reading the timeline
   * (a bare "timeout" gives no hint why). Which packet was last acknowledged tells them apart:
   * nothing at all back on the transfer port is a firewall/NAT that passes only port 69 (no TFTP
   * helper, RFC 1350 §4: the transfer runs on new ports); an acknowledged OACK followed by silence
   * on a DATA block bigger than 512 bytes is a path MTU below the negotiated blksize.
   */
  private stallHint(): string {
    const { blksize } = this.options;
    if (this.phase === 'oack') {
      return 'the client never acknowledged the OACK: nothing came back to the transfer port (a firewall or NAT between that only passes port 69?) or the client gave up';
    }
    if (this.acked === 0 && this.options.oack && blksize > 512) {
      return `the client acknowledged the OACK but never DATA block 1 (${blksize} bytes): a path MTU below ${blksize + 32} bytes (tunnel, VLAN)? lower [tftp] max_blksize`;
    }
    if (this.acked === 0) {
      return 'the client never acknowledged DATA block 1: nothing came back to the transfer port (a firewall or NAT between that only passes port 69?) or the client gave up';
    }
    return `the client stopped acknowledging after block ${this.acked} of ${this.totalBlocks} (client reset or link lost)`;
  }

  private onAck(wire: number, now: number): Step {
    if (this.phase === 'oack') {
      // RFC 2347: the client acknowledges the OACK with ACK 0; anything else is stale.
      if (wire !== 0) return { send: [], timerMs: null };
      this.phase = 'data';
      this.progress(now);
      return { send: this.window(), timerMs: this.timer() };
    }
    // Map the 16-bit block number onto the absolute one: the latest block ≤ `sent` with those low
    // bits. Block numbers roll over from 65535 to 0 (what tftp-hpa, iPXE and curl expect).
    const block = this.sent - ((this.sent - wire) & 0xffff);
    // A duplicate or older ACK must not trigger a retransmission: answering every duplicate doubles
    // the traffic for the rest of the transfer (the Sorcerer's Apprentice bug, RFC 1123 §4.2.3.1).
    // Our own timer resends when the data was really lost — or, sooner, a duplicate of the current
    // ACK that comes long after the window left: that one is the client timing out (tftp-hpa does
    // the same), so the lost window is resent without waiting for a long negotiated timeout.
    if (block < this.acked) return { send: [], timerMs: null };
    if (block === this.acked) {
      if (now - this.lastSendAt < this.limits.dupAckHoldoffMs) return { send: [], timerMs: null };
      this.lastSendAt = now;
      this.resent = true;
      const send = this.window();
      this.retransmits += send.length;
      return { send, timerMs: this.timer() };
    }
    this.acked = block;
    this.progress(now);
    this.bytesAcked = Math.min(block * this.options.blksize, this.size);
    if (block >= this.totalBlocks) return this.finish('complete', 'transfer complete');
    // RFC 7440 §4: an ACK inside the window means the client saw a gap; the next window starts at
    // ack + 1 either way. With windowsize 1 this is plain lock-step.
    const alreadySent = this.sent - block;
    const send = this.window();
    if (alreadySent > 0) this.retransmits += Math.min(send.length, alreadySent);
    return { send, timerMs: this.timer() };
  }

  /** DATA actions for acked+1 … acked+windowsize (bounded by the file). */
  private window(): SendAction[] {
    const { blksize, windowsize } = this.options;
    const first = this.acked + 1;
    const last = Math.min(this.acked + windowsize, this.totalBlocks);
    const out: SendAction[] = [];
    for (let block = first; block <= last; block++) {
      const offset = (block - 1) * blksize;
      out.push({ kind: 'data', block, offset, length: Math.max(0, Math.min(blksize, this.size - offset)) });
    }
    if (last > this.sent) this.sent = last;
    return out;
  }

  /** Progress: sample the RTT (unless the window was resent, Karn's rule) and reset back-off. */
  private progress(now: number): void {
    if (!this.resent) {
      const sample = Math.max(0, now - this.lastSendAt);
      // RFC 6298 §2.2–2.3 smoothing (alpha 1/8, beta 1/4).
      if (this.srtt < 0) {
        this.srtt = sample;
        this.rttvar = sample / 2;
      } else {
        this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
        this.srtt = 0.875 * this.srtt + 0.125 * sample;
      }
    }
    this.tries = 0;
    this.resent = false;
    this.lastSendAt = now;
    this.lastProgressAt = now;
  }

  /**
   * Retransmission timer: adaptive (RFC 6298 srtt + 4·rttvar) between minTimeoutMs and the
   * negotiated/default timeout, doubled per consecutive timeout up to maxTimeoutMs. A fixed
   * 1–6 s timer makes each lost packet cost seconds; on a LAN the RTT is well under 1 ms.
   */
  private timer(): number {
    const ceiling = this.options.timeoutMs;
    const rto =
      this.srtt < 0
        ? ceiling
        : Math.min(ceiling, Math.max(this.limits.minTimeoutMs, this.srtt + 4 * this.rttvar));
    return Math.min(rto * 2 ** this.tries, Math.max(rto, this.limits.maxTimeoutMs));
  }

  private finish(outcome: Outcome, reason: string, bytes?: Buffer): Step {
    this.phase = 'done';
    return { send: bytes ? [{ kind: 'packet', bytes }] : [], timerMs: null, done: { outcome, reason } };
  }
}
