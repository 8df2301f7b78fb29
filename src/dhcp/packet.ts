// DHCPv4 wire codec (RFC 2131 §2 header, RFC 2132 options, RFC 3396 long options, RFC 3004
// user class, RFC 3046 relay info, RFC 4578 PXE options). decode() never throws: a bad packet
// is a returned value. encode() builds replies padded to the BOOTP minimum of 300 bytes.

/** DHCP message types, option 53 (RFC 2132 §9.6). */
export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type MessageTypeName = keyof typeof MessageType;
const messageTypeNames: readonly string[] = [
  'UNKNOWN',
  'DISCOVER',
  'OFFER',
  'REQUEST',
  'DECLINE',
  'ACK',
  'NAK',
  'RELEASE',
  'INFORM',
];
export function messageTypeName(type: number | undefined): string {
  return type === undefined ? 'BOOTP' : (messageTypeNames[type] ?? `TYPE${type}`);
}

/** Option codes used by this server (RFC 2132 unless noted). */
export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  BROADCAST: 28,
  VENDOR_SPECIFIC: 43,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  TFTP_SERVER: 66,
  BOOTFILE: 67,
  USER_CLASS: 77, // RFC 3004
  RELAY_AGENT_INFO: 82, // RFC 3046
  CLIENT_ARCH: 93, // RFC 4578 §2.1
  CLIENT_NDI: 94, // RFC 4578 §2.2
  CLIENT_UUID: 97, // RFC 4578 §2.3
  IPXE_ENCAP: 175, // iPXE encapsulated options
  END: 255,
} as const;

/** RFC 2131 §3: the magic cookie 99.130.83.99 that starts the options field. */
export const MAGIC_COOKIE = 0x63825363;
/** Fixed header (236) + magic cookie (4). */
export const HEADER_LENGTH = 240;
/** RFC 1542 §3.3 / RFC 2131 §2: BOOTP relays and clients expect at least 300 bytes. */
export const MIN_REPLY_LENGTH = 300;
/** RFC 2131 §2: every participant must accept 576-byte IP datagrams (= 548 bytes of DHCP). */
export const MIN_MAX_MESSAGE_SIZE = 576;
const IP_UDP_OVERHEAD = 28;

export interface DhcpPacket {
  /** 1 BOOTREQUEST, 2 BOOTREPLY. */
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  /** Bit 15 is the broadcast flag (RFC 2131 §2, figure 2). */
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The 16-byte chaddr field as received (only the first hlen bytes are the address). */
  chaddr: Buffer;
  /** Server host name (64 bytes, NUL-terminated), empty when overloaded with options. */
  sname: string;
  /** Boot file name (128 bytes, NUL-terminated), empty when overloaded with options. */
  file: string;
  /** Options by code; repeated instances are concatenated (RFC 3396 §5). Unknown ones kept raw. */
  options: Map<number, Buffer>;
}

export type DecodeResult = { ok: true; packet: DhcpPacket } | { ok: false; error: string };

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) return NaN;
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 0 || n > 255 || part === '') return NaN;
    value = value * 256 + n;
  }
  return value;
}

