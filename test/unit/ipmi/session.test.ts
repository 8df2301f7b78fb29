import test from 'ava';
import { createCipheriv } from 'node:crypto';
import { RmcpPlusSession } from '../../../src/ipmi/session.js';
import { encodeV20, PAYLOAD } from '../../../src/ipmi/rmcp.js';
import { integrityAuthCode, INTEGRITY_ALGORITHMS } from '../../../src/ipmi/crypto.js';
import { capture, derived, hex } from '../../fixtures/ipmi/capture.js';

/** Replays the capture's randomness: console SID, then Rm, then the IVs in order. */
function replayRandom(ivs: Buffer[] = []): (n: number) => Buffer {
  const sixteen = [derived.rcon, ...ivs];
  return (n) => {
    if (n === 4) return Buffer.from(derived.consoleSid);
    const next = sixteen.shift();
    if (n === 16 && next) return Buffer.from(next);
    throw new Error(`unexpected random(${n})`);
  };
}

function handshake(ivs: Buffer[] = []): RmcpPlusSession {
  const s = new RmcpPlusSession(
    { username: 'admin', password: 'password' },
    { initialSequence: 3 },
    { random: replayRandom(ivs) },
  );
  s.openSessionRequest();
  if (s.acceptOpenSessionResponse(capture.openSessionResponse).kind !== 'ok') throw new Error('open');
  s.rakp1();
  if (s.acceptRakp2(capture.rakp2).kind !== 'ok') throw new Error('rakp2');
  if (s.acceptRakp4(capture.rakp4).kind !== 'ok') throw new Error('rakp4');
  return s;
}

const ivOf = (packet: Buffer) => packet.subarray(16, 32);

test('auth caps request reproduces capture #1', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  t.deepEqual(s.authCapabilitiesRequest(), capture.authCapsRequest);
});

test('auth caps response #2 decodes: LAN channel 1, IPMI 2.0, MD5/none/straight', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  const step = s.acceptAuthCapabilities(capture.authCapsResponse);
  if (step.kind !== 'ok') return t.fail(JSON.stringify(step));
  t.is(step.value.channel, 1);
  t.true(step.value.ipmi20);
  t.true(step.value.authTypes.md5);
  t.false(step.value.kgSet);
});

test('open session request reproduces capture #3', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  t.deepEqual(s.openSessionRequest(), capture.openSessionRequest);
});

test('RAKP1 reproduces capture #5 and RAKP3 reproduces capture #7', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  s.openSessionRequest();
  t.is(s.acceptOpenSessionResponse(capture.openSessionResponse).kind, 'ok');
  t.is(s.bmcSessionId, 0x82);
  t.deepEqual(s.rakp1(), capture.rakp1);
  t.is(s.acceptRakp2(capture.rakp2).kind, 'ok');
  t.deepEqual(s.rakp3(), capture.rakp3);
});

test('SIK, K1 and K2 match the derived vectors', (t) => {
  const keys = handshake().keys();
  t.deepEqual(keys.sik, derived.sik);
  t.deepEqual(keys.k1, derived.k1);
  t.deepEqual(keys.k2, derived.k2);
});

test('RAKP4 #8 is accepted and activates the session', (t) => {
  t.is(handshake().phase, 'active');
});

test('Set Session Privilege request reproduces capture #9 with its IV', (t) => {
  const s = handshake();
  const packet = s.wrap(
    { netFn: 0x06, cmd: 0x3b, data: Buffer.from([4]), rqSeq: 1 },
    ivOf(capture.setSessionPriv),
  );
  t.deepEqual(packet, capture.setSessionPriv);
});

test('response #10 verifies, decrypts and decodes to CC 00, privilege 04', (t) => {
  const step = handshake().unwrap(capture.setSessionPrivResponse);
  if (step.kind !== 'ok') return t.fail(JSON.stringify(step));
  t.like(step.value, { netFn: 0x07, cmd: 0x3b, rqSeq: 1, cc: 0 });
  t.deepEqual(step.value.data, Buffer.from([4]));
});

test('Close Session request reproduces capture #21 at sequence 9', (t) => {
  const s = handshake();
  for (let i = 0; i < 6; i++) s.wrap({ netFn: 6, cmd: 1, data: Buffer.alloc(0), rqSeq: 1 }, Buffer.alloc(16));
  const packet = s.wrap(
    { netFn: 0x06, cmd: 0x3c, data: hex('82000000'), rqSeq: 7 },
    ivOf(capture.closeSession),
  );
  t.deepEqual(packet, capture.closeSession);
});

test('response #22 verifies and decodes to Close Session CC 00', (t) => {
  const s = handshake();
  t.is(s.unwrap(capture.setSessionPrivResponse).kind, 'ok');
  const step = s.unwrap(capture.closeSessionResponse);
  if (step.kind !== 'ok') return t.fail(JSON.stringify(step));
  t.like(step.value, { netFn: 0x07, cmd: 0x3c, rqSeq: 7, cc: 0 });
});

