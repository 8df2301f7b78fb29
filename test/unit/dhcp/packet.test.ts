import test, { type ExecutionContext } from 'ava';
import {
  MessageType,
  Opt,
  decode,
  encode,
  encodeRequest,
  getClientArch,
  getClientId,
  getClientNdi,
  getClientUuid,
  getIpxeOptions,
  getMaxMessageSize,
  getMessageType,
  getParameterList,
  getRelayAgentInfo,
  getRequestedAddress,
  getServerId,
  getUserClasses,
  getVendorClass,
  macOf,
  optIp,
  type DhcpPacket,
} from '../../../src/dhcp/packet.js';
import { fixtureNames, loadHex } from './fixtures.js';

const chaddr = Buffer.from('020000000c01', 'hex');

/** A DISCOVER built by hand, with raw option bytes appended after the cookie. */
function rawRequest(optionBytes: number[]): Buffer {
  const head = encodeRequest({ htype: 1, hlen: 6, xid: 0x1234, flags: 0, chaddr, options: [] });
  const header = head.subarray(0, 240);
  return Buffer.concat([header, Buffer.from(optionBytes)]);
}

function mustDecode(buf: Buffer): DhcpPacket {
  const r = decode(buf);
  if (!r.ok) throw new Error(r.error);
  return r.packet;
}

test('decodes every captured client packet with message type and MAC', (t) => {
  for (const name of fixtureNames()) {
    const p = mustDecode(loadHex(name));
    t.truthy(getMessageType(p), name);
    t.regex(macOf(p), /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, name);
  }
});

const fixtureCases: Array<[string, (t: ExecutionContext, p: DhcpPacket) => void]> = [
  ['udhcpc-discover', (t, p) => t.is(getVendorClass(p), 'udhcp 1.35.0')],
  ['udhcpc-uefi-discover', (t, p) => t.deepEqual(getClientArch(p), [7])],
  ['udhcpc-uefi-discover', (t, p) => t.is(getVendorClass(p), 'PXEClient:Arch:00007:UNDI:003016')],
  ['udhcpc-ipxe-discover', (t, p) => t.deepEqual(getUserClasses(p), ['iPXE'])],
  ['udhcpc-request', (t, p) => t.is(getServerId(p), '198.18.0.1')],
  ['udhcpc-request', (t, p) => t.is(getRequestedAddress(p), '198.18.0.100')],
  ['dhclient-request', (t, p) => t.is(getMessageType(p), MessageType.REQUEST)],
  ['perfdhcp-discover', (t, p) => t.is(p.giaddr, '198.19.0.2')],
  ['perfdhcp-request', (t, p) => t.is(getMessageType(p), MessageType.REQUEST)],
  ['server-ipxe-offer', (t, p) => t.is(p.file, 'http://198.18.0.1:8080/boot/ipxe/02:00:00:00:c0:01.ipxe')],
  ['server-ipxe-offer', (t, p) => t.deepEqual([...(getIpxeOptions(p)?.sub?.get(176) ?? [])], [1])],
];
for (const [name, check] of fixtureCases) {
  test(`fixture ${name}: ${check.toString().replace(/\s+/g, ' ').slice(9, 80)}`, (t) =>
    check(t, mustDecode(loadHex(name))));
}

const errorCases: Array<[string, Buffer, RegExp]> = [
  ['empty datagram', Buffer.alloc(0), /too short/],
  ['239 bytes', Buffer.alloc(239), /too short/],
  ['bad op', Buffer.concat([Buffer.from([3]), loadHex('udhcpc-discover').subarray(1)]), /bad op/],
  ['no magic cookie', Buffer.alloc(300, 1).fill(1, 0, 1).fill(6, 2, 3), /cookie/],
  ['option overruns packet', rawRequest([53, 1, 1, 61, 20, 1, 2]), /overruns/],
  ['option without length byte', rawRequest([53, 1, 1, 12]), /no length/],
];
for (const [title, buf, pattern] of errorCases) {
  test(`decode error is a value: ${title}`, (t) => {
    const r = decode(buf);
    t.false(r.ok);
    if (!r.ok) t.regex(r.error, pattern);
  });
}