export function intToIp(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function readIp(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

function readCString(buf: Buffer, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && buf[end] !== 0) end += 1;
  return buf.toString('latin1', start, end);
}

/**
 * Parse one options area into `into`. Returns an error string on a truncated option.
 * PAD (0) is a single byte with no length (RFC 2132 §3.1); END (255) stops the area.
 */
function parseOptionArea(buf: Buffer, start: number, end: number, into: Map<number, Buffer>): string | null {
  let i = start;
  while (i < end) {
    const code = buf[i] as number;
    if (code === Opt.PAD) {
      i += 1;
      continue;
    }
    if (code === Opt.END) return null;
    if (i + 1 >= end) return `option ${code} at offset ${i} has no length byte`;
    const len = buf[i + 1] as number;
    const valueStart = i + 2;
    if (valueStart + len > end) return `option ${code} at offset ${i} overruns the packet (length ${len})`;
    const value = buf.subarray(valueStart, valueStart + len);
    const previous = into.get(code);
    // RFC 3396 §5: several instances of one option are concatenated in order.
    into.set(code, previous ? Buffer.concat([previous, value]) : value);
    i = valueStart + len;
  }
  // A missing END is tolerated: some clients end the options at the packet's end.
  return null;
}

/** Decode a BOOTP/DHCP message. Never throws. Option values are views into `buf`. */
export function decode(buf: Buffer): DecodeResult {
  try {
    if (buf.length < HEADER_LENGTH) return { ok: false, error: `too short: ${buf.length} bytes < 240` };
    const op = buf[0] as number;
    if (op !== 1 && op !== 2) return { ok: false, error: `bad op ${op}` };
    const hlen = buf[2] as number;
    if (hlen > 16) return { ok: false, error: `bad hlen ${hlen} > 16` };
    if (buf.readUInt32BE(236) !== MAGIC_COOKIE) return { ok: false, error: 'missing DHCP magic cookie' };
    const options = new Map<number, Buffer>();
    const error = parseOptionArea(buf, HEADER_LENGTH, buf.length, options);
    if (error) return { ok: false, error };
    // RFC 2132 §9.3: option 52 moves further options into file (1), sname (2) or both (3);
    // they are parsed file first, then sname (RFC 2131 §4.1).
    const overload = options.get(Opt.OVERLOAD)?.[0] ?? 0;
    if (overload & 1) {
      const e = parseOptionArea(buf, 108, 236, options);
      if (e) return { ok: false, error: `in overloaded file field: ${e}` };
    }
    if (overload & 2) {
      const e = parseOptionArea(buf, 44, 108, options);
      if (e) return { ok: false, error: `in overloaded sname field: ${e}` };
    }
    return {
      ok: true,
      packet: {
        op,
        htype: buf[1] as number,
        hlen,
        hops: buf[3] as number,
        xid: buf.readUInt32BE(4),
        secs: buf.readUInt16BE(8),
        flags: buf.readUInt16BE(10),
        ciaddr: readIp(buf, 12),
        yiaddr: readIp(buf, 16),
        siaddr: readIp(buf, 20),
        giaddr: readIp(buf, 24),
        chaddr: buf.subarray(28, 44),
        sname: overload & 2 ? '' : readCString(buf, 44, 64),
        file: overload & 1 ? '' : readCString(buf, 108, 128),
        options,
      },
    };
  } catch (error) {
    // Defensive: the checks above make this unreachable; a peer must still never crash us.
    return { ok: false, error: `decode failed: ${(error as Error).message}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Typed accessors. Each returns undefined when the option is absent or malformed.

export function getMessageType(p: DhcpPacket): number | undefined {
  const v = p.options.get(Opt.MESSAGE_TYPE);
  return v && v.length === 1 ? v[0] : undefined;
}

function getIpOption(p: DhcpPacket, code: number): string | undefined {
  const v = p.options.get(code);
  return v && v.length === 4 ? readIp(v, 0) : undefined;
}

/** Option 50, RFC 2132 §9.1. */
export const getRequestedAddress = (p: DhcpPacket): string | undefined => getIpOption(p, Opt.REQUESTED_IP);
/** Option 54, RFC 2132 §9.7. */
export const getServerId = (p: DhcpPacket): string | undefined => getIpOption(p, Opt.SERVER_ID);

/** Option 51 in seconds, RFC 2132 §9.2. */
export function getLeaseTime(p: DhcpPacket): number | undefined {
  const v = p.options.get(Opt.LEASE_TIME);
  return v && v.length === 4 ? v.readUInt32BE(0) : undefined;
}

/** Option 55 in the client's order, RFC 2132 §9.8. */
export function getParameterList(p: DhcpPacket): number[] {
  const v = p.options.get(Opt.PARAMETER_LIST);
  return v ? [...v] : [];
}

/** Option 57, RFC 2132 §9.10; values below 576 are not legal and are ignored. */
export function getMaxMessageSize(p: DhcpPacket): number | undefined {
  const v = p.options.get(Opt.MAX_MESSAGE_SIZE);
  if (!v || v.length !== 2) return undefined;
  const size = v.readUInt16BE(0);
  return size >= MIN_MAX_MESSAGE_SIZE ? size : undefined;
}

function getString(p: DhcpPacket, code: number): string | undefined {
  const v = p.options.get(code);
  if (!v) return undefined;
  let end = v.length;
  while (end > 0 && v[end - 1] === 0) end -= 1; // some clients NUL-terminate strings
  return v.toString('latin1', 0, end);
}

/** Option 60, RFC 2132 §9.13, e.g. `PXEClient:Arch:00000:UNDI:002001`. */
export const getVendorClass = (p: DhcpPacket): string | undefined => getString(p, Opt.VENDOR_CLASS);
/** Option 66, RFC 2132 §9.4. */
export const getTftpServerName = (p: DhcpPacket): string | undefined => getString(p, Opt.TFTP_SERVER);
/** Option 67, RFC 2132 §9.5. */
export const getBootFileName = (p: DhcpPacket): string | undefined => getString(p, Opt.BOOTFILE);
/** Option 12, RFC 2132 §3.14. */
export const getHostname = (p: DhcpPacket): string | undefined => getString(p, Opt.HOSTNAME);

/** Option 61 as raw bytes (type byte + identifier), RFC 2132 §9.14; may contain NULs. */
export function getClientId(p: DhcpPacket): Buffer | undefined {
  const v = p.options.get(Opt.CLIENT_ID);
  return v && v.length >= 2 ? v : undefined;
}

/**
 * Option 77 user classes. RFC 3004 §4 encodes a list of length-prefixed strings; iPXE and many
 * firmwares send the bare string instead (`iPXE`). Both forms are accepted: the RFC form is used
 * only when the length prefixes tile the option exactly.
 */
export function getUserClasses(p: DhcpPacket): string[] {
  const v = p.options.get(Opt.USER_CLASS);
  if (!v || v.length === 0) return [];
  const items: string[] = [];
  let i = 0;
  while (i < v.length) {
    const len = v[i] as number;
    if (len === 0 || i + 1 + len > v.length) break;
    items.push(v.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  if (i === v.length && items.length > 0) return items;
  return [v.toString('latin1')];
}

/** Parse a sub-option list (code, len, value) as in options 43, 82, 175. */
export function parseSubOptions(v: Buffer): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  let i = 0;
  while (i < v.length) {
    const code = v[i] as number;
    if (code === Opt.PAD) {
      i += 1;
      continue;
    }
    if (code === Opt.END) break;
    if (i + 1 >= v.length) return undefined;
    const len = v[i + 1] as number;
    if (i + 2 + len > v.length) return undefined;
    out.set(code, v.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

/** Option 82 sub-options (1 circuit id, 2 remote id, …), RFC 3046 §2.0. */
export function getRelayAgentInfo(p: DhcpPacket): Map<number, Buffer> | undefined {
  const v = p.options.get(Opt.RELAY_AGENT_INFO);
  return v ? parseSubOptions(v) : undefined;
}

/** Option 93 client system architectures, RFC 4578 §2.1 (a list of uint16). */
export function getClientArch(p: DhcpPacket): number[] | undefined {
  const v = p.options.get(Opt.CLIENT_ARCH);
  if (!v || v.length === 0 || v.length % 2 !== 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 2) out.push(v.readUInt16BE(i));
  return out;
}

/** Option 94 network device interface (type, major, minor), RFC 4578 §2.2. */
export function getClientNdi(p: DhcpPacket): { type: number; major: number; minor: number } | undefined {
  const v = p.options.get(Opt.CLIENT_NDI);
  if (!v || v.length !== 3) return undefined;
  return { type: v[0] as number, major: v[1] as number, minor: v[2] as number };
}

/** Option 97 machine identifier: type 0 + 16-byte GUID, RFC 4578 §2.3. */
export function getClientUuid(p: DhcpPacket): { type: number; uuid: Buffer } | undefined {
  const v = p.options.get(Opt.CLIENT_UUID);
  if (!v || v.length !== 17) return undefined;
  return { type: v[0] as number, uuid: v.subarray(1) };
}

/** Option 175: iPXE encapsulated options, raw and parsed (e.g. 176 no-pxedhcp, 177 version). */
export function getIpxeOptions(
  p: DhcpPacket,
): { raw: Buffer; sub: Map<number, Buffer> | undefined } | undefined {
  const v = p.options.get(Opt.IPXE_ENCAP);
  return v ? { raw: v, sub: parseSubOptions(v) } : undefined;
}

/** Client hardware address in lowercase colon form (only the first hlen bytes). */
export function macOf(p: DhcpPacket): string {
  const len = Math.min(p.hlen, 16);
  let out = '';
  for (let i = 0; i < len; i += 1) {
    const b = p.chaddr[i] as number;
    out += (i ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoder.

export interface DhcpReplyFields {
  op?: number;
  htype: number;
  hlen: number;
  hops?: number;
  xid: number;
  secs?: number;
  flags: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  chaddr: Buffer;
  sname?: string;
  file?: string;
  /** Options in priority order; 53 and 54 are always placed first. */
  options: Array<[number, Buffer]>;
}

export interface EncodeOptions {
  /** Client's option 55: options it asked for go first, in its order (RFC 2132 §9.8). */
  parameterList?: readonly number[];
  /** Client's option 57 (already validated): the reply must fit in it (RFC 2132 §9.10). */
  maxMessageSize?: number;
  /** Options always sent whatever option 55 says (e.g. 53, 54, 51, 1 and PXE boot options). */
  alwaysSend?: ReadonlySet<number>;
}

export interface EncodeResult {
  buffer: Buffer;
  /** Codes left out because the reply would exceed the client's maximum size. */
  dropped: number[];
}

function writeIp(buf: Buffer, offset: number, ip: string | undefined): void {
  const v = ip ? ipToInt(ip) : 0;
  buf.writeUInt32BE(Number.isNaN(v) ? 0 : v >>> 0, offset);
}

function encodedLength(value: Buffer): number {
  // RFC 3396 §7: values over 255 bytes are split over several instances.
  const chunks = Math.max(1, Math.ceil(value.length / 255));
  return value.length + 2 * chunks;
}

/**
 * Encode a reply. Options are ordered 53, 54, then those in the client's option 55 order, then the
 * rest in the given order. Options that don't fit in the client's maximum message size are dropped
 * (never 53/54). The result is padded with zeros to at least 300 bytes.
 */
export function encode(fields: DhcpReplyFields, opts: EncodeOptions = {}): EncodeResult {
  const byCode = new Map<number, Buffer>();
  for (const [code, value] of fields.options) byCode.set(code, value);
  const order: number[] = [];
  const seen = new Set<number>();
  const push = (code: number): void => {
    if (!seen.has(code) && byCode.has(code)) {
      seen.add(code);
      order.push(code);
    }
  };
  push(Opt.MESSAGE_TYPE);
  push(Opt.SERVER_ID);
  for (const code of opts.parameterList ?? []) push(code);
  for (const [code] of fields.options) push(code);

  const limit = (opts.maxMessageSize ?? 1500) - IP_UDP_OVERHEAD;
  const dropped: number[] = [];
  let length = HEADER_LENGTH + 1; // + END
  const kept: number[] = [];
  const asked = new Set(opts.parameterList ?? []);
  for (const code of order) {
    const value = byCode.get(code) as Buffer;
    const need = encodedLength(value);
    const essential = code === Opt.MESSAGE_TYPE || code === Opt.SERVER_ID;
    // Options the client did not ask for are only sent when they are always-send ones.
    if (!essential && opts.parameterList && !asked.has(code) && !opts.alwaysSend?.has(code)) continue;
    if (!essential && length + need > limit) {
      dropped.push(code);
      continue;
    }
    length += need;
    kept.push(code);
  }
  const total = Math.max(length, MIN_REPLY_LENGTH);
  const buf = Buffer.alloc(total);
  buf[0] = fields.op ?? 2;
  buf[1] = fields.htype;
  buf[2] = fields.hlen;
  buf[3] = fields.hops ?? 0;
  buf.writeUInt32BE(fields.xid >>> 0, 4);
  buf.writeUInt16BE(fields.secs ?? 0, 8);
  buf.writeUInt16BE(fields.flags & 0xffff, 10);
  writeIp(buf, 12, fields.ciaddr);
  writeIp(buf, 16, fields.yiaddr);
  writeIp(buf, 20, fields.siaddr);
  writeIp(buf, 24, fields.giaddr);
  fields.chaddr.copy(buf, 28, 0, Math.min(16, fields.chaddr.length));
  if (fields.sname) buf.write(fields.sname, 44, 63, 'latin1');
  if (fields.file) buf.write(fields.file, 108, 127, 'latin1');
  buf.writeUInt32BE(MAGIC_COOKIE, 236);
  let i = HEADER_LENGTH;
  for (const code of kept) {
    const value = byCode.get(code) as Buffer;
    let offset = 0;
    do {
      const chunk = Math.min(255, value.length - offset);
      buf[i] = code;
      buf[i + 1] = chunk;
      value.copy(buf, i + 2, offset, offset + chunk);
      i += 2 + chunk;
      offset += chunk;
    } while (offset < value.length);
  }
  buf[i] = Opt.END;
  return { buffer: buf, dropped };
}

// Small builders for option values.
export const optIp = (ip: string): Buffer => {
  const b = Buffer.alloc(4);
  writeIp(b, 0, ip);
  return b;
};
export const optIps = (ips: readonly string[]): Buffer => Buffer.concat(ips.map(optIp));
export const optU32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};
export const optU16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff, 0);
  return b;
};
export const optU8 = (n: number): Buffer => Buffer.from([n & 0xff]);
export const optString = (s: string): Buffer => Buffer.from(s, 'latin1');
/** Encode sub-options (code, len, value) for options 43/82/175. */
export function optSub(entries: Array<[number, Buffer]>, end = false): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of entries) parts.push(Buffer.from([code, value.length]), value);
  if (end) parts.push(Buffer.from([Opt.END]));
  return Buffer.concat(parts);
}

/** Build a client request (tests, probes, fuzz seeds): same layout as a reply with op 1. */
export function encodeRequest(fields: Omit<DhcpReplyFields, 'op'>): Buffer {
  return encode({ ...fields, op: 1 }).buffer;
}
