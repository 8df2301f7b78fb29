// RMCP/ASF framing, IPMI 1.5 and 2.0 (RMCP+) session headers and IPMI LAN message framing.
// Pure codecs: encoders return bytes, decoders return a Result and never throw on peer input.
// IPMI v2.0 §13.1–§13.8 (RMCP, session headers), §13.28 (checksums), ASF 2.0 §3.2.4 (ping/pong).

/** A decode result: peer bytes that do not fit are a value, never an exception. */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
export function fail<T = never>(reason: string): Result<T> {
  return { ok: false, reason };
}

/** RMCP header: version 1.0, reserved, seq FF (no RMCP ACK), class (IPMI v2.0 §13.1.3). */
export const RMCP_VERSION = 0x06;
export const RMCP_SEQ_NO_ACK = 0xff;
export const RMCP_CLASS_ASF = 0x06;
export const RMCP_CLASS_IPMI = 0x07;
export const ASF_IANA = 0x000011be;

/** Session header auth types (IPMI v2.0 §13.6): 06 = RMCP+ format. */
export const AUTH_TYPE = {
  none: 0x00,
  md2: 0x01,
  md5: 0x02,
  straight: 0x04,
  oem: 0x05,
  rmcpPlus: 0x06,
} as const;

/** RMCP+ payload types, bits 5:0 of the payload type byte (IPMI v2.0 §13.27.3). */
export const PAYLOAD = {
  ipmi: 0x00,
  sol: 0x01,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;
export const PAYLOAD_ENCRYPTED = 0x80;
export const PAYLOAD_AUTHENTICATED = 0x40;

/** Default IPMB addresses: the BMC (responder) and a remote console software ID (IPMI v2.0 §5.5). */
export const BMC_SA = 0x20;
export const REMOTE_CONSOLE_SWID = 0x81;

/** Two's-complement checksum: the sum of the covered bytes plus it is 0 mod 256 (IPMI v2.0 §13.8). */
export function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return (0x100 - sum) & 0xff;
}

export function rmcpHeader(messageClass: number = RMCP_CLASS_IPMI): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_SEQ_NO_ACK, messageClass]);
}

// ---------------------------------------------------------------- IPMI LAN message (§13.8)

export interface LanRequest {
  netFn: number;
  cmd: number;
  data: Uint8Array;
  /** 6-bit request sequence; kept the same on retries so the BMC can detect duplicates. */
  rqSeq: number;
  rsAddr?: number;
  rsLun?: number;
  rqAddr?: number;
  rqLun?: number;
}

export interface LanResponse {
  rqAddr: number;
  netFn: number;
  rqLun: number;
  rsAddr: number;
  rqSeq: number;
  rsLun: number;
  cmd: number;
  /** Completion code (IPMI v2.0 §5.2). */
  cc: number;
  data: Buffer;
}

/** `rsAddr | netFn<<2|rsLUN | chk1 | rqAddr | rqSeq<<2|rqLUN | cmd | data | chk2`. */
export function encodeLanRequest(req: LanRequest): Buffer {
  const rsAddr = req.rsAddr ?? BMC_SA;
  const rqAddr = req.rqAddr ?? REMOTE_CONSOLE_SWID;
  const out = Buffer.alloc(7 + req.data.length);
  out[0] = rsAddr;
  out[1] = ((req.netFn & 0x3f) << 2) | ((req.rsLun ?? 0) & 0x03);
  out[2] = checksum(out, 0, 2);
  out[3] = rqAddr;
  out[4] = ((req.rqSeq & 0x3f) << 2) | ((req.rqLun ?? 0) & 0x03);
  out[5] = req.cmd & 0xff;
  out.set(req.data, 6);
  out[6 + req.data.length] = checksum(out, 3, 6 + req.data.length);
  return out;
}

/** Decodes a response message (`rqAddr | netFn<<2|rqLUN | chk1 | rsAddr | rqSeq<<2|rsLUN | cmd | CC | data | chk2`). */
export function decodeLanResponse(msg: Uint8Array): Result<LanResponse> {
  if (msg.length < 8) return fail(`IPMI message too short (${msg.length} bytes, need 8)`);
  if (checksum(msg, 0, 3) !== 0) return fail('IPMI message header checksum mismatch');
  if (checksum(msg, 3, msg.length) !== 0) return fail('IPMI message data checksum mismatch');
  const b = Buffer.from(msg.buffer, msg.byteOffset, msg.length);
  return ok({
    rqAddr: b[0]!,
    netFn: b[1]! >> 2,
    rqLun: b[1]! & 0x03,
    rsAddr: b[3]!,
    rqSeq: b[4]! >> 2,
    rsLun: b[4]! & 0x03,
    cmd: b[5]!,
    cc: b[6]!,
    data: Buffer.from(b.subarray(7, b.length - 1)),
  });
}

