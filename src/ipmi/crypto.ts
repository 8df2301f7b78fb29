// RMCP+ algorithm tables and primitives: RAKP HMACs, SIK/K1/K2, integrity AuthCodes, AES-CBC-128
// confidentiality. Data-driven so cipher suite 17 (SHA-256) is a table row, not new code.
// IPMI v2.0 §13.28 (authentication, integrity, confidentiality), §13.31–§13.32 (RAKP), §22.15.2 (suites).
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from './rmcp.js';

export type HashName = 'sha1' | 'sha256';

/** Authentication (RAKP) algorithms, IPMI v2.0 §13.28 Table 13-17. */
export interface AuthAlgorithm {
  id: number;
  name: string;
  hash: HashName;
  /** Length of the RAKP4 integrity check value (HMAC truncated), §13.31. */
  icvLength: number;
}
/** Integrity algorithms, IPMI v2.0 §13.28.4 Table 13-18. */
export interface IntegrityAlgorithm {
  id: number;
  name: string;
  hash: HashName;
  /** AuthCode length in the trailer (HMAC truncated). */
  authCodeLength: number;
}
/** Confidentiality algorithms, IPMI v2.0 §13.28.5 Table 13-19. */
export interface ConfidentialityAlgorithm {
  id: number;
  name: string;
  cipher: 'aes-128-cbc';
  keyLength: number;
  ivLength: number;
  blockSize: number;
}

export const AUTH_ALGORITHMS = {
  rakpHmacSha1: { id: 0x01, name: 'RAKP-HMAC-SHA1', hash: 'sha1', icvLength: 12 },
  // ipmitool lanplus_crypt.c / IPMI_HMAC_SHA256_AUTHCODE_SIZE: ICV truncated to 16 bytes.
  rakpHmacSha256: { id: 0x03, name: 'RAKP-HMAC-SHA256', hash: 'sha256', icvLength: 16 },
} as const satisfies Record<string, AuthAlgorithm>;

export const INTEGRITY_ALGORITHMS = {
  hmacSha1_96: { id: 0x01, name: 'HMAC-SHA1-96', hash: 'sha1', authCodeLength: 12 },
  hmacSha256_128: { id: 0x04, name: 'HMAC-SHA256-128', hash: 'sha256', authCodeLength: 16 },
} as const satisfies Record<string, IntegrityAlgorithm>;

export const CONFIDENTIALITY_ALGORITHMS = {
  aesCbc128: {
    id: 0x01,
    name: 'AES-CBC-128',
    cipher: 'aes-128-cbc',
    keyLength: 16,
    ivLength: 16,
    blockSize: 16,
  },
} as const satisfies Record<string, ConfidentialityAlgorithm>;

export interface CipherSuite {
  id: number;
  auth: AuthAlgorithm;
  integrity: IntegrityAlgorithm;
  confidentiality: ConfidentialityAlgorithm;
}

/**
 * Suites we offer. Never suite 0 (no authentication, US-CERT TA13-207A). Suite 17 is in the table
 * from ipmitool's source (dependencies.md §4.5) but not verified against a BMC yet.
 */
export const CIPHER_SUITES: Readonly<Record<number, CipherSuite>> = {
  3: {
    id: 3,
    auth: AUTH_ALGORITHMS.rakpHmacSha1,
    integrity: INTEGRITY_ALGORITHMS.hmacSha1_96,
    confidentiality: CONFIDENTIALITY_ALGORITHMS.aesCbc128,
  },
  17: {
    id: 17,
    auth: AUTH_ALGORITHMS.rakpHmacSha256,
    integrity: INTEGRITY_ALGORITHMS.hmacSha256_128,
    confidentiality: CONFIDENTIALITY_ALGORITHMS.aesCbc128,
  },
};

export function hmac(hash: HashName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** Constant-time comparison; different lengths compare unequal without leaking the contents. */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return timingSafeEqual(a, b);
}

/** KUID: the user's password, zero-padded to 20 bytes (IPMI v2.0 §13.31, RAKP-HMAC-SHA1). */
export function userKey(password: string): Buffer {
  const key = Buffer.alloc(20);
  Buffer.from(password, 'utf8').copy(key, 0, 0, 20);
  return key;
}

