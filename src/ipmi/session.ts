// RMCP+ session engine (no I/O): Get Channel Auth Caps, Open Session, RAKP 1–4, SIK/K1/K2,
// session sequence numbers, integrity and confidentiality of IPMI messages. The client feeds it
// datagrams and sends what it returns. IPMI v2.0 §13.15–§13.32, §22.13; dependencies.md §4.2.
import {
  additionalKeys,
  CIPHER_SUITES,
  decryptPayload,
  encryptPayload,
  integrityAuthCode,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  safeEqual,
  sessionIntegrityKey,
  userKey,
  verifyAuthCode,
  type CipherSuite,
  type RakpContext,
} from './crypto.js';
import { getChannelAuthCapabilities, PRIVILEGE, type AuthCapabilities } from './commands.js';
import {
  AUTH_TYPE,
  decodeLanResponse,
  decodeRmcp,
  encodeLanRequest,
  encodeV15,
  encodeV20,
  hex,
  PAYLOAD,
  splitIntegrityTrailer,
  type LanRequest,
  type LanResponse,
} from './rmcp.js';

/** What an accepted datagram means: a value, a packet to ignore (keep waiting), or a hard stop. */
export type Step<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'fail'; code: SessionFailure; reason: string; status?: number };

/** Error codes of core/errors.ts a handshake can end with. */
export type SessionFailure = 'ERR_IPMI_AUTH' | 'ERR_IPMI_PROTOCOL' | 'ERR_IPMI_BUSY' | 'ERR_IPMI_COMMAND';

const okStep = <T>(value: T): Step<T> => ({ kind: 'ok', value });
const drop = <T>(reason: string): Step<T> => ({ kind: 'drop', reason });
const failStep = <T>(code: SessionFailure, reason: string, status?: number): Step<T> => ({
  kind: 'fail',
  code,
  reason,
  ...(status === undefined ? {} : { status }),
});

