import test from 'ava';
import {
  additionalKeys,
  AUTH_ALGORITHMS,
  CIPHER_SUITES,
  CONFIDENTIALITY_ALGORITHMS,
  decryptPayload,
  encryptPayload,
  INTEGRITY_ALGORITHMS,
  integrityAuthCode,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  safeEqual,
  sessionIntegrityKey,
  userKey,
  verifyAuthCode,
  type RakpContext,
} from '../../../src/ipmi/crypto.js';
import { capture, derived, hex } from '../../fixtures/ipmi/capture.js';

const sha1 = AUTH_ALGORITHMS.rakpHmacSha1;
const aes = CONFIDENTIALITY_ALGORITHMS.aesCbc128;
const ctx: RakpContext = {
  consoleSessionId: 0xa0a2a3a4,
  bmcSessionId: 0x82,
  consoleRandom: derived.rcon,
  bmcRandom: derived.rbmc,
  bmcGuid: derived.guid,
  role: 0x14,
  username: Buffer.from('admin'),
};

test('KUID is the password zero-padded to 20 bytes', (t) => t.deepEqual(userKey('password'), derived.kuid));
test('RAKP2 HMAC matches the capture', (t) =>
  t.deepEqual(rakp2AuthCode(sha1, derived.kuid, ctx), derived.rakp2Hmac));
test('RAKP3 HMAC matches the capture', (t) =>
  t.deepEqual(rakp3AuthCode(sha1, derived.kuid, ctx), derived.rakp3Hmac));
test('SIK matches the capture', (t) =>
  t.deepEqual(sessionIntegrityKey(sha1, derived.kuid, ctx), derived.sik));
test('K1 and K2 match the capture', (t) =>
  t.deepEqual(additionalKeys(sha1, derived.sik), { k1: derived.k1, k2: derived.k2 }));
test('RAKP4 ICV matches the capture', (t) => t.deepEqual(rakp4Icv(sha1, derived.sik, ctx), derived.rakp4Icv));

test('AES-CBC-128 with the captured IV reproduces the #9 ciphertext', (t) => {
  const iv = capture.setSessionPriv.subarray(16, 32);
  t.deepEqual(
    encryptPayload(aes, derived.k2, iv, derived.setSessionPrivPlain),
    capture.setSessionPriv.subarray(16, 48),
  );
});

test('the #9 AuthCode covers AuthType through Next Header', (t) => {
  const signed = capture.setSessionPriv.subarray(4, 52);
  t.deepEqual(
    integrityAuthCode(INTEGRITY_ALGORITHMS.hmacSha1_96, derived.k1, signed),
    hex('5a7d4fc561148d71503bb407'),
  );
  t.true(
    verifyAuthCode(INTEGRITY_ALGORITHMS.hmacSha1_96, derived.k1, signed, hex('5a7d4fc561148d71503bb407')),
  );
});

test('decryption of #10 strips the 01..06 pad', (t) => {
  t.deepEqual(decryptPayload(aes, derived.k2, capture.setSessionPrivResponse.subarray(16, 48)), {
    ok: true,
    value: derived.setSessionPrivResponsePlain,
  });
});

const badPayloads: Array<[string, Buffer]> = [
  ['shorter than IV + one block', Buffer.alloc(20)],
  ['not whole blocks', Buffer.alloc(40)],
  ['an empty payload', Buffer.alloc(0)],
];
for (const [what, payload] of badPayloads) {
  test(`decryption refuses ${what}`, (t) => t.false(decryptPayload(aes, derived.k2, payload).ok));
}

test('safeEqual compares in constant time and refuses different lengths', (t) => {
  t.true(safeEqual(hex('0102'), hex('0102')));
  t.false(safeEqual(hex('0102'), hex('0103')));
  t.false(safeEqual(hex('0102'), hex('010203')));
  t.false(safeEqual(Buffer.alloc(0), Buffer.alloc(0)));
});

test('cipher suite table: 3 is SHA1/SHA1-96/AES, 17 is SHA256/SHA256-128/AES, 0 is never offered', (t) => {
  t.like(CIPHER_SUITES[3], {
    auth: { id: 1 },
    integrity: { id: 1, authCodeLength: 12 },
    confidentiality: { id: 1 },
  });
  t.like(CIPHER_SUITES[17], { auth: { id: 3, icvLength: 16 }, integrity: { id: 4, authCodeLength: 16 } });
  t.is(CIPHER_SUITES[0], undefined);
});

test('SHA-256 K1/K2 keep the 20-byte constants (ipmitool) and give 32-byte keys', (t) => {
  const keys = additionalKeys(AUTH_ALGORITHMS.rakpHmacSha256, derived.sik);
  t.is(keys.k1.length, 32);
  t.is(keys.k2.length, 32);
});