/** Fields both sides hash in RAKP messages. Multi-byte IDs are little-endian as on the wire. */
export interface RakpContext {
  consoleSessionId: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  /** Requested role byte sent in RAKP1 (privilege | name-only lookup bit). */
  role: number;
  username: Buffer;
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** RAKP2 key exchange auth code: HMAC(KUID, SIDm | SIDc | Rm | Rc | GUIDc | role | ULen | UName). */
export function rakp2AuthCode(alg: AuthAlgorithm, kuid: Buffer, c: RakpContext): Buffer {
  return hmac(
    alg.hash,
    kuid,
    u32le(c.consoleSessionId),
    u32le(c.bmcSessionId),
    c.consoleRandom,
    c.bmcRandom,
    c.bmcGuid,
    Buffer.from([c.role, c.username.length]),
    c.username,
  );
}

/** RAKP3 auth code: HMAC(KUID, Rc | SIDm | role | ULen | UName). */
export function rakp3AuthCode(alg: AuthAlgorithm, kuid: Buffer, c: RakpContext): Buffer {
  return hmac(
    alg.hash,
    kuid,
    c.bmcRandom,
    u32le(c.consoleSessionId),
    Buffer.from([c.role, c.username.length]),
    c.username,
  );
}

/** SIK = HMAC(KG, Rm | Rc | role | ULen | UName); KG defaults to KUID when the BMC key is unset. */
export function sessionIntegrityKey(alg: AuthAlgorithm, kg: Buffer, c: RakpContext): Buffer {
  return hmac(
    alg.hash,
    kg,
    c.consoleRandom,
    c.bmcRandom,
    Buffer.from([c.role, c.username.length]),
    c.username,
  );
}

/** RAKP4 ICV = HMAC(SIK, Rm | SIDc | GUIDc), truncated (§13.31). */
export function rakp4Icv(alg: AuthAlgorithm, sik: Buffer, c: RakpContext): Buffer {
  return hmac(alg.hash, sik, c.consoleRandom, u32le(c.bmcSessionId), c.bmcGuid).subarray(0, alg.icvLength);
}

/**
 * K1 = HMAC(SIK, 01×20), K2 = HMAC(SIK, 02×20) (§13.32). The constants stay 20 bytes for SHA-256
 * suites too (ipmitool lanplus_crypt.c).
 */
export function additionalKeys(alg: AuthAlgorithm, sik: Buffer): { k1: Buffer; k2: Buffer } {
  return {
    k1: hmac(alg.hash, sik, Buffer.alloc(20, 0x01)),
    k2: hmac(alg.hash, sik, Buffer.alloc(20, 0x02)),
  };
}

export function integrityAuthCode(alg: IntegrityAlgorithm, k1: Buffer, signed: Uint8Array): Buffer {
  return hmac(alg.hash, k1, signed).subarray(0, alg.authCodeLength);
}

export function verifyAuthCode(
  alg: IntegrityAlgorithm,
  k1: Buffer,
  signed: Uint8Array,
  code: Uint8Array,
): boolean {
  return safeEqual(integrityAuthCode(alg, k1, signed), code);
}

/**
 * AES-CBC-128 payload: IV | AES(msg | 01 02 … n | n), n making the plaintext a multiple of 16
 * (IPMI v2.0 §13.29). The IV is passed in so tests can reproduce captured packets.
 */
export function encryptPayload(
  alg: ConfidentialityAlgorithm,
  k2: Buffer,
  iv: Buffer,
  message: Uint8Array,
): Buffer {
  const padLength = (alg.blockSize - ((message.length + 1) % alg.blockSize)) % alg.blockSize;
  const plain = Buffer.alloc(message.length + padLength + 1);
  plain.set(message, 0);
  for (let i = 1; i <= padLength; i++) plain[message.length + i - 1] = i;
  plain[plain.length - 1] = padLength;
  const cipher = createCipheriv(alg.cipher, k2.subarray(0, alg.keyLength), iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
}

export function decryptPayload(alg: ConfidentialityAlgorithm, k2: Buffer, payload: Buffer): Result<Buffer> {
  const body = payload.length - alg.ivLength;
  if (body < alg.blockSize || body % alg.blockSize !== 0) {
    return fail(`encrypted payload length ${payload.length} is not IV + whole blocks`);
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(
      alg.cipher,
      k2.subarray(0, alg.keyLength),
      payload.subarray(0, alg.ivLength),
    );
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(payload.subarray(alg.ivLength)), decipher.final()]);
  } catch (error) {
    return fail(`decryption failed: ${(error as Error).message}`);
  }
  const padLength = plain[plain.length - 1]!;
  if (padLength >= alg.blockSize || padLength + 1 > plain.length)
    return fail('confidentiality pad length invalid');
  const padStart = plain.length - 1 - padLength;
  for (let i = 0; i < padLength; i++) {
    if (plain[padStart + i] !== i + 1) return fail('confidentiality pad bytes invalid');
  }
  return ok(plain.subarray(0, padStart));
}
