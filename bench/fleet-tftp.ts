// A minimal TFTP read client for the fleet simulation, playing a PXE ROM or pxelinux: RRQ with
// RFC 2347 options (RFC 2348 blksize, RFC 2349 tsize, RFC 7440 windowsize), OACK → ACK 0, in-order
// DATA acknowledged per window, retransmission on silence. Codecs are src/tftp/packet.ts.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { decodePacket, encodeAck, encodeError, encodeRequest, ErrorCode } from '../src/tftp/packet.js';

export interface TftpGetOptions {
  server: string;
  port?: number;
  /** Source address (the machine's leased IP): the server caps transfers per client address. */
  localAddress?: string;
  file: string;
  /** RFC 2348 blksize to ask for; undefined sends none (512-byte blocks). */
  blksize?: number;
  /** RFC 7440 windowsize to ask for; undefined or 1 sends none (lock-step, RFC 1350). */
  windowsize?: number;
  /** RFC 2349 tsize 0 in the request (the server answers with the size). */
  tsize?: boolean;
  /** Silence before a retransmission (ms) and how many in a row end the transfer. */
  timeoutMs?: number;
  retries?: number;
  /** Keep the content (configs); otherwise only bytes are counted. */
  keep?: boolean;
}

export interface TftpGetResult {
  bytes: number;
  data?: Buffer;
  options: Record<string, string>;
  retransmits: number;
}

/** The server's ERROR packet (code per RFC 1350 §5), so callers can tell "not found" apart. */
export class TftpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function tftpGet(o: TftpGetOptions): Promise<TftpGetResult> {
  const port = o.port ?? 69;
  const timeoutMs = o.timeoutMs ?? 1000;
  const retries = o.retries ?? 5;
  const options: Record<string, string> = {};
  if (o.tsize) options['tsize'] = '0';
  if (o.blksize !== undefined) options['blksize'] = String(o.blksize);
  if (o.windowsize !== undefined && o.windowsize > 1) options['windowsize'] = String(o.windowsize);
  const rrq = encodeRequest({ op: 'rrq', filename: o.file, mode: 'octet', options });
  const sock = createSocket('udp4');
  return new Promise<TftpGetResult>((resolve, reject) => {
    let tid: number | undefined; // RFC 1350 §4: the server's transfer port, fixed by its first reply
    let blksize = 512;
    let windowsize = 1;
    let agreed: Record<string, string> = {};
    let last = 0; // last block received in order (16-bit, wraps)
    let inWindow = 0;
    let bytes = 0;
    let silent = 0;
    let retransmits = 0;
    let lastSent = rrq;
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let gapAcked = false;
    let inflight = 0;
    let closing = false;

    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // After the send callback: dgram sends asynchronously, and a close first would drop the
      // final ACK (the server would then hold the transfer until its retries run out).
      closing = true;
      if (inflight === 0) sock.close();
      if (error) reject(error);
      else
        resolve({ bytes, options: agreed, retransmits, ...(o.keep ? { data: Buffer.concat(chunks) } : {}) });
    };
    const send = (buf: Buffer): void => {
      lastSent = buf;
      inflight += 1;
      sock.send(buf, tid ?? port, o.server, () => {
        inflight -= 1;
        if (closing && inflight === 0) sock.close();
      });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent += 1;
        if (silent > retries) {
          finish(
            new Error(
              `TFTP ${o.file}: no answer after ${retries} retransmissions (${tid === undefined ? 'no reply to the RRQ' : `after block ${last}`})`,
            ),
          );
          return;
        }
        // RFC 1350 §2 / RFC 7440 §4: on silence resend our last packet (the RRQ or the ACK of
        // the last in-order block, which makes the server resend from the block after it).
        retransmits += 1;
        inWindow = 0;
        send(lastSent);
        arm();
      }, timeoutMs);
    };

    sock.on('error', (error) => finish(error));
    sock.on('message', (msg: Buffer, from: RemoteInfo) => {
      if (done || from.address !== o.server) return;
      if (tid === undefined) tid = from.port;
      else if (from.port !== tid) {
        // RFC 1350 §4: a packet from a foreign TID gets ERROR 5 and does not disturb the transfer.
        sock.send(encodeError(ErrorCode.UNKNOWN_TID, 'Unknown transfer ID'), from.port, from.address);
        return;
      }
      const d = decodePacket(msg);
      if (!d.ok) return;
      const p = d.packet;
      silent = 0;
      if (p.op === 'error') {
        finish(new TftpError(p.code, `TFTP ${o.file}: error ${p.code} ${p.message}`));
      } else if (p.op === 'oack') {
        agreed = p.options;
        blksize = Number(p.options['blksize'] ?? 512);
        windowsize = Number(p.options['windowsize'] ?? 1);
        send(encodeAck(0)); // RFC 2347 §2: a read's OACK is acknowledged with block 0
        arm();
      } else if (p.op === 'data') {
        const expected = (last + 1) & 0xffff;
        if (p.block !== expected) {
          // A gap (lost block) or a duplicate: RFC 7440 §4, acknowledge the last in-order block.
          // One ACK per gap, not one per out-of-order block of the window.
          if (windowsize === 1 ? p.block === last : !gapAcked) send(encodeAck(last));
          gapAcked = true;
          arm();
          return;
        }
        last = expected;
        gapAcked = false;
        bytes += p.data.length;
        if (o.keep) chunks.push(Buffer.from(p.data));
        inWindow += 1;
        const final = p.data.length < blksize;
        if (final || inWindow >= windowsize) {
          inWindow = 0;
          send(encodeAck(last));
        }
        if (final) finish();
        else arm();
      }
    });
    sock.bind(0, o.localAddress, () => {
      send(rrq);
      arm();
    });
  });
}
