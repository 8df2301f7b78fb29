import test from 'ava';
import {
  checksum,
  decodeAsfPong,
  decodeLanRequest,
  decodeLanResponse,
  decodeRmcp,
  encodeAsfPing,
  encodeLanRequest,
  encodeV15,
  splitIntegrityTrailer,
} from '../../../src/ipmi/rmcp.js';
import { capture, derived, hex, plaintexts } from '../../fixtures/ipmi/capture.js';

const checksums: Array<[string, string, number]> = [
  ['chk1 of rsAddr 20, netFn/LUN 18', '2018', 0xc8],
  ['chk2 of Set Session Privilege', '81043b04', 0x3c],
  ['chk1 of a response header', '811c', 0x63],
  ['an empty range', '', 0x00],
  ['bytes summing to 0x100', 'ff01', 0x00],
];
for (const [what, bytes, expected] of checksums) {
  test(`checksum: ${what}`, (t) => t.is(checksum(hex(bytes)), expected));
}

test('LAN request encoder reproduces the Set Session Privilege plaintext of #9', (t) => {
  t.deepEqual(
    encodeLanRequest({ netFn: 0x06, cmd: 0x3b, data: Buffer.from([4]), rqSeq: 1 }),
    derived.setSessionPrivPlain,
  );
});

test('LAN response decoder reads #10 plaintext: CC 00, data 04', (t) => {
  const r = decodeLanResponse(derived.setSessionPrivResponsePlain);
  t.deepEqual(r, {
    ok: true,
    value: {
      rqAddr: 0x81,
      netFn: 0x07,
      rqLun: 0,
      rsAddr: 0x20,
      rqSeq: 1,
      rsLun: 0,
      cmd: 0x3b,
      cc: 0,
      data: hex('04'),
    },
  });
});

const badResponses: Array<[string, string]> = [
  ['too short', '811c6320043b'],
  ['bad header checksum', '811c6420043b00049d'],
  ['bad data checksum', '811c6320043b00049e'],
];
for (const [what, bytes] of badResponses) {
  test(`LAN response decoder rejects a message with ${what}`, (t) =>
    t.false(decodeLanResponse(hex(bytes)).ok));
}

test('LAN request decoder round-trips the encoder', (t) => {
  const r = decodeLanRequest(plaintexts.setUserNameIronic);
  if (!r.ok) return t.fail(r.reason);
  t.is(r.value.cmd, 0x45);
  t.is(r.value.rqSeq, 6);
  t.deepEqual(encodeLanRequest(r.value), plaintexts.setUserNameIronic);
});

test('IPMI 1.5 encoder reproduces the pre-session auth caps request #1', (t) => {
  t.deepEqual(
    encodeV15({ authType: 0, seq: 0, sessionId: 0, message: hex('20 18 c8 81 00 38 8e 04 b5') }),
    capture.authCapsRequest,
  );
});

test('IPMI 1.5 encoder places a 16-byte AuthCode (Activate Session of §4.6)', (t) => {
  const packet = encodeV15({
    authType: 2,
    seq: 0,
    sessionId: 5,
    authCode: hex('5509664d1b0ff0be5eb17e4ae1027351'),
    message: hex('2018c8810c3a 02 04 d3e7247d032b170a3f2e8e957b307b23 fb4ffda6 c3'),
  });
  t.deepEqual(
    packet,
    hex(
      '0600ff07 02 00000000 05000000 5509664d1b0ff0be5eb17e4ae1027351 1d 2018c8810c3a 02 04 d3e7247d032b170a3f2e8e957b307b23 fb4ffda6 c3',
    ),
  );
});

test('decodeRmcp routes v1.5, v2.0 and ASF datagrams', (t) => {
  t.like(decodeRmcp(capture.authCapsResponse), { ok: true, value: { kind: 'v15' } });
  t.like(decodeRmcp(capture.rakp2), { ok: true, value: { kind: 'v20', packet: { payloadType: 0x13 } } });
  const pong = hex('0600ff06 000011be 40 00 00 10 000011be 00000000 81 00 000000000000');
  t.like(decodeRmcp(pong), { ok: true, value: { kind: 'asf', messageType: 0x40 } });
});

test('ASF ping matches the §4.6 capture and its pong says IPMI is supported', (t) => {
  t.deepEqual(encodeAsfPing(0), hex('0600ff06 000011be 80 00 00 00'));
  t.deepEqual(decodeAsfPong(hex('0600ff06 000011be 40 00 00 10 000011be 00000000 81 00 000000000000')), {
    ok: true,
    value: { tag: 0, ipmi: true },
  });
});

test('integrity trailer of #10 splits into 48 signed bytes and a 12-byte AuthCode', (t) => {
  const r = splitIntegrityTrailer(capture.setSessionPrivResponse, 48, 12);
  if (!r.ok) return t.fail(r.reason);
  t.is(r.value.signed.length, 48);
  t.deepEqual(r.value.authCode, hex('c51921996e97a096360198b3'));
});

const badTrailers: Array<[string, (b: Buffer) => void]> = [
  ['a pad byte that is not FF', (b) => (b[48] = 0xfe)],
  ['a wrong pad length', (b) => (b[50] = 0x01)],
  ['a next header other than 07', (b) => (b[51] = 0x06)],
];
for (const [what, mutate] of badTrailers) {
  test(`integrity trailer with ${what} is rejected`, (t) => {
    const b = Buffer.from(capture.setSessionPrivResponse);
    mutate(b);
    t.false(splitIntegrityTrailer(b, 48, 12).ok);
  });
}
