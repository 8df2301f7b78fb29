import test from 'ava';
import {
  chassisControl,
  closeSession,
  decodeBootFlags,
  encodeBootFlags,
  getChassisStatus,
  getDeviceId,
  getSystemBootOptions,
  getUserAccess,
  getUserName,
  setSessionPrivilege,
  setSystemBootOptions,
  setUserAccess,
  setUserName,
  setUserPassword,
  type CommandSpec,
} from '../../../src/ipmi/commands.js';
import { decodeLanResponse, encodeLanRequest, type LanResponse } from '../../../src/ipmi/rmcp.js';
import { hex, plaintexts } from '../../fixtures/ipmi/capture.js';

const frame = <T>(spec: CommandSpec<T>, rqSeq: number) =>
  encodeLanRequest({ netFn: spec.netFn, cmd: spec.cmd, data: spec.data, rqSeq });

// Captured plaintexts of dependencies.md §4.3, with the rqSeq ipmitool used.
const encoders: Array<[string, CommandSpec<unknown>, number, Buffer]> = [
  ['Get Device ID', getDeviceId(), 3, plaintexts.getDeviceId],
  ['Get Chassis Status', getChassisStatus(), 6, plaintexts.getChassisStatus],
  ['Chassis Control on', chassisControl('on'), 6, plaintexts.chassisOn],
  ['Chassis Control off', chassisControl('off'), 6, plaintexts.chassisOff],
  ['Chassis Control cycle', chassisControl('cycle'), 6, plaintexts.chassisCycle],
  ['Chassis Control reset', chassisControl('reset'), 6, plaintexts.chassisReset],
  ['Set User Name uid 3 "ironic"', setUserName(3, 'ironic'), 6, plaintexts.setUserNameIronic],
  ['Get User Name uid 3', getUserName(3), 7, plaintexts.getUserName3],
  ['Set Session Privilege admin', setSessionPrivilege(4), 1, plaintexts.setSessionPriv],
  ['Close Session 0x82', closeSession(0x82), 7, plaintexts.closeSession],
];
for (const [what, spec, rqSeq, expected] of encoders) {
  test(`encoder matches capture: ${what}`, (t) => t.deepEqual(frame(spec, rqSeq), expected));
}

const dataCases: Array<[string, CommandSpec<unknown>, string]> = [
  [
    'Set User Password set "S3cretPw" 16-byte form',
    setUserPassword(3, 'set', 'S3cretPw', 16),
    '030253336372657450770000000000000000',
  ],
  ['Set User Password enable', setUserPassword(3, 'enable'), '030100000000000000000000000000000000'],
  [
    'Set User Password set, 20-byte form',
    setUserPassword(3, 'set', 'x', 20),
    '83027800000000000000000000000000000000000000',
  ],
  [
    'Set User Access link+IPMI+admin on channel 1',
    setUserAccess({ channel: 1, uid: 3, privilege: 4, linkAuth: true, ipmiMessaging: true }),
    'b1030400',
  ],
  ['Get User Access channel 1 uid 3', getUserAccess(1, 3), '0103'],
  [
    'boot flags PXE next boot legacy',
    setSystemBootOptions(5, encodeBootFlags('pxe', { persistent: false, efi: false })),
    '058004000000',
  ],
  [
    'boot flags PXE next boot EFI',
    setSystemBootOptions(5, encodeBootFlags('pxe', { persistent: false, efi: true })),
    '05a004000000',
  ],
  [
    'boot flags disk persistent EFI',
    setSystemBootOptions(5, encodeBootFlags('disk', { persistent: true, efi: true })),
    '05e008000000',
  ],
  ['boot set-in-progress', setSystemBootOptions(0, hex('01')), '0001'],
  ['Get System Boot Options param 5', getSystemBootOptions(5), '050000'],
];
for (const [what, spec, data] of dataCases) {
  test(`request data: ${what}`, (t) => t.is(spec.data.toString('hex'), data));
}

function response(bytes: Buffer): LanResponse {
  const r = decodeLanResponse(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

test('Get Device ID decodes the ipmi_sim response', (t) => {
  t.like(getDeviceId().decode(response(plaintexts.getDeviceIdResponse)), {
    ok: true,
    value: {
      deviceRevision: 3,
      firmwareMajor: 9,
      firmwareMinor: 8,
      ipmiVersion: '2.0',
      manufacturerId: 0x1291,
      productId: 0x0f02,
    },
  });
});

test('Get Chassis Status decodes power off', (t) => {
  t.like(getChassisStatus().decode(response(plaintexts.getChassisStatusResponseOff)), {
    ok: true,
    value: { powerOn: false },
  });
});

test('Get System Boot Options decodes parameter 5 with PXE', (t) => {
  const r = getSystemBootOptions(5).decode({ cc: 0, data: hex('01 05 0004000000') } as LanResponse);
  if (!r.ok) return t.fail(r.reason);
  t.like(decodeBootFlags(r.value.data), {
    ok: true,
    value: { device: 'pxe', valid: false, persistent: false },
  });
});

test('Get User Access decodes the ipmi_sim example', (t) => {
  t.like(getUserAccess(1, 3).decode({ cc: 0, data: hex('3f 02 00 34') } as LanResponse), {
    ok: true,
    value: { maxUsers: 63, enabledUsers: 2, linkAuth: true, ipmiMessaging: true, privilege: 4 },
  });
});

test('Get User Name strips zero padding; an FF-filled slot reads as empty', (t) => {
  t.deepEqual(
    getUserName(3).decode({ cc: 0, data: hex('69726f6e696300000000000000000000') } as LanResponse),
    { ok: true, value: 'ironic' },
  );
  t.deepEqual(getUserName(3).decode({ cc: 0, data: Buffer.alloc(16, 0xff) } as LanResponse), {
    ok: true,
    value: '',
  });
});

test('a user name over 16 bytes and a uid out of range are refused by the encoder', (t) => {
  t.throws(() => setUserName(3, 'x'.repeat(17)));
  t.throws(() => getUserName(0));
  t.throws(() => setUserPassword(64, 'enable'));
});

const truncated: Array<[string, CommandSpec<unknown>]> = [
  ['Get Device ID', getDeviceId()],
  ['Get Chassis Status', getChassisStatus()],
  ['Get System Boot Options', getSystemBootOptions(5)],
  ['Get User Name', getUserName(2)],
  ['Get User Access', getUserAccess(1, 2)],
  ['Set Session Privilege', setSessionPrivilege(4)],
];
for (const [what, spec] of truncated) {
  test(`${what} decoder returns an error value for an empty response`, (t) => {
    t.false(spec.decode({ cc: 0, data: Buffer.alloc(0) } as LanResponse).ok);
  });
}