/** Decodes a request message (used by fakes in tests and to read captures). */
export function decodeLanRequest(msg: Uint8Array): Result<Required<LanRequest>> {
  if (msg.length < 7) return fail(`IPMI request too short (${msg.length} bytes, need 7)`);
  if (checksum(msg, 0, 3) !== 0) return fail('IPMI request header checksum mismatch');
  if (checksum(msg, 3, msg.length) !== 0) return fail('IPMI request data checksum mismatch');
  return ok({
    rsAddr: msg[0]!,
    netFn: msg[1]! >> 2,
    rsLun: msg[1]! & 0x03,
    rqAddr: msg[3]!,
    rqSeq: msg[4]! >> 2,
    rqLun: msg[4]! & 0x03,
    cmd: msg[5]!,
    data: Buffer.from(msg.subarray(6, msg.length - 1)),
  });
}

// ---------------------------------------------------------------- IPMI 1.5 session (§13.6, §22.12)

export interface V15Packet {
  authType: number;
  /** Session sequence number (LE on the wire). */
  seq: number;
  sessionId: number;
  /** 16 bytes when authType ≠ none. */
  authCode?: Buffer;
  message: Buffer;
}

export function encodeV15(p: V15Packet): Buffer {
  const hasCode = p.authType !== AUTH_TYPE.none;
  const head = Buffer.alloc(4 + 1 + 4 + 4 + (hasCode ? 16 : 0) + 1);
  rmcpHeader().copy(head, 0);
  head[4] = p.authType;
  head.writeUInt32LE(p.seq >>> 0, 5);
  head.writeUInt32LE(p.sessionId >>> 0, 9);
  let o = 13;
  if (hasCode) {
    (p.authCode ?? Buffer.alloc(16)).copy(head, o, 0, 16);
    o += 16;
  }
  head[o] = p.message.length;
  return Buffer.concat([head, p.message]);
}

// ---------------------------------------------------------------- IPMI 2.0 / RMCP+ session (§13.6)

export interface V20Packet {
  /** Bits 5:0 of the payload type byte. */
  payloadType: number;
  encrypted: boolean;
  authenticated: boolean;
  /** The receiver's session ID. */
  sessionId: number;
  seq: number;
  payload: Buffer;
  /** Offset of the payload's end in the whole datagram (the integrity trailer starts here). */
  payloadEnd: number;
}

export type DecodedPacket =
  | { kind: 'v20'; packet: V20Packet; raw: Buffer }
  | { kind: 'v15'; packet: V15Packet; raw: Buffer }
  | { kind: 'asf'; messageType: number; tag: number; data: Buffer; raw: Buffer };

/** Decodes any RMCP datagram far enough to route it; integrity and decryption come later. */
export function decodeRmcp(datagram: Uint8Array): Result<DecodedPacket> {
  const raw = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  if (raw.length < 4) return fail(`datagram too short for RMCP (${raw.length} bytes)`);
  if (raw[0] !== RMCP_VERSION) return fail(`not RMCP 1.0 (version byte 0x${hex(raw[0]!)})`);
  const klass = raw[3]! & 0x1f;
  if (klass === RMCP_CLASS_ASF) {
    // ASF 2.0 §3.2.4.1: IANA(4 BE) | type | tag | reserved | data length | data
    if (raw.length < 12) return fail('ASF message too short');
    if (raw.readUInt32BE(4) !== ASF_IANA) return fail('ASF message with a foreign IANA number');
    const len = raw[11]!;
    if (raw.length < 12 + len) return fail('ASF message data truncated');
    return ok({ kind: 'asf', messageType: raw[8]!, tag: raw[9]!, data: raw.subarray(12, 12 + len), raw });
  }
  if (klass !== RMCP_CLASS_IPMI) return fail(`unsupported RMCP class 0x${hex(klass)}`);
  if (raw.length < 5) return fail('RMCP datagram without a session header');
  const authType = raw[4]!;
  if (authType === AUTH_TYPE.rmcpPlus) {
    if (raw.length < 16) return fail(`RMCP+ session header truncated (${raw.length} bytes)`);
    const typeByte = raw[5]!;
    const len = raw.readUInt16LE(14);
    if (raw.length < 16 + len) return fail(`RMCP+ payload truncated (${raw.length - 16} of ${len} bytes)`);
    return ok({
      kind: 'v20',
      raw,
      packet: {
        payloadType: typeByte & 0x3f,
        encrypted: (typeByte & PAYLOAD_ENCRYPTED) !== 0,
        authenticated: (typeByte & PAYLOAD_AUTHENTICATED) !== 0,
        sessionId: raw.readUInt32LE(6),
        seq: raw.readUInt32LE(10),
        payload: raw.subarray(16, 16 + len),
        payloadEnd: 16 + len,
      },
    });
  }
  if (authType > AUTH_TYPE.oem) return fail(`unknown session auth type 0x${hex(authType)}`);
  const hasCode = authType !== AUTH_TYPE.none;
  const lenAt = 13 + (hasCode ? 16 : 0);
  if (raw.length < lenAt + 1) return fail('IPMI 1.5 session header truncated');
  const len = raw[lenAt]!;
  if (raw.length < lenAt + 1 + len)
    return fail(`IPMI 1.5 message truncated (${raw.length - lenAt - 1} of ${len})`);
  return ok({
    kind: 'v15',
    raw,
    packet: {
      authType,
      seq: raw.readUInt32LE(5),
      sessionId: raw.readUInt32LE(9),
      ...(hasCode ? { authCode: raw.subarray(13, 29) } : {}),
      message: raw.subarray(lenAt + 1, lenAt + 1 + len),
    },
  });
}

