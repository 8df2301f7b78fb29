// IPMI 1.5 session engine with MD5 AuthCodes (no I/O): the opt-in fallback for BMCs without
// RMCP+. Get Session Challenge → Activate Session → per-message MD5 AuthCodes. No confidentiality:
// anything sent over it, passwords included, crosses the wire in clear.
// IPMI v2.0 §22.15–§22.17 (challenge/activate), §22.12 / §13.6 (AuthCode); dependencies.md §4.6.
import { createHash } from 'node:crypto';
import { PRIVILEGE } from './commands.js';
import { safeEqual } from './crypto.js';
import {
  AUTH_TYPE,
  decodeLanResponse,
  decodeRmcp,
  encodeLanRequest,
  encodeV15,
  hex,
  type LanRequest,
  type LanResponse,
} from './rmcp.js';
import type { SessionCredentials, SessionPhase, Step } from './session.js';

const drop = <T>(reason: string): Step<T> => ({ kind: 'drop', reason });

/** MD5 AuthCode = MD5(password16 | SID | IPMI message | seq | password16) (IPMI v2.0 §22.17.1). */
export function md5AuthCode(password16: Buffer, sessionId: number, message: Uint8Array, seq: number): Buffer {
  const sid = Buffer.alloc(4);
  sid.writeUInt32LE(sessionId >>> 0, 0);
  const sq = Buffer.alloc(4);
  sq.writeUInt32LE(seq >>> 0, 0);
  return createHash('md5')
    .update(password16)
    .update(sid)
    .update(message)
    .update(sq)
    .update(password16)
    .digest();
}

export interface Ipmi15Options {
  privilege?: number;
  /** Set from auth caps flag bit 4: then only Activate Session carries an AuthCode. */
  perMessageAuthDisabled?: boolean;
}

export class Ipmi15Session {
  readonly privilege: number;
  phase: SessionPhase = 'new';
  bmcSessionId = 0;
  private readonly username: Buffer;
  private readonly password16: Buffer;
  private tempSessionId = 0;
  private challenge: Buffer | undefined;
  private readonly initialBmcSeq: number;
  private outSeq = 0;
  private lastInSeq: number | undefined;
  private rqSeq = 0;

  constructor(
    credentials: SessionCredentials,
    private readonly options: Ipmi15Options,
    deps: { random: (length: number) => Buffer },
  ) {
    this.username = Buffer.from(credentials.username, 'utf8');
    if (this.username.length > 16) throw new RangeError('IPMI user names are at most 16 bytes');
    const pw = Buffer.from(credentials.password, 'utf8');
    if (pw.length > 16) throw new RangeError('IPMI 1.5 passwords are at most 16 bytes');
    this.password16 = Buffer.alloc(16);
    pw.copy(this.password16);
    this.privilege = options.privilege ?? PRIVILEGE.administrator;
    let seq = 0;
    while (seq === 0) seq = deps.random(4).readUInt32LE(0);
    this.initialBmcSeq = seq;
  }

  /** Get Session Challenge (06/39), outside a session: auth type MD5 + user name (§22.16). */
  challengeRequest(rqSeq = 2): Buffer {
    this.phase = 'opening';
    const data = Buffer.alloc(17);
    data[0] = AUTH_TYPE.md5;
    this.username.copy(data, 1);
    const message = encodeLanRequest({ netFn: 0x06, cmd: 0x39, data, rqSeq });
    return encodeV15({ authType: AUTH_TYPE.none, seq: 0, sessionId: 0, message });
  }

  acceptChallenge(datagram: Uint8Array): Step<void> {
    const r = this.response(datagram, 0x39);
    if (r.kind !== 'ok') return r;
    const { cc, data } = r.value;
    if (cc !== 0) {
      // 81h invalid user name, 82h null user name not enabled (§22.16).
      const code = cc === 0x81 || cc === 0x82 ? 'ERR_IPMI_AUTH' : 'ERR_IPMI_PROTOCOL';
      return {
        kind: 'fail',
        code,
        reason: `Get Session Challenge: completion code 0x${hex(cc)}`,
        status: cc,
      };
    }
    if (data.length < 20) return drop('Get Session Challenge response too short');
    this.tempSessionId = data.readUInt32LE(0);
    this.challenge = Buffer.from(data.subarray(4, 20));
    return { kind: 'ok', value: undefined };
  }