test('hlen above 16 is rejected', (t) => {
  const buf = loadHex('udhcpc-discover');
  buf[2] = 17;
  t.false(decode(buf).ok);
});

test('T6: a PAD byte before the options does not shift parsing', (t) => {
  const p = mustDecode(rawRequest([0, 53, 1, 1, 0, 0, 50, 4, 198, 18, 0, 105, 255]));
  t.is(getMessageType(p), MessageType.DISCOVER);
  t.is(getRequestedAddress(p), '198.18.0.105');
});

test('T7: client identifier with NUL bytes is kept whole (7 bytes)', (t) => {
  const p = mustDecode(rawRequest([53, 1, 1, 61, 7, 0x01, 0x02, 0, 0, 0, 0xd0, 0x06, 255]));
  t.deepEqual(getClientId(p), Buffer.from('01020000 00d006'.replace(' ', ''), 'hex'));
});

test('T8: unknown option 150 is kept raw', (t) => {
  const p = mustDecode(rawRequest([53, 1, 1, 150, 3, 9, 8, 7, 255]));
  t.deepEqual(p.options.get(150), Buffer.from([9, 8, 7]));
});

test('missing END option is tolerated', (t) => {
  t.is(getMessageType(mustDecode(rawRequest([53, 1, 3]))), MessageType.REQUEST);
});

test('repeated option instances are concatenated (RFC 3396)', (t) => {
  const p = mustDecode(rawRequest([53, 1, 1, 55, 2, 1, 3, 55, 2, 6, 67, 255]));
  t.deepEqual(getParameterList(p), [1, 3, 6, 67]);
});

test('option overload 52 = 3 reads options from file then sname', (t) => {
  const buf = rawRequest([53, 1, 1, 52, 1, 3, 255]);
  Buffer.from([12, 3, 0x61, 0x62, 0x63, 255]).copy(buf, 108); // file: hostname "abc"
  Buffer.from([60, 2, 0x78, 0x79, 255]).copy(buf, 44); // sname: vendor class "xy"
  const p = mustDecode(buf);
  t.is(p.options.get(Opt.HOSTNAME)?.toString(), 'abc');
  t.is(getVendorClass(p), 'xy');
  t.is(p.file, '');
  t.is(p.sname, '');
});

test('truncated option inside an overloaded file field is a decode error', (t) => {
  const buf = rawRequest([53, 1, 1, 52, 1, 1, 255]);
  buf[108] = 12;
  buf[109] = 200;
  t.false(decode(buf).ok);
});

test('option 77 in RFC 3004 length-prefixed form yields each class', (t) => {
  const p = mustDecode(rawRequest([53, 1, 1, 77, 9, 4, 0x69, 0x50, 0x58, 0x45, 3, 0x61, 0x62, 0x63, 255]));
  t.deepEqual(getUserClasses(p), ['iPXE', 'abc']);
});

test('option 82 sub-options are parsed', (t) => {
  const p = mustDecode(rawRequest([53, 1, 1, 82, 8, 1, 2, 0xaa, 0xbb, 2, 2, 0xcc, 0xdd, 255]));
  const info = getRelayAgentInfo(p);
  t.deepEqual(info?.get(1), Buffer.from([0xaa, 0xbb]));
  t.deepEqual(info?.get(2), Buffer.from([0xcc, 0xdd]));
});

test('option 93 with several architectures is a uint16 list', (t) => {
  t.deepEqual(getClientArch(mustDecode(rawRequest([53, 1, 1, 93, 4, 0, 7, 0, 11, 255]))), [7, 11]);
});

test('option 94 and 97 are typed', (t) => {
  const uuid = Array.from({ length: 16 }, (_, i) => i);
  const p = mustDecode(rawRequest([53, 1, 1, 94, 3, 1, 3, 16, 97, 17, 0, ...uuid, 255]));
  t.deepEqual(getClientNdi(p), { type: 1, major: 3, minor: 16 });
  t.deepEqual(getClientUuid(p)?.uuid, Buffer.from(uuid));
});