export interface V20Encode {
  payloadType: number;
  encrypted?: boolean;
  /** When set, the integrity trailer is appended and signed with this function. */
  sign?: (signed: Buffer) => Buffer;
  sessionId: number;
  seq: number;
  payload: Buffer;
}

/**
 * Encodes an RMCP+ packet. With `sign`, appends the integrity trailer `FF×p | p | 07 | AuthCode`,
 * p making AuthType…NextHeader a multiple of 4 (IPMI v2.0 §13.28.4); the AuthCode covers those bytes.
 */
export function encodeV20(p: V20Encode): Buffer {
  const head = Buffer.alloc(16);
  rmcpHeader().copy(head, 0);
  head[4] = AUTH_TYPE.rmcpPlus;
  head[5] =
    (p.payloadType & 0x3f) | (p.encrypted ? PAYLOAD_ENCRYPTED : 0) | (p.sign ? PAYLOAD_AUTHENTICATED : 0);
  head.writeUInt32LE(p.sessionId >>> 0, 6);
  head.writeUInt32LE(p.seq >>> 0, 10);
  head.writeUInt16LE(p.payload.length, 14);
  if (!p.sign) return Buffer.concat([head, p.payload]);
  const padLength = (4 - ((12 + p.payload.length + 2) % 4)) % 4;
  const trailer = Buffer.alloc(padLength + 2, 0xff);
  trailer[padLength] = padLength;
  trailer[padLength + 1] = 0x07; // next header: always 07h (§13.28.4)
  const unsigned = Buffer.concat([head, p.payload, trailer]);
  return Buffer.concat([unsigned, p.sign(unsigned.subarray(4))]);
}

/**
 * Splits the integrity trailer after an RMCP+ payload: returns the signed bytes (AuthType through
 * NextHeader) and the AuthCode, checking the pad shape so a garbled trailer is rejected.
 */
export function splitIntegrityTrailer(
  raw: Buffer,
  payloadEnd: number,
  authCodeLength: number,
): Result<{ signed: Buffer; authCode: Buffer }> {
  const rest = raw.length - payloadEnd;
  if (rest < authCodeLength + 2) return fail('integrity trailer truncated');
  const nextHeaderAt = raw.length - authCodeLength - 1;
  const padLengthAt = nextHeaderAt - 1;
  const padLength = raw[padLengthAt]!;
  if (raw[nextHeaderAt] !== 0x07) return fail('integrity trailer: next header is not 07h');
  if (padLength > 3 || padLengthAt - padLength !== payloadEnd)
    return fail('integrity trailer: bad pad length');
  for (let i = payloadEnd; i < padLengthAt; i++) {
    if (raw[i] !== 0xff) return fail('integrity trailer: pad bytes are not FFh');
  }
  if ((nextHeaderAt + 1 - 4) % 4 !== 0) return fail('integrity trailer: signed length not a multiple of 4');
  return ok({ signed: raw.subarray(4, nextHeaderAt + 1), authCode: raw.subarray(nextHeaderAt + 1) });
}

// ---------------------------------------------------------------- ASF presence ping (ASF 2.0 §3.2.4.3)

export function encodeAsfPing(tag: number): Buffer {
  return Buffer.from([
    RMCP_VERSION,
    0x00,
    RMCP_SEQ_NO_ACK,
    RMCP_CLASS_ASF,
    0x00,
    0x00,
    0x11,
    0xbe,
    0x80,
    tag & 0xff,
    0x00,
    0x00,
  ]);
}

/** Pong: type 40h; supported entities bit 7 = IPMI supported. */
export function decodeAsfPong(datagram: Uint8Array): Result<{ tag: number; ipmi: boolean }> {
  const d = decodeRmcp(datagram);
  if (!d.ok) return d;
  if (d.value.kind !== 'asf') return fail('not an ASF message');
  if (d.value.messageType !== 0x40)
    return fail(`ASF message type 0x${hex(d.value.messageType)} is not a pong`);
  if (d.value.data.length < 10) return fail('ASF pong data truncated');
  return ok({ tag: d.value.tag, ipmi: (d.value.data[8]! & 0x80) !== 0 });
}

export function hex(n: number, width = 2): string {
  return n.toString(16).padStart(width, '0');
}
