// TFTP wire codec: RFC 1350 packets (RRQ/WRQ/DATA/ACK/ERROR) plus the RFC 2347 OACK and option
// lists used by RFC 2348 (blksize), 2349 (timeout, tsize) and 7440 (windowsize).
// Decoding never throws: a malformed datagram is a `{ ok: false, reason }` value.

/** RFC 1350 §5 opcodes, RFC 2347 §2 OACK. */
export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350 §5 error codes, plus RFC 2347 §2 code 8 (option negotiation refused). */
export const ErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;

export interface RequestPacket {
  op: 'rrq' | 'wrq';
  filename: string;
  /** Lower-cased transfer mode (`octet`, `netascii`, `mail`). */
  mode: string;
  /** RFC 2347 options, names lower-cased (options are case-insensitive), values verbatim. */
  options: Record<string, string>;
}
export interface DataPacket {
  op: 'data';
  block: number;
  data: Buffer;
}
export interface AckPacket {
  op: 'ack';
  block: number;
}
export interface ErrorPacket {
  op: 'error';
  code: number;
  message: string;
}
export interface OackPacket {
  op: 'oack';
  options: Record<string, string>;
}
export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

export type DecodeResult = { ok: true; packet: TftpPacket } | { ok: false; reason: string };

/** RFC 1350 §2: a TFTP datagram is at most 4 + 65464 bytes once RFC 2348 blksize is in play. */
export const MAX_PACKET = 4 + 65464;

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

/** Split NUL-terminated strings starting at `offset`; every string must be terminated. */
function readStrings(buf: Buffer, offset: number): string[] | null {
  const out: string[] = [];
  let start = offset;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    if (end < 0) return null;
    // latin1 keeps every byte; file names on the wire are netascii (RFC 1350 §5) anyway.
    out.push(buf.toString('latin1', start, end));
    start = end + 1;
  }
  return out;
}

function decodeOptions(parts: string[]): Record<string, string> | string {
  if (parts.length % 2 !== 0) return 'option without value';
  const options: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < parts.length; i += 2) {
    const name = (parts[i] ?? '').toLowerCase();
    if (name === '') return 'empty option name';
    // RFC 2347 §2: the first occurrence wins; later duplicates are ignored.
    if (!(name in options)) options[name] = parts[i + 1] ?? '';
  }
  return options;
}

export function decodePacket(buf: Buffer): DecodeResult {
  if (buf.length < 2) return fail('shorter than an opcode');
  if (buf.length > MAX_PACKET) return fail('longer than the largest TFTP packet');
  const op = buf.readUInt16BE(0);
  switch (op) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      const parts = readStrings(buf, 2);
      if (parts === null) return fail('unterminated string in request');
      if (parts.length < 2) return fail('request without filename and mode');
      const [filename = '', mode = ''] = parts;
      const options = decodeOptions(parts.slice(2));
      if (typeof options === 'string') return fail(options);
      return {
        ok: true,
        packet: { op: op === Opcode.RRQ ? 'rrq' : 'wrq', filename, mode: mode.toLowerCase(), options },
      };
    }
    case Opcode.DATA:
      if (buf.length < 4) return fail('DATA shorter than its header');
      return { ok: true, packet: { op: 'data', block: buf.readUInt16BE(2), data: buf.subarray(4) } };
    case Opcode.ACK:
      // Some clients pad ACKs; RFC 1350 gives no length, so trailing bytes are tolerated.
      if (buf.length < 4) return fail('ACK shorter than 4 bytes');
      return { ok: true, packet: { op: 'ack', block: buf.readUInt16BE(2) } };
    case Opcode.ERROR: {
      if (buf.length < 4) return fail('ERROR shorter than its header');
      const end = buf.indexOf(0, 4);
      // Tolerate a missing terminator: an ERROR is final, its text is only informative.
      const message = buf.toString('latin1', 4, end < 0 ? buf.length : end);
      return { ok: true, packet: { op: 'error', code: buf.readUInt16BE(2), message } };
    }
    case Opcode.OACK: {
      const parts = readStrings(buf, 2);
      if (parts === null) return fail('unterminated string in OACK');
      const options = decodeOptions(parts);
      if (typeof options === 'string') return fail(options);
      return { ok: true, packet: { op: 'oack', options } };
    }
    default:
      return fail(`unknown opcode ${op}`);
  }
}

function encodeStrings(op: number, strings: string[]): Buffer {
  let size = 2;
  for (const s of strings) size += Buffer.byteLength(s, 'latin1') + 1;
  const buf = Buffer.alloc(size);
  buf.writeUInt16BE(op, 0);
  let at = 2;
  for (const s of strings) {
    at += buf.write(s, at, 'latin1');
    buf[at++] = 0;
  }
  return buf;
}

function optionList(options: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(options)) out.push(k, v);
  return out;
}

export function encodeRequest(
  p: Omit<RequestPacket, 'options'> & { options?: Record<string, string> },
): Buffer {
  return encodeStrings(p.op === 'rrq' ? Opcode.RRQ : Opcode.WRQ, [
    p.filename,
    p.mode,
    ...optionList(p.options ?? {}),
  ]);
}

export function encodeOack(options: Record<string, string>): Buffer {
  return encodeStrings(Opcode.OACK, optionList(options));
}

export function encodeAck(block: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt16BE(Opcode.ACK, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
  return buf;
}

export function encodeError(code: number, message: string): Buffer {
  const len = Buffer.byteLength(message, 'latin1');
  const buf = Buffer.alloc(5 + len);
  buf.writeUInt16BE(Opcode.ERROR, 0);
  buf.writeUInt16BE(code & 0xffff, 2);
  buf.write(message, 4, 'latin1');
  buf[4 + len] = 0;
  return buf;
}

export function encodeData(block: number, data: Buffer): Buffer {
  const buf = Buffer.alloc(4 + data.length);
  writeDataHeader(buf, block);
  data.copy(buf, 4);
  return buf;
}

/** Writes a DATA header in place: the server fills the payload at offset 4 of a reused buffer. */
export function writeDataHeader(buf: Buffer, block: number): void {
  buf[0] = 0;
  buf[1] = Opcode.DATA;
  buf[2] = (block >>> 8) & 0xff;
  buf[3] = block & 0xff;
}