const flips: Array<[string, number]> = [
  ['AuthCode', capture.setSessionPrivResponse.length - 1],
  ['ciphertext', 40],
  ['IV', 20],
  ['integrity pad byte', 48],
  ['pad length', 50],
  ['session header sequence', 11],
];
for (const [what, offset] of flips) {
  test(`a flipped bit in the ${what} is dropped`, (t) => {
    const s = handshake();
    const bad = Buffer.from(capture.setSessionPrivResponse);
    bad[offset]! ^= 0x01;
    t.is(s.unwrap(bad).kind, 'drop');
    // The genuine packet still works afterwards: a drop changes no state.
    t.is(s.unwrap(capture.setSessionPrivResponse).kind, 'ok');
  });
}

/** Builds a correctly signed response whose AES plaintext carries the given trailing pad. */
function signedWithPlaintext(plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-cbc', derived.k2.subarray(0, 16), Buffer.alloc(16, 7));
  cipher.setAutoPadding(false);
  const payload = Buffer.concat([Buffer.alloc(16, 7), cipher.update(plain), cipher.final()]);
  return encodeV20({
    payloadType: PAYLOAD.ipmi,
    encrypted: true,
    sessionId: 0xa0a2a3a4,
    seq: 2,
    payload,
    sign: (signed) => integrityAuthCode(INTEGRITY_ALGORITHMS.hmacSha1_96, derived.k1, signed),
  });
}

test('a flipped bit in a confidentiality pad byte is rejected even with a valid AuthCode', (t) => {
  const good = Buffer.concat([derived.setSessionPrivResponsePlain, hex('01 02 03 04 05 06 06')]);
  t.is(handshake().unwrap(signedWithPlaintext(good)).kind, 'ok');
  const bad = Buffer.from(good);
  bad[11]! ^= 0x01;
  const step = handshake().unwrap(signedWithPlaintext(bad));
  t.is(step.kind, 'drop');
  t.regex(step.kind === 'drop' ? step.reason : '', /pad/);
});

test('a wrong password fails at RAKP2 with ERR_IPMI_AUTH', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'wrong' }, {}, { random: replayRandom() });
  s.openSessionRequest();
  s.acceptOpenSessionResponse(capture.openSessionResponse);
  s.rakp1();
  const step = s.acceptRakp2(capture.rakp2);
  t.like(step, { kind: 'fail', code: 'ERR_IPMI_AUTH' });
  t.is(s.phase, 'failed');
});

test('RAKP2 status 0x0D (unauthorized name) fails with ERR_IPMI_AUTH', (t) => {
  const s = new RmcpPlusSession({ username: 'nobody', password: 'x' }, {}, { random: replayRandom() });
  s.openSessionRequest();
  s.acceptOpenSessionResponse(capture.openSessionResponse);
  s.rakp1();
  const reply = hex('0600ff07 06 13 00000000 00000000 0800 | 00 0d 0000 a4a3a2a0');
  t.like(s.acceptRakp2(reply), { kind: 'fail', code: 'ERR_IPMI_AUTH', status: 0x0d });
});

test('Open Session status 0x01 (no free slot) fails with ERR_IPMI_BUSY', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  s.openSessionRequest();
  const reply = hex('0600ff07 06 11 00000000 00000000 0800 | 00 01 00 00 a4a3a2a0');
  t.like(s.acceptOpenSessionResponse(reply), { kind: 'fail', code: 'ERR_IPMI_BUSY' });
});

test('a tampered RAKP4 ICV fails with ERR_IPMI_AUTH', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  s.openSessionRequest();
  s.acceptOpenSessionResponse(capture.openSessionResponse);
  s.rakp1();
  s.acceptRakp2(capture.rakp2);
  const bad = Buffer.from(capture.rakp4);
  bad[bad.length - 1]! ^= 0x80;
  t.like(s.acceptRakp4(bad), { kind: 'fail', code: 'ERR_IPMI_AUTH' });
});

test('an RAKP2 for another console session is dropped, not failed', (t) => {
  const s = new RmcpPlusSession({ username: 'admin', password: 'password' }, {}, { random: replayRandom() });
  s.openSessionRequest();
  s.acceptOpenSessionResponse(capture.openSessionResponse);
  s.rakp1();
  const other = Buffer.from(capture.rakp2);
  other[20]! ^= 0xff;
  t.is(s.acceptRakp2(other).kind, 'drop');
  t.is(s.acceptRakp2(capture.rakp2).kind, 'ok');
});

test('outbound session sequence skips 0 on wrap-around', (t) => {
  const s = handshake();
  // Reach the end of the 32-bit space through the public API is slow; use a fresh session at 0xffffffff.
  const wrapS = new RmcpPlusSession(
    { username: 'admin', password: 'password' },
    { initialSequence: 0xffffffff },
    { random: replayRandom() },
  );
  wrapS.openSessionRequest();
  wrapS.acceptOpenSessionResponse(capture.openSessionResponse);
  wrapS.rakp1();
  wrapS.acceptRakp2(capture.rakp2);
  wrapS.acceptRakp4(capture.rakp4);
  const req = { netFn: 6, cmd: 1, data: Buffer.alloc(0), rqSeq: 1 };
  t.is(wrapS.wrap(req, Buffer.alloc(16)).readUInt32LE(10), 0xffffffff);
  t.is(wrapS.wrap(req, Buffer.alloc(16)).readUInt32LE(10), 1);
  t.is(s.wrap(req, Buffer.alloc(16)).readUInt32LE(10), 3);
});
