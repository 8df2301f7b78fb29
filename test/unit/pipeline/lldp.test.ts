import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLldpTlvs, splitLldpdu } from '../../../src/pipeline/lldp/parse.js';
import {
  localLinkConnection,
  mergeLocalLinkConnection,
} from '../../../src/pipeline/lldp/local-link-connection.js';
import { formatIpv6 } from '../../../src/pipeline/lldp/address.js';
import { ieeeTlvs, ieeeExpected } from '../../fixtures/pipeline/lldp-ieee-tlvs.js';

const lldpdFixture = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/pipeline/lldp-lldpd-veth.json', import.meta.url), 'utf8'),
) as { tlvs: Array<[number, string]> };

test('byte-exact IEEE TLVs parse into every lldp_processed field', (t) => {
  const r = parseLldpTlvs(ieeeTlvs);
  t.deepEqual(r.warnings, []);
  t.deepEqual(r.processed, ieeeExpected);
  t.is(r.chassisIdSubtype, 4);
  t.is(r.portIdSubtype, 5);
});

test('a real lldpd frame (captured on a veth) parses', (t) => {
  const r = parseLldpTlvs(lldpdFixture.tlvs);
  t.deepEqual(r.warnings, []);
  t.like(r.processed, {
    switch_chassis_id: '02:00:00:00:00:0a',
    switch_system_name: 'sw-test-1',
    switch_system_description: 'inspectord lab switch',
    switch_port_description: 'uplink to node-1',
    switch_capabilities_support: ['Bridge', 'WLAN', 'Router', 'Station only'],
    switch_capabilities_enabled: ['Station only'],
    switch_mgmt_addresses: ['198.18.5.1', '2001:db8::1'],
    switch_port_link_aggregation_support: true,
    switch_port_link_aggregation_enabled: false,
    switch_port_link_aggregation_id: 0,
    switch_port_autonegotiation_support: false,
    switch_port_autonegotiation_enabled: false,
    switch_port_physical_capabilities: [],
    switch_port_mau_type: 'Unknown MAU type 54',
  });
  t.regex(r.processed.switch_port_id ?? '', /^sw\d+$/);
  t.deepEqual(localLinkConnection(r), {
    switch_id: '02:00:00:00:00:0a',
    port_id: r.processed.switch_port_id,
    switch_info: 'sw-test-1',
  });
});

test('the first value of a repeated single-valued TLV wins', (t) => {
  const r = parseLldpTlvs([
    [5, Buffer.from('first').toString('hex')],
    [5, Buffer.from('second').toString('hex')],
  ]);
  t.is(r.processed.switch_system_name, 'first');
});

const alternativeIds: Array<[string, [number, string], string, number]> = [
  ['chassis id as network address', [1, '05' + '01' + 'c6120002'], '198.18.0.2', 5],
  ['chassis id as locally assigned', [1, '07' + Buffer.from('SN123').toString('hex')], 'SN123', 7],
  ['port id as MAC', [2, '03' + '0a0b0c0d0e0f'], '0a:0b:0c:0d:0e:0f', 3],
  ['port id as interface alias', [2, '01' + Buffer.from('uplink').toString('hex')], 'uplink', 1],
  ['port id as network address (IPv6)', [2, '04' + '02' + 'fe800000000000000000000000000001'], 'fe80::1', 4],
];
for (const [title, tlv, expected, subtype] of alternativeIds) {
  test(`id subtypes: ${title}`, (t) => {
    const r = parseLldpTlvs([tlv]);
    t.deepEqual(r.warnings, []);
    const value = tlv[0] === 1 ? r.processed.switch_chassis_id : r.processed.switch_port_id;
    t.is(value, expected);
    t.is(tlv[0] === 1 ? r.chassisIdSubtype : r.portIdSubtype, subtype);
  });
}

const malformed: Array<[string, unknown, RegExp]> = [
  ['odd-length hex', [[5, 'abc']], /not a hexadecimal string/],
  ['non-hex', [[5, 'zz']], /not a hexadecimal string/],
  ['not a pair', [[5]], /not a \[type, hex\] pair/],
  ['type not an integer', [['5', '00']], /not a \[type, hex\] pair/],
  ['chassis id too short', [[1, '04']], /Chassis ID/],
  ['chassis MAC wrong length', [[1, '040011']], /MAC address must be 6 bytes/],
  ['chassis reserved subtype', [[1, '0800']], /reserved subtype 8/],
  ['port id reserved subtype', [[2, '0000']], /reserved subtype 0/],
  ['capabilities wrong length', [[7, '0004']], /expected 4 bytes/],
  ['mgmt address bad length byte', [[8, '2001c612000102000000030000']], /invalid address string length/],
  ['mgmt address unknown family', [[8, '0509c61200010200000003000000']], /unsupported address family 9/],
  ['mgmt address too short', [[8, '0501c612']], /too short/],
  ['org specific too short', [[127, '0080']], /too short/],
  ['dot1 PVID wrong length', [[127, '0080c201' + '00']], /Port VLAN ID: expected 2 bytes/],
  ['dot1 VLAN name length mismatch', [[127, '0080c203' + '0064' + '09' + '6162']], /VLAN Name/],
  ['dot1 protocol identity mismatch', [[127, '0080c204' + '05' + '88']], /Protocol Identity/],
  ['dot1 link aggregation wrong length', [[127, '0080c207' + '03']], /expected 5 bytes/],
  ['dot3 MAC/PHY wrong length', [[127, '00120f01' + '03']], /MAC\/PHY.*expected 5 bytes/],
  ['dot3 MTU wrong length', [[127, '00120f04' + '24']], /Maximum Frame Size/],
  ['TTL wrong length', [[3, '00']], /Time To Live/],
  ['not a list at all', { a: 1 }, /not a list/],
];
for (const [title, tlvs, re] of malformed) {
  test(`malformed TLV is skipped with a warning: ${title}`, (t) => {
    const r = parseLldpTlvs(tlvs);
    t.is(r.warnings.length, 1);
    t.regex(r.warnings[0] ?? '', re);
  });
}