  /** Activate Session (06/3A), signed with MD5 over the temporary session ID, seq 0 (§22.17). */
  activateRequest(rqSeq = 3): Buffer {
    if (!this.challenge) throw new Error('activateRequest() before the challenge');
    const data = Buffer.alloc(22);
    data[0] = AUTH_TYPE.md5;
    data[1] = this.privilege;
    this.challenge.copy(data, 2);
    data.writeUInt32LE(this.initialBmcSeq, 18);
    const message = encodeLanRequest({ netFn: 0x06, cmd: 0x3a, data, rqSeq });
    const authCode = md5AuthCode(this.password16, this.tempSessionId, message, 0);
    return encodeV15({ authType: AUTH_TYPE.md5, seq: 0, sessionId: this.tempSessionId, authCode, message });
  }

  acceptActivate(datagram: Uint8Array): Step<void> {
    const r = this.response(datagram, 0x3a, this.tempSessionId);
    if (r.kind !== 'ok') return r;
    const { cc, data } = r.value;
    if (cc !== 0) {
      // 86h = requested privilege exceeds the user's limit; 81h..84h invalid session/challenge.
      this.phase = 'failed';
      return {
        kind: 'fail',
        code: 'ERR_IPMI_AUTH',
        reason: `Activate Session: completion code 0x${hex(cc)}`,
        status: cc,
      };
    }
    if (data.length < 10) return drop('Activate Session response too short');
    this.bmcSessionId = data.readUInt32LE(1);
    this.outSeq = data.readUInt32LE(5) || 1;
    this.phase = 'active';
    return { kind: 'ok', value: undefined };
  }

  wrap(request: LanRequest): Buffer {
    if (this.phase !== 'active') throw new Error('wrap() before the session is active');
    const message = encodeLanRequest(request);
    const seq = this.outSeq;
    this.outSeq = (this.outSeq + 1) >>> 0 || 1;
    if (this.options.perMessageAuthDisabled) {
      return encodeV15({ authType: AUTH_TYPE.none, seq, sessionId: this.bmcSessionId, message });
    }
    const authCode = md5AuthCode(this.password16, this.bmcSessionId, message, seq);
    return encodeV15({ authType: AUTH_TYPE.md5, seq, sessionId: this.bmcSessionId, authCode, message });
  }

  unwrap(datagram: Uint8Array): Step<LanResponse> {
    if (this.phase !== 'active') return drop('no active session');
    const d = decodeRmcp(datagram);
    if (!d.ok) return drop(d.reason);
    if (d.value.kind !== 'v15') return drop(`expected an IPMI 1.5 packet, got ${d.value.kind}`);
    const p = d.value.packet;
    if (p.sessionId !== this.bmcSessionId) return drop('packet for another session');
    if (!this.verify(p.authType, p.authCode, p.sessionId, p.message, p.seq)) return drop('AuthCode mismatch');
    // ipmi_sim repeats its first sequence value in 1.5 mode: accept repeats within a small window.
    if (this.lastInSeq !== undefined) {
      const delta = (p.seq - this.lastInSeq) | 0;
      if (delta < -16 || delta > 0x10000) return drop(`session sequence ${p.seq} outside the window`);
      if (delta > 0) this.lastInSeq = p.seq;
    } else this.lastInSeq = p.seq;
    const msg = decodeLanResponse(p.message);
    if (!msg.ok) return drop(msg.reason);
    return { kind: 'ok', value: msg.value };
  }

  private verify(
    authType: number,
    code: Buffer | undefined,
    sid: number,
    message: Buffer,
    seq: number,
  ): boolean {
    if (authType === AUTH_TYPE.none) return this.options.perMessageAuthDisabled === true;
    if (authType !== AUTH_TYPE.md5 || !code) return false;
    return safeEqual(md5AuthCode(this.password16, sid, message, seq), code);
  }

  private response(datagram: Uint8Array, cmd: number, signedBySid?: number): Step<LanResponse> {
    const d = decodeRmcp(datagram);
    if (!d.ok) return drop(d.reason);
    if (d.value.kind !== 'v15') return drop(`expected an IPMI 1.5 packet, got ${d.value.kind}`);
    const p = d.value.packet;
    if (signedBySid !== undefined && p.authType !== AUTH_TYPE.none) {
      if (!this.verify(p.authType, p.authCode, signedBySid, p.message, p.seq))
        return drop('AuthCode mismatch');
    }
    const r = decodeLanResponse(p.message);
    if (!r.ok) return drop(r.reason);
    if (r.value.netFn !== 0x07 || r.value.cmd !== cmd) return drop(`not a response to command 0x${hex(cmd)}`);
    return { kind: 'ok', value: r.value };
  }
}
