// Fuzz target: RMCP/RMCP+ and IPMI 1.5 response parsing (src/ipmi/rmcp.ts, session.ts, crypto.ts,
// ipmi15-session.ts, commands.ts decoders). Besides raw mutations of the captured ipmitool ↔
// ipmi_sim exchange, inputs are re-framed so they pass the outer checks and reach the inner
// parsers: valid RMCP+ headers around mutated payloads, valid LAN checksums around mutated
// messages, and — with the session keys of the capture — correctly signed and encrypted garbage.
import test from 'ava';
import { createCipheriv, randomBytes } from 'node:crypto';
import * as commands from '../../../src/ipmi/commands.js';
import { integrityAuthCode, CIPHER_SUITES } from '../../../src/ipmi/crypto.js';
import { Ipmi15Session } from '../../../src/ipmi/ipmi15-session.js';
import {
  AUTH_TYPE,
  PAYLOAD,
  checksum,
  decodeAsfPong,
  decodeLanRequest,
  decodeLanResponse,
  decodeRmcp,
  encodeV15,
  encodeV20,
  splitIntegrityTrailer,
  type LanResponse,
} from '../../../src/ipmi/rmcp.js';
import { RmcpPlusSession } from '../../../src/ipmi/session.js';
import { capture, plaintexts } from '../../fixtures/ipmi/capture.js';
import {
  check,
  fixedLengthLayout,
  fuzzBudget,
  fuzzLoop,
  mutateBytes,
  randomBuffer,
  type Rng,
} from '../../helpers/fuzz.js';

// At least 2,000 inputs: about 2 % of them are validly re-signed, and a test asserts some were.
const budget = () => fuzzBudget({ seconds: 3, iterations: 30_000, minIterations: 2_000 });
const datagrams = Object.values(capture);
const messages = Object.values(plaintexts);
/** RMCP+ payload length (bytes 14–15) and IPMI 1.5 message length (byte 13) are the length fields. */
const rmcpLayout = fixedLengthLayout([13, 14, 15, 29]);
const credentials = { username: 'admin', password: 'password' };
const suite3 = CIPHER_SUITES[3]!;

/** The captured session brought to `active` (replayed console randoms, dependencies.md §4.4). */
function activeSession(): RmcpPlusSession {
  const fixed = [Buffer.from('c6391d2779f34af0896f9025919930a5', 'hex')];
  const s = new RmcpPlusSession(
    credentials,
    {},
    {
      random: (n) => (n === 4 ? Buffer.from('a4a3a2a0', 'hex') : (fixed.shift() ?? randomBytes(n))),
    },
  );
  s.openSessionRequest();
  s.acceptOpenSessionResponse(capture.openSessionResponse);
  s.rakp1();
  s.acceptRakp2(capture.rakp2);
  s.acceptRakp4(capture.rakp4);
  return s;
}

/** Rewrite both LAN checksums (IPMI v2.0 §13.8) so a mutated message passes them. */
function fixChecksums(msg: Buffer): Buffer {
  if (msg.length >= 3) msg[2] = checksum(msg, 0, 2);
  if (msg.length >= 5) msg[msg.length - 1] = checksum(msg, 3, msg.length - 1);
  return msg;
}

function lanMessage(rng: Rng): Buffer {
  const m = rng.chance(0.2) ? randomBuffer(rng, 40) : mutateBytes(rng, rng.pick(messages), messages);
  return rng.chance(0.8) ? fixChecksums(m) : m;
}

/** Encrypt an arbitrary plaintext (any pad, any length multiple of 16) under K2 like a BMC would. */
function encryptRaw(k2: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
}

/** A correctly signed, correctly encrypted RMCP+ packet carrying a mutated LAN message and pad. */
function signedGarbage(rng: Rng, s: RmcpPlusSession): Buffer {
  const { k1, k2 } = s.keys();
  const msg = lanMessage(rng);
  let plain: Buffer;
  if (rng.chance(0.6)) {
    // Proper confidentiality pad (IPMI v2.0 §13.29): 01 02 … n | n.
    const pad = (16 - ((msg.length + 1) % 16)) % 16;
    plain = Buffer.concat([
      msg,
      Buffer.from(Array.from({ length: pad }, (_, i) => i + 1)),
      Buffer.from([pad]),
    ]);
  } else {
    const n = 16 * (1 + rng.int(3));
    plain = Buffer.concat([msg, rng.bytes(n)]).subarray(0, n);
  }
  const payload = rng.chance(0.9) ? encryptRaw(k2!, plain) : rng.bytes(rng.int(64));
  return encodeV20({
    payloadType: rng.chance(0.9) ? PAYLOAD.ipmi : rng.int(64),
    encrypted: rng.chance(0.95),
    sessionId: rng.chance(0.9) ? s.consoleSessionId : rng.next(),
    seq: rng.chance(0.9) ? 1 + rng.int(40) : rng.next(),
    payload,
    sign: (signed) => integrityAuthCode(suite3.integrity, k1!, signed),
  });
}