test('a malformed TLV does not stop the next ones', (t) => {
  const r = parseLldpTlvs([
    [1, '04'],
    [5, Buffer.from('ok').toString('hex')],
  ]);
  t.is(r.processed.switch_system_name, 'ok');
  t.is(r.warnings.length, 1);
});

test('unknown TLV types and OUIs are ignored without warnings', (t) => {
  const r = parseLldpTlvs([
    [9, '00'],
    [127, '0012bb' + '01' + '0000'],
    [127, '0080c2' + '05' + '00'],
  ]);
  t.deepEqual(r, { processed: {}, warnings: [] });
});

test('invalid UTF-8 text is decoded as Latin-1 with a warning', (t) => {
  const r = parseLldpTlvs([[5, 'e9']]);
  t.is(r.processed.switch_system_name, 'é');
  t.is(r.warnings.length, 1);
});

test('splitLldpdu turns an LLDPDU into [type, hex] TLVs and stops at End', (t) => {
  // §8.4: 7-bit type + 9-bit length header. Chassis ID (1, len 7), TTL (3, len 2), End, junk.
  const pdu = Buffer.from('0207' + '04001122aabbcc' + '0602' + '0078' + '0000' + 'ffff', 'hex');
  t.deepEqual(splitLldpdu(pdu), {
    tlvs: [
      [1, '04001122aabbcc'],
      [3, '0078'],
    ],
    warnings: [],
  });
});

test('splitLldpdu reports a truncated TLV', (t) => {
  const r = splitLldpdu(Buffer.from('0209' + '0400', 'hex'));
  t.deepEqual(r.tlvs, []);
  t.is(r.warnings.length, 1);
});

test('IPv6 addresses render in RFC 5952 form', (t) => {
  const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
  t.is(formatIpv6(hex('20010db8000000000000000000000001')), '2001:db8::1');
  t.is(formatIpv6(hex('00000000000000000000000000000000')), '::');
  t.is(formatIpv6(hex('20010db8000000010000000000000001')), '2001:db8:0:1::1');
  t.is(formatIpv6(hex('20010db8000100010001000100010001')), '2001:db8:1:1:1:1:1:1');
});

const llcRows: Array<
  [string, Parameters<typeof localLinkConnection>[0], ReturnType<typeof localLinkConnection>]
> = [
  [
    'MAC chassis and ifName port',
    {
      processed: { switch_chassis_id: '00:11:22:aa:bb:cc', switch_port_id: 'Eth1' },
      chassisIdSubtype: 4,
      portIdSubtype: 5,
    },
    { switch_id: '00:11:22:aa:bb:cc', port_id: 'Eth1' },
  ],
  [
    'non-MAC chassis gives no switch_id',
    {
      processed: { switch_chassis_id: 'SN123', switch_port_id: 'Eth1' },
      chassisIdSubtype: 7,
      portIdSubtype: 7,
    },
    { port_id: 'Eth1' },
  ],
  [
    'MAC-looking locally assigned chassis id is not a MAC',
    { processed: { switch_chassis_id: '00:11:22:aa:bb:cc' }, chassisIdSubtype: 7 },
    {},
  ],
  ['interface-alias port id is not used', { processed: { switch_port_id: 'uplink' }, portIdSubtype: 1 }, {}],
  [
    'stored lldp_processed without subtypes: MAC-shaped chassis id',
    {
      processed: { switch_chassis_id: '00:11:22:aa:bb:cc', switch_port_id: 'Eth1', switch_system_name: 'sw' },
    },
    { switch_id: '00:11:22:aa:bb:cc', port_id: 'Eth1', switch_info: 'sw' },
  ],
];
for (const [title, input, expected] of llcRows) {
  test(`localLinkConnection: ${title}`, (t) => {
    t.deepEqual(localLinkConnection(input), expected);
  });
}

test('mergeLocalLinkConnection respects overwrite_existing', (t) => {
  const existing = { switch_id: 'aa:aa:aa:aa:aa:aa' };
  const found = { switch_id: 'bb:bb:bb:bb:bb:bb', port_id: 'Eth1' };
  t.deepEqual(mergeLocalLinkConnection(existing, found, false), {
    switch_id: 'aa:aa:aa:aa:aa:aa',
    port_id: 'Eth1',
  });
  t.deepEqual(mergeLocalLinkConnection(existing, found, true), found);
  t.is(mergeLocalLinkConnection(found, found, true), null);
});