test('option 57 below 576 is ignored', (t) => {
  t.is(getMaxMessageSize(mustDecode(rawRequest([53, 1, 1, 57, 2, 1, 0, 255]))), undefined);
  t.is(getMaxMessageSize(mustDecode(rawRequest([53, 1, 1, 57, 2, 2, 64, 255]))), 576);
});

test('encoded replies are padded to at least 300 bytes', (t) => {
  const { buffer } = encode({
    htype: 1,
    hlen: 6,
    xid: 1,
    flags: 0,
    chaddr,
    options: [[53, Buffer.from([2])]],
  });
  t.is(buffer.length, 300);
  t.is(getMessageType(mustDecode(buffer)), MessageType.OFFER);
});

test('encoder puts 53 and 54 first, then the option 55 order', (t) => {
  const { buffer } = encode(
    {
      htype: 1,
      hlen: 6,
      xid: 1,
      flags: 0,
      chaddr,
      options: [
        [1, optIp('255.255.255.0')],
        [3, optIp('198.18.0.1')],
        [54, optIp('198.18.0.1')],
        [53, Buffer.from([2])],
        [6, optIp('198.18.0.1')],
      ],
    },
    { parameterList: [6, 3, 1] },
  );
  const codes: number[] = [];
  for (let i = 240; buffer[i] !== 255; i += 2 + (buffer[i + 1] as number)) codes.push(buffer[i] as number);
  t.deepEqual(codes, [53, 54, 6, 3, 1]);
});

test('options not asked for in option 55 are left out unless always-send', (t) => {
  const { buffer } = encode(
    {
      htype: 1,
      hlen: 6,
      xid: 1,
      flags: 0,
      chaddr,
      options: [
        [53, Buffer.from([2])],
        [6, optIp('1.2.3.4')],
        [67, Buffer.from('f')],
      ],
    },
    { parameterList: [1], alwaysSend: new Set([67]) },
  );
  const p = mustDecode(buffer);
  t.false(p.options.has(6));
  t.true(p.options.has(67));
});

test('option 57 max size is honoured by dropping options that do not fit', (t) => {
  const big = Buffer.alloc(250, 0x41);
  const { buffer, dropped } = encode(
    {
      htype: 1,
      hlen: 6,
      xid: 1,
      flags: 0,
      chaddr,
      options: [
        [53, Buffer.from([2])],
        [43, big],
        [60, big],
        [67, Buffer.from('x')],
      ],
    },
    { maxMessageSize: 576 },
  );
  t.true(buffer.length <= 576 - 28);
  t.deepEqual(dropped, [60]);
  t.true(mustDecode(buffer).options.has(67));
});

test('options longer than 255 bytes are split and decode back whole (RFC 3396)', (t) => {
  const long = Buffer.alloc(600, 7);
  const { buffer } = encode({
    htype: 1,
    hlen: 6,
    xid: 1,
    flags: 0,
    chaddr,
    options: [
      [53, Buffer.from([2])],
      [43, long],
    ],
  });
  t.deepEqual(mustDecode(buffer).options.get(43), long);
});

test('header fields round-trip', (t) => {
  const { buffer } = encode({
    htype: 1,
    hlen: 6,
    hops: 1,
    xid: 0xdeadbeef,
    secs: 3,
    flags: 0x8000,
    ciaddr: '198.18.0.5',
    yiaddr: '198.18.0.100',
    siaddr: '198.18.0.1',
    giaddr: '198.19.0.2',
    chaddr,
    sname: 'srv',
    file: 'pxelinux.0',
    options: [[53, Buffer.from([5])]],
  });
  const p = mustDecode(buffer);
  t.like(p, {
    op: 2,
    hops: 1,
    xid: 0xdeadbeef,
    secs: 3,
    flags: 0x8000,
    ciaddr: '198.18.0.5',
    yiaddr: '198.18.0.100',
  });
  t.like(p, { siaddr: '198.18.0.1', giaddr: '198.19.0.2', sname: 'srv', file: 'pxelinux.0' });
  t.is(macOf(p), '02:00:00:00:0c:01');
});