/** RMCP+ and RAKP message status codes (IPMI v2.0 §13.24 Table 13-15). */
export const RMCP_PLUS_STATUS: Readonly<Record<number, string>> = {
  0x01: 'insufficient resources to create a session (no free session slot)',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

function statusFailure<T>(step: string, status: number): Step<T> {
  const text = RMCP_PLUS_STATUS[status] ?? 'unknown status';
  // Credentials/role problems are the operator's to fix; resource shortage is transient.
  const code: SessionFailure =
    status === 0x01 || status === 0x0b
      ? 'ERR_IPMI_BUSY'
      : [0x09, 0x0a, 0x0c, 0x0d, 0x0e, 0x0f].includes(status)
        ? 'ERR_IPMI_AUTH'
        : 'ERR_IPMI_PROTOCOL';
  return failStep(code, `${step}: BMC answered status 0x${hex(status)} (${text})`, status);
}

export interface SessionCredentials {
  username: string;
  password: string;
  /** BMC key K_G, when the BMC has one set (auth caps flag bit 5). */
  kg?: Buffer;
}

export interface SessionEngineOptions {
  /** 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128) by default; 17 is tabled but unverified. */
  cipherSuite?: number;
  /** Role requested in RAKP1 and Set Session Privilege Level; 4 = Administrator. */
  privilege?: number;
  /** Max privilege byte of Open Session; 0 = highest the algorithms allow (as ipmitool). */
  openSessionPrivilege?: number;
  /** First outbound session sequence number (ipmitool counts pre-session packets and starts at 3). */
  initialSequence?: number;
}

export interface SessionEngineDeps {
  /** Cryptographically random bytes (console SID, Rm, IVs); injected so tests replay captures. */
  random: (length: number) => Buffer;
}

export type SessionPhase = 'new' | 'opening' | 'rakp1' | 'rakp3' | 'active' | 'failed';

/** One RMCP+ session from a console to a BMC. Each method is one protocol step; nothing here does I/O. */
export class RmcpPlusSession {
  readonly suite: CipherSuite;
  readonly consoleSessionId: number;
  readonly privilege: number;
  phase: SessionPhase = 'new';
  bmcSessionId = 0;
  private readonly username: Buffer;
  private readonly kuid: Buffer;
  private readonly kg: Buffer | undefined;
  private readonly openPrivilege: number;
  private consoleRandom: Buffer | undefined;
  private context: RakpContext | undefined;
  private sik: Buffer | undefined;
  private k1: Buffer | undefined;
  private k2: Buffer | undefined;
  private outSeq: number;
  private lastInSeq: number | undefined;

  constructor(
    credentials: SessionCredentials,
    options: SessionEngineOptions,
    private readonly deps: SessionEngineDeps,
  ) {
    const suite = CIPHER_SUITES[options.cipherSuite ?? 3];
    if (!suite) throw new RangeError(`unsupported cipher suite ${options.cipherSuite}`);
    this.suite = suite;
    this.username = Buffer.from(credentials.username, 'utf8');
    if (this.username.length > 16) throw new RangeError('IPMI user names are at most 16 bytes');
    this.kuid = userKey(credentials.password);
    this.kg = credentials.kg;
    this.privilege = options.privilege ?? PRIVILEGE.administrator;
    this.openPrivilege = options.openSessionPrivilege ?? 0;
    this.outSeq = (options.initialSequence ?? 1) >>> 0 || 1;
    let sid = 0;
    while (sid === 0) sid = deps.random(4).readUInt32LE(0);
    this.consoleSessionId = sid;
  }

  // ------------------------------------------------------------ Get Channel Auth Caps (§22.13)

  /** Sent outside any session in IPMI 1.5 format (AuthType none, seq 0, SID 0). */
  authCapabilitiesRequest(v2 = true): Buffer {
    const spec = getChannelAuthCapabilities({ v2, privilege: this.privilege });
    const message = encodeLanRequest({ netFn: spec.netFn, cmd: spec.cmd, data: spec.data, rqSeq: 0 });
    return encodeV15({ authType: AUTH_TYPE.none, seq: 0, sessionId: 0, message });
  }

  acceptAuthCapabilities(datagram: Uint8Array): Step<AuthCapabilities> {
    const d = decodeRmcp(datagram);
    if (!d.ok) return drop(d.reason);
    let message: Buffer;
    if (d.value.kind === 'v15') message = d.value.packet.message;
    else return drop(`expected an IPMI 1.5 auth capabilities response, got ${d.value.kind}`);
    const r = decodeLanResponse(message);
    if (!r.ok) return drop(r.reason);
    if (r.value.netFn !== 0x07 || r.value.cmd !== 0x38) return drop('not a Get Channel Auth Caps response');
    if (r.value.cc !== 0) {
      return failStep(
        'ERR_IPMI_PROTOCOL',
        `Get Channel Auth Caps: completion code 0x${hex(r.value.cc)}`,
        r.value.cc,
      );
    }
    const caps = getChannelAuthCapabilities().decode(r.value);
    if (!caps.ok) return failStep('ERR_IPMI_PROTOCOL', caps.reason);
    return okStep(caps.value);
  }

  // ------------------------------------------------------------ Open Session (§13.17, §13.18)

  openSessionRequest(): Buffer {
    this.phase = 'opening';
    const p = Buffer.alloc(32);
    p[0] = 0x00; // message tag
    p[1] = this.openPrivilege;
    p.writeUInt32LE(this.consoleSessionId, 4);
    // Algorithm payloads: type | 00 00 | length 08 | algorithm | 00 00 00
    const algs = [this.suite.auth.id, this.suite.integrity.id, this.suite.confidentiality.id];
    algs.forEach((alg, i) => {
      const o = 8 + i * 8;
      p[o] = i;
      p[o + 3] = 0x08;
      p[o + 4] = alg;
    });
    return encodeV20({ payloadType: PAYLOAD.openSessionRequest, sessionId: 0, seq: 0, payload: p });
  }

  acceptOpenSessionResponse(datagram: Uint8Array): Step<void> {
    const pl = this.preSessionPayload(datagram, PAYLOAD.openSessionResponse);
    if (pl.kind !== 'ok') return pl;
    const p = pl.value;
    if (p.length < 2) return drop('Open Session Response truncated');
    if (p[1] !== 0) return this.failed(statusFailure('Open Session', p[1]!));
    if (p.length < 36) return drop(`Open Session Response too short (${p.length} bytes)`);
    if (p.readUInt32LE(4) !== this.consoleSessionId)
      return drop('Open Session Response for another console session');
    const bmcSid = p.readUInt32LE(8);
    if (bmcSid === 0)
      return this.failed(failStep('ERR_IPMI_PROTOCOL', 'Open Session Response with BMC session ID 0'));
    const wanted = [this.suite.auth.id, this.suite.integrity.id, this.suite.confidentiality.id];
    for (let i = 0; i < 3; i++) {
      const o = 12 + i * 8;
      if (p[o] !== i || (p[o + 4]! & 0x3f) !== wanted[i]) {
        return this.failed(
          failStep(
            'ERR_IPMI_PROTOCOL',
            `Open Session: BMC chose algorithm 0x${hex(p[o + 4]!)} for payload ${i}`,
          ),
        );
      }
    }
    this.bmcSessionId = bmcSid;
    this.phase = 'rakp1';
    return okStep(undefined);
  }

  // ------------------------------------------------------------ RAKP 1–4 (§13.20–§13.23)

  /** RAKP1; the same Rm is reused when the message is retransmitted. */
  rakp1(): Buffer {
    this.consoleRandom ??= this.deps.random(16);
    const p = Buffer.alloc(28 + this.username.length);
    p[0] = 0x00;
    p.writeUInt32LE(this.bmcSessionId, 4);
    this.consoleRandom.copy(p, 8);
    p[24] = this.role();
    p[27] = this.username.length;
    this.username.copy(p, 28);
    return encodeV20({ payloadType: PAYLOAD.rakp1, sessionId: 0, seq: 0, payload: p });
  }

  acceptRakp2(datagram: Uint8Array): Step<void> {
    const pl = this.preSessionPayload(datagram, PAYLOAD.rakp2);
    if (pl.kind !== 'ok') return pl;
    const p = pl.value;
    if (p.length < 2) return drop('RAKP2 truncated');
    if (p[1] !== 0) return this.failed(statusFailure('RAKP2', p[1]!));
    const codeLength = this.hashLength();
    if (p.length < 40 + codeLength) return drop(`RAKP2 too short (${p.length} bytes)`);
    if (p.readUInt32LE(4) !== this.consoleSessionId) return drop('RAKP2 for another console session');
    const context: RakpContext = {
      consoleSessionId: this.consoleSessionId,
      bmcSessionId: this.bmcSessionId,
      consoleRandom: this.consoleRandom ?? Buffer.alloc(16),
      bmcRandom: Buffer.from(p.subarray(8, 24)),
      bmcGuid: Buffer.from(p.subarray(24, 40)),
      role: this.role(),
      username: this.username,
    };
    const expected = rakp2AuthCode(this.suite.auth, this.kuid, context);
    if (!safeEqual(expected, p.subarray(40, 40 + codeLength))) {
      // The BMC proved a different password: wrong credentials. Stop here, never retry.
      return this.failed(
        failStep('ERR_IPMI_AUTH', 'RAKP2: BMC rejected the credentials (password mismatch)'),
      );
    }
    this.context = context;
    this.sik = sessionIntegrityKey(this.suite.auth, this.kg ?? this.kuid, context);
    const keys = additionalKeys(this.suite.auth, this.sik);
    this.k1 = keys.k1;
    this.k2 = keys.k2;
    this.phase = 'rakp3';
    return okStep(undefined);
  }

  rakp3(): Buffer {
    if (!this.context) throw new Error('rakp3() before RAKP2 was accepted');
    const code = rakp3AuthCode(this.suite.auth, this.kuid, this.context);
    const p = Buffer.alloc(8 + code.length);
    p[0] = 0x00;
    p[1] = 0x00; // status: OK
    p.writeUInt32LE(this.bmcSessionId, 4);
    code.copy(p, 8);
    return encodeV20({ payloadType: PAYLOAD.rakp3, sessionId: 0, seq: 0, payload: p });
  }

  acceptRakp4(datagram: Uint8Array): Step<void> {
    const pl = this.preSessionPayload(datagram, PAYLOAD.rakp4);
    if (pl.kind !== 'ok') return pl;
    const p = pl.value;
    if (p.length < 2) return drop('RAKP4 truncated');
    if (p[1] !== 0) return this.failed(statusFailure('RAKP4', p[1]!));
    const icvLength = this.suite.auth.icvLength;
    if (p.length < 8 + icvLength) return drop(`RAKP4 too short (${p.length} bytes)`);
    if (p.readUInt32LE(4) !== this.consoleSessionId) return drop('RAKP4 for another console session');
    if (!this.context || !this.sik) return drop('RAKP4 before RAKP2');
    const expected = rakp4Icv(this.suite.auth, this.sik, this.context);
    if (!safeEqual(expected, p.subarray(8, 8 + icvLength))) {
      return this.failed(
        failStep('ERR_IPMI_AUTH', 'RAKP4: integrity check value mismatch (does the BMC require a K_G key?)'),
      );
    }
    this.phase = 'active';
    return okStep(undefined);
  }

  // ------------------------------------------------------------ session messages (§13.28, §13.29)

  /** Encrypts and signs one IPMI request; every call (retransmissions too) takes a new sequence number. */
  wrap(request: LanRequest, iv: Buffer = this.deps.random(this.suite.confidentiality.ivLength)): Buffer {
    if (this.phase !== 'active' || !this.k1 || !this.k2)
      throw new Error('wrap() before the session is active');
    const k1 = this.k1;
    const payload = encryptPayload(this.suite.confidentiality, this.k2, iv, encodeLanRequest(request));
    const seq = this.outSeq;
    // Skip 0 on wrap-around (ipmitool lanplus.c: 0 means "no sequence").
    this.outSeq = (this.outSeq + 1) >>> 0 || 1;
    return encodeV20({
      payloadType: PAYLOAD.ipmi,
      encrypted: true,
      sessionId: this.bmcSessionId,
      seq,
      payload,
      sign: (signed) => integrityAuthCode(this.suite.integrity, k1, signed),
    });
  }

  /** Verifies (constant time, before decrypting), decrypts and decodes one BMC response. */
  unwrap(datagram: Uint8Array): Step<LanResponse> {
    if (this.phase !== 'active' || !this.k1 || !this.k2) return drop('no active session');
    const d = decodeRmcp(datagram);
    if (!d.ok) return drop(d.reason);
    if (d.value.kind !== 'v20') return drop(`expected an RMCP+ packet, got ${d.value.kind}`);
    const pkt = d.value.packet;
    if (pkt.payloadType !== PAYLOAD.ipmi) return drop(`unexpected payload type 0x${hex(pkt.payloadType)}`);
    if (pkt.sessionId !== this.consoleSessionId) return drop('packet for another session');
    if (!pkt.authenticated || !pkt.encrypted)
      return drop('unauthenticated or unencrypted packet in a secure session');
    const trailer = splitIntegrityTrailer(d.value.raw, pkt.payloadEnd, this.suite.integrity.authCodeLength);
    if (!trailer.ok) return drop(trailer.reason);
    if (!verifyAuthCode(this.suite.integrity, this.k1, trailer.value.signed, trailer.value.authCode)) {
      return drop('AuthCode mismatch');
    }
    if (!this.acceptInboundSequence(pkt.seq)) return drop(`session sequence ${pkt.seq} outside the window`);
    const plain = decryptPayload(this.suite.confidentiality, this.k2, pkt.payload);
    if (!plain.ok) return drop(plain.reason);
    const msg = decodeLanResponse(plain.value);
    if (!msg.ok) return drop(msg.reason);
    return okStep(msg.value);
  }

  /** Derived keys, for tests against the captured vectors. */
  keys(): { sik?: Buffer; k1?: Buffer; k2?: Buffer } {
    return { sik: this.sik, k1: this.k1, k2: this.k2 };
  }

  // ------------------------------------------------------------ helpers

  /**
   * Inbound sequence numbers must move forward within a window; repeats are tolerated because
   * ipmi_sim repeats values (dependencies.md §4.2) and responses are matched on rqSeq anyway.
   */
  private acceptInboundSequence(seq: number): boolean {
    if (seq === 0) return false;
    if (this.lastInSeq !== undefined) {
      const delta = (seq - this.lastInSeq) | 0;
      if (delta < -16 || delta > 0x10000) return false;
      if (delta > 0) this.lastInSeq = seq;
    } else {
      this.lastInSeq = seq;
    }
    return true;
  }

  /** RAKP1 role byte: privilege in bits 3:0, bit 4 = name-only lookup (§13.20). */
  private role(): number {
    return 0x10 | (this.privilege & 0x0f);
  }

  private hashLength(): number {
    return this.suite.auth.hash === 'sha256' ? 32 : 20;
  }

  private preSessionPayload(datagram: Uint8Array, payloadType: number): Step<Buffer> {
    const d = decodeRmcp(datagram);
    if (!d.ok) return drop(d.reason);
    if (d.value.kind !== 'v20') return drop(`expected an RMCP+ packet, got ${d.value.kind}`);
    const pkt = d.value.packet;
    if (pkt.payloadType !== payloadType) {
      return drop(`expected payload 0x${hex(payloadType)}, got 0x${hex(pkt.payloadType)}`);
    }
    if (pkt.encrypted || pkt.authenticated)
      return drop('pre-session payload must not be encrypted or signed');
    return okStep(pkt.payload);
  }

  private failed<T>(step: Step<T>): Step<T> {
    this.phase = 'failed';
    return step;
  }
}
