import test from 'ava';
import { Ipmi15Session, md5AuthCode } from '../../../src/ipmi/ipmi15-session.js';
import { hex } from '../../fixtures/ipmi/capture.js';

// Capture lan15md5.pcap (ipmitool -I lan -A MD5, admin/password), dependencies.md §4.6.
const v15 = {
  challengeRequest: hex(
    '0600ff07 00 00000000 00000000 18 2018c881 08 39 02 61646d696e0000000000000000000000 33',
  ),
  challengeResponse: hex(
    '0600ff07 00 00000000 00000000 1c 811c6320 08 39 00 05000000 d3e7247d032b170a3f2e8e957b307b23 17',
  ),
  activate: hex(
    '0600ff07 02 00000000 05000000 5509664d1b0ff0be5eb17e4ae1027351 1d 2018c8810c3a 02 04 d3e7247d032b170a3f2e8e957b307b23 fb4ffda6 c3',
  ),
  activateResponse: hex(
    '0600ff07 02 fb4ffda6 05000000 d8f8f11dc95922e6c5d66354a0d7a77f 12 811c63200c3a 00 02 02080000 bcc60942 04 bd',
  ),
  setPriv: hex('0600ff07 02 bcc60942 02080000 99b27275b0cb3e7831c34c03d7a0446c 08 2018c881103b0430'),
};
const pass16 = Buffer.concat([Buffer.from('password'), Buffer.alloc(8)]);

function session(): Ipmi15Session {
  return new Ipmi15Session(
    { username: 'admin', password: 'password' },
    {},
    { random: () => hex('fb4ffda6') },
  );
}

test('MD5 AuthCode of the captured Activate Session', (t) => {
  const message = v15.activate.subarray(30);
  t.deepEqual(md5AuthCode(pass16, 5, message, 0), hex('5509664d1b0ff0be5eb17e4ae1027351'));
});

test('the 1.5 handshake reproduces the capture: challenge, Activate Session, first signed request', (t) => {
  const s = session();
  t.deepEqual(s.challengeRequest(2), v15.challengeRequest);
  t.is(s.acceptChallenge(v15.challengeResponse).kind, 'ok');
  t.deepEqual(s.activateRequest(3), v15.activate);
  t.is(s.acceptActivate(v15.activateResponse).kind, 'ok');
  t.is(s.bmcSessionId, 0x802);
  t.deepEqual(s.wrap({ netFn: 0x06, cmd: 0x3b, data: Buffer.from([4]), rqSeq: 4 }), v15.setPriv);
});

test('an Activate Session response with a flipped AuthCode bit is dropped', (t) => {
  const s = session();
  s.challengeRequest();
  s.acceptChallenge(v15.challengeResponse);
  s.activateRequest();
  const bad = Buffer.from(v15.activateResponse);
  bad[20]! ^= 1;
  t.is(s.acceptActivate(bad).kind, 'drop');
  t.is(s.phase, 'opening');
});

test('an unknown user (challenge CC 81h) fails with ERR_IPMI_AUTH', (t) => {
  const s = session();
  s.challengeRequest();
  t.like(s.acceptChallenge(hex('0600ff07 00 00000000 00000000 08 811c6320083981 1e'.replace(/ /g, ''))), {
    kind: 'fail',
    code: 'ERR_IPMI_AUTH',
  });
});