/** A pre-session RMCP+ packet (open session response, RAKP 2/4) with a mutated payload. */
function preSession(rng: Rng): Buffer {
  const source = rng.pick([capture.openSessionResponse, capture.rakp2, capture.rakp4]);
  const d = decodeRmcp(source);
  if (!d.ok || d.value.kind !== 'v20') throw new Error('capture does not decode');
  return encodeV20({
    payloadType: rng.chance(0.9) ? d.value.packet.payloadType : rng.int(64),
    sessionId: 0,
    seq: 0,
    payload: mutateBytes(rng, d.value.packet.payload),
  });
}

function datagram(rng: Rng, active: RmcpPlusSession): Buffer {
  switch (rng.int(5)) {
    case 0:
      return randomBuffer(rng, 120);
    case 1:
      return mutateBytes(rng, rng.pick(datagrams), datagrams, rmcpLayout);
    case 2:
      return preSession(rng);
    case 3:
      return signedGarbage(rng, active);
    default:
      // IPMI 1.5 framing around a mutated message (auth type none or MD5 with a random code).
      return encodeV15({
        authType: rng.pick([AUTH_TYPE.none, AUTH_TYPE.md5, AUTH_TYPE.md2, AUTH_TYPE.straight]),
        seq: rng.next(),
        sessionId: rng.pick([0, 0x02000000, rng.next()]),
        authCode: rng.bytes(16),
        message: lanMessage(rng),
      });
  }
}

const decoders = [
  commands.getChannelAuthCapabilities(),
  commands.getDeviceId(),
  commands.getChassisStatus(),
  commands.getSystemBootOptions(5),
  commands.getUserName(2),
  commands.getUserAccess(1, 2),
  commands.setSessionPrivilege(4),
];

test.serial(
  'RMCP, RMCP+ and IPMI 1.5 parsing never throws on random, mutated or re-signed datagrams',
  async (t) => {
    const active = activeSession();
    t.is(active.phase, 'active');
    let verified = 0;
    const stats = await fuzzLoop(t, 'ipmi.response', budget(), (rng) => {
      const input = datagram(rng, active);
      const outer = decodeRmcp(input);
      decodeAsfPong(input);
      if (outer.ok && outer.value.kind === 'v20') {
        splitIntegrityTrailer(input, outer.value.packet.payloadEnd, 12);
      }
      // Every pre-session step of a fresh engine, in order, on the same bytes.
      const fresh = new RmcpPlusSession(credentials, {}, { random: randomBytes });
      fresh.acceptAuthCapabilities(input);
      fresh.openSessionRequest();
      fresh.acceptOpenSessionResponse(input);
      fresh.acceptRakp2(input);
      fresh.acceptRakp4(input);
      // The live session: integrity check, sequence window, decryption, LAN decode.
      const unwrapped = active.unwrap(input);
      if (unwrapped.kind === 'ok') {
        verified += 1;
        for (const d of decoders) d.decode(unwrapped.value);
      }
      const v15 = new Ipmi15Session(credentials, {}, { random: randomBytes });
      v15.challengeRequest();
      v15.acceptChallenge(input);
      v15.acceptActivate(input);
      v15.unwrap(input);
      commands.decodeBootFlags(input);
      // Our next request still encodes after whatever came in.
      const req = decodeRmcp(active.wrap({ netFn: 6, cmd: 1, data: Buffer.alloc(0), rqSeq: 1 }));
      check(req.ok && req.value.kind === 'v20', 'our own wrapped request decodes');
      return outer.ok && unwrapped.kind === 'ok' ? 'accepted' : 'rejected';
    });
    t.log(
      `ipmi.response: ${verified} signed packets got through integrity + decryption into the command decoders`,
    );
    t.true(stats.rejected > 0);
    t.true(verified > 0, 'the re-signed inputs reached the LAN decoder');
  },
);

test.serial('LAN message and command decoders never throw on checksum-valid garbage', async (t) => {
  const stats = await fuzzLoop(t, 'ipmi.lan-message', budget(), (rng) => {
    const msg = lanMessage(rng);
    decodeLanRequest(msg);
    const r = decodeLanResponse(msg);
    const response: LanResponse = r.ok
      ? r.value
      : {
          rqAddr: 0x81,
          netFn: 7,
          rqLun: 0,
          rsAddr: 0x20,
          rqSeq: 0,
          rsLun: 0,
          cmd: 0,
          cc: msg[0] ?? 0,
          data: msg.subarray(1),
        };
    for (const d of decoders) {
      const out = d.decode(response);
      check(out.ok || out.reason.length > 0, 'a decoder rejection has a reason');
    }
    return r.ok ? 'accepted' : 'rejected';
  });
  t.true(stats.accepted > 0);
});
