import test from 'ava';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getIpxeOptions,
  getLeaseTime,
  getMessageType,
  getServerId,
  optIp,
  optString,
  optU16,
  type DhcpPacket,
} from '../../../src/dhcp/packet.js';
import { defaultBootFiles } from '../../../src/dhcp/pxe.js';
import {
  DhcpResponder,
  type DecideFn,
  type Outcome,
  type ResponderOptions,
} from '../../../src/dhcp/responder.js';
import { loadHex } from './fixtures.js';

const SERVER = '198.18.0.1';
const via67 = { localPort: 67, address: '0.0.0.0', port: 68 };

function makeOptions(over: Partial<ResponderOptions> = {}): ResponderOptions {
  return {
    serverAddress: SERVER,
    subnets: [
      { cidr: '198.18.0.0/24', rangeStart: '198.18.0.100', rangeEnd: '198.18.0.110', leaseTime: 600 },
      { cidr: '198.19.0.0/16', rangeStart: '198.19.1.0', rangeEnd: '198.19.1.9', leaseTime: 600 },
    ],
    mode: 'full',
    authoritative: true,
    offerTtl: 30,
    declineQuarantine: 300,
    boot: defaultBootFiles,
    ...over,
  };
}

function setup(over: Partial<ResponderOptions> = {}, decide?: DecideFn) {
  const clock = {
    t: 1_000_000,
    now() {
      return this.t;
    },
  };
  const responder = new DhcpResponder(makeOptions(over), { clock, ...(decide ? { decide } : {}) });
  return { clock, responder };
}

const mac = (n: number): Buffer => Buffer.from([0x02, 0, 0, 0, (n >> 8) & 255, n & 255]);

interface Req {
  type: number;
  n?: number;
  ciaddr?: string;
  giaddr?: string;
  options?: Array<[number, Buffer]>;
  flags?: number;
}
function request(r: Req): Buffer {
  return encodeRequest({
    htype: 1,
    hlen: 6,
    xid: 42,
    flags: r.flags ?? 0,
    ciaddr: r.ciaddr,
    giaddr: r.giaddr,
    chaddr: mac(r.n ?? 1),
    options: [[Opt.MESSAGE_TYPE, Buffer.from([r.type])], ...(r.options ?? [])],
  });
}

function reply(o: Outcome): DhcpPacket {
  if (!o.reply) throw new Error(`no reply: ${o.event.message}`);
  const d = decode(o.reply.buffer);
  if (!d.ok) throw new Error(d.error);
  return d.packet;
}

const pxeBios: Array<[number, Buffer]> = [
  [Opt.VENDOR_CLASS, optString('PXEClient:Arch:00000:UNDI:002001')],
  [Opt.CLIENT_ARCH, optU16(0)],
];

function dora(responder: DhcpResponder, n: number, extra: Array<[number, Buffer]> = []): string {
  const offer = reply(
    responder.handleDatagram(request({ type: MessageType.DISCOVER, n, options: extra }), via67),
  );
  const ack = responder.handleDatagram(
    request({
      type: MessageType.REQUEST,
      n,
      options: [[Opt.SERVER_ID, optIp(SERVER)], [Opt.REQUESTED_IP, optIp(offer.yiaddr)], ...extra],
    }),
    via67,
  );
  if (getMessageType(reply(ack)) !== MessageType.ACK) throw new Error('not acked');
  return offer.yiaddr;
}

test('DISCOVER gets an OFFER of the lowest pool address, broadcast to the subnet', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(request({ type: MessageType.DISCOVER }), via67);
  const p = reply(o);
  t.is(getMessageType(p), MessageType.OFFER);
  t.is(p.yiaddr, '198.18.0.100');
  t.is(getServerId(p), SERVER);
  t.is(getLeaseTime(p), 600);
  t.deepEqual(o.reply && { a: o.reply.address, p: o.reply.port }, { a: '198.18.0.255', p: 68 });
  t.is(o.event.type, 'dhcp.offer');
  t.is(o.event.mac, '02:00:00:00:00:01');
  t.true(o.reply!.buffer.length >= 300);
});

test('BIOS PXE client gets pxelinux.0 in file, option 67, option 66 and siaddr', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(request({ type: MessageType.DISCOVER, options: pxeBios }), via67);
  const p = reply(o);
  t.is(p.file, 'pxelinux.0');
  t.is(p.siaddr, SERVER);
  t.is(p.options.get(Opt.BOOTFILE)?.toString(), 'pxelinux.0');
  t.is(p.options.get(Opt.TFTP_SERVER)?.toString(), SERVER);
  t.is(o.event.message, 'offered 198.18.0.100 with pxelinux.0 (arch BIOS)');
});

test('UEFI x64 client (option 93 = 7) gets grubx64.efi', (t) => {
  const { responder } = setup();
  t.is(
    reply(responder.handleDatagram(request({ type: 1, options: [[Opt.CLIENT_ARCH, optU16(7)]] }), via67))
      .file,
    'grubx64.efi',
  );
});

test('arm64 client (option 93 = 11) gets grubaa64.efi', (t) => {
  const { responder } = setup();
  t.is(
    reply(responder.handleDatagram(request({ type: 1, options: [[Opt.CLIENT_ARCH, optU16(11)]] }), via67))
      .file,
    'grubaa64.efi',
  );
});

test('HTTP boot client (arch 16, HTTPClient) gets a URL and vendor class HTTPClient', (t) => {
  const { responder } = setup();
  const p = reply(
    responder.handleDatagram(
      request({
        type: 1,
        options: [
          [Opt.CLIENT_ARCH, optU16(16)],
          [Opt.VENDOR_CLASS, optString('HTTPClient:Arch:00016')],
        ],
      }),
      via67,
    ),
  );
  t.is(p.file, 'http://198.18.0.1:8080/boot/ipxe.efi');
  t.is(p.options.get(Opt.VENDOR_CLASS)?.toString(), 'HTTPClient');
  t.false(p.options.has(Opt.TFTP_SERVER));
});

test('iPXE client (option 77 iPXE) gets the HTTP script URL and option 175.176', (t) => {
  const { responder } = setup();
  const p = reply(responder.handleDatagram(loadHex('udhcpc-ipxe-discover'), via67));
  t.is(p.file, 'http://198.18.0.1:8080/boot/ipxe/02:00:00:00:c0:01.ipxe');
  t.deepEqual(getIpxeOptions(p)?.sub?.get(176), Buffer.from([1]));
});

test('option 175.176 is not sent when disabled', (t) => {
  const { responder } = setup({ boot: { ...defaultBootFiles, sendIpxeNoPxedhcp: false } });
  t.false(
    reply(responder.handleDatagram(loadHex('udhcpc-ipxe-discover'), via67)).options.has(Opt.IPXE_ENCAP),
  );
});

test('unmapped arch is ignored with reason "arch 0x0b unmapped"', (t) => {
  const { responder } = setup({ boot: { ...defaultBootFiles, archMap: { 0: 'pxelinux.0' } } });
  const o = responder.handleDatagram(request({ type: 1, options: [[Opt.CLIENT_ARCH, optU16(11)]] }), via67);
  t.is(o.reply, undefined);
  t.is(o.event.type, 'dhcp.ignored');
  t.is(o.event.message, 'ignored: arch 0x0b unmapped');
  t.is(o.stat, 'ignored:arch-unmapped');
});

test('non-PXE client (the ramdisk udhcpc) gets an address and no boot file', (t) => {
  const { responder } = setup();
  const p = reply(responder.handleDatagram(loadHex('udhcpc-discover'), via67));
  t.is(p.yiaddr, '198.18.0.100');
  t.is(p.file, '');
  t.false(p.options.has(Opt.BOOTFILE));
});

test('SELECTING REQUEST for our offer is ACKed and the lease is bound and marked dirty', (t) => {
  const { responder } = setup();
  t.is(dora(responder, 1), '198.18.0.100');
  t.true(responder.takeDirty());
  t.like(responder.leases()[0], { address: '198.18.0.100', mac: '02:00:00:00:00:01', state: 'bound' });
});

test('T1: REQUEST with another server identifier gets silence and frees our offer', (t) => {
  const { responder } = setup();
  responder.handleDatagram(request({ type: 1 }), via67);
  const o = responder.handleDatagram(
    request({
      type: 3,
      options: [
        [Opt.SERVER_ID, optIp('198.18.0.254')],
        [Opt.REQUESTED_IP, optIp('198.18.0.105')],
      ],
    }),
    via67,
  );
  t.is(o.reply, undefined);
  t.is(o.event.message, 'ignored: request for another server 198.18.0.254');
  // the freed offer goes to the next client
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 2 }), via67)).yiaddr, '198.18.0.100');
});

test('SELECTING REQUEST for an address we did not offer is NAKed', (t) => {
  const { responder } = setup();
  responder.handleDatagram(request({ type: 1 }), via67);
  const o = responder.handleDatagram(
    request({
      type: 3,
      options: [
        [Opt.SERVER_ID, optIp(SERVER)],
        [Opt.REQUESTED_IP, optIp('198.18.0.107')],
      ],
    }),
    via67,
  );
  t.is(getMessageType(reply(o)), MessageType.NAK);
  t.is(o.reply?.address, '198.18.0.255');
});

test('T2: INIT-REBOOT on the wrong network is NAKed (authoritative)', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(
    request({ type: 3, options: [[Opt.REQUESTED_IP, optIp('198.51.100.7')]] }),
    via67,
  );
  const p = reply(o);
  t.is(getMessageType(p), MessageType.NAK);
  t.is(p.yiaddr, '0.0.0.0');
  t.regex(o.event.message, /wrong network/);
});

test('INIT-REBOOT for an unknown lease is NAKed when authoritative', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(
    request({ type: 3, options: [[Opt.REQUESTED_IP, optIp('198.18.0.103')]] }),
    via67,
  );
  t.is(getMessageType(reply(o)), MessageType.NAK);
});

test('INIT-REBOOT for an unknown lease gets silence when not authoritative', (t) => {
  const { responder } = setup({ authoritative: false });
  const o = responder.handleDatagram(
    request({ type: 3, options: [[Opt.REQUESTED_IP, optIp('198.18.0.103')]] }),
    via67,
  );
  t.is(o.reply, undefined);
  t.is(o.stat, 'ignored:unknown-lease');
});

test("INIT-REBOOT for the client's own lease is ACKed", (t) => {
  const { responder } = setup();
  const address = dora(responder, 1);
  const o = responder.handleDatagram(
    request({ type: 3, options: [[Opt.REQUESTED_IP, optIp(address)]] }),
    via67,
  );
  t.is(getMessageType(reply(o)), MessageType.ACK);
});

test('RENEWING REQUEST (ciaddr) is ACKed by unicast to ciaddr:68', (t) => {
  const { responder, clock } = setup();
  const address = dora(responder, 1);
  clock.t += 300_000;
  const o = responder.handleDatagram(request({ type: 3, ciaddr: address }), via67);
  t.is(getMessageType(reply(o)), MessageType.ACK);
  t.deepEqual({ a: o.reply?.address, p: o.reply?.port }, { a: address, p: 68 });
  t.is(responder.leases()[0]?.expiresAt, clock.t + 600_000);
});

test('RENEWING REQUEST for an address leased to another client is NAKed', (t) => {
  const { responder } = setup();
  const address = dora(responder, 1);
  const o = responder.handleDatagram(request({ type: 3, n: 2, ciaddr: address }), via67);
  t.is(getMessageType(reply(o)), MessageType.NAK);
});

test('T3: RELEASE frees the lease', (t) => {
  const { responder } = setup();
  const address = dora(responder, 1);
  responder.takeDirty();
  const o = responder.handleDatagram(
    request({ type: 7, ciaddr: address, options: [[Opt.SERVER_ID, optIp(SERVER)]] }),
    via67,
  );
  t.is(o.reply, undefined);
  t.is(o.event.type, 'dhcp.release');
  t.deepEqual(responder.leases(), []);
  t.true(responder.takeDirty());
});

test('T4: INFORM gets an ACK without yiaddr or lease time, unicast to ciaddr', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(request({ type: 8, ciaddr: '198.18.0.50' }), via67);
  const p = reply(o);
  t.is(getMessageType(p), MessageType.ACK);
  t.is(p.yiaddr, '0.0.0.0');
  t.false(p.options.has(Opt.LEASE_TIME));
  t.is(o.reply?.address, '198.18.0.50');
  t.is(o.event.type, 'dhcp.inform');
  t.deepEqual(responder.leases(), []);
});

test('DECLINE quarantines the address; the next client gets another one until quarantine ends', (t) => {
  const { responder, clock } = setup();
  const address = dora(responder, 1);
  const o = responder.handleDatagram(
    request({
      type: 4,
      options: [
        [Opt.REQUESTED_IP, optIp(address)],
        [Opt.SERVER_ID, optIp(SERVER)],
      ],
    }),
    via67,
  );
  t.is(o.event.type, 'dhcp.decline');
  t.like(responder.leases()[0], { address, state: 'declined' });
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 2 }), via67)).yiaddr, '198.18.0.101');
  clock.t += 301_000;
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 3 }), via67)).yiaddr, '198.18.0.100');
});

test('T5: relayed DISCOVER uses the giaddr subnet pool and is unicast to giaddr:67', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(request({ type: 1, giaddr: '198.19.0.2' }), {
    localPort: 67,
    address: '198.19.0.2',
    port: 67,
  });
  t.is(reply(o).yiaddr, '198.19.1.0');
  t.deepEqual({ a: o.reply?.address, p: o.reply?.port }, { a: '198.19.0.2', p: 67 });
});

test('relayed DISCOVER from an unknown relay subnet is ignored with a reason', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(request({ type: 1, giaddr: '203.0.113.1' }), via67);
  t.is(o.reply, undefined);
  t.regex(o.event.message, /no subnet configured for relay giaddr 203.0.113.1/);
});

test('relay agent information (option 82) is echoed to the relay', (t) => {
  const { responder } = setup();
  const info = Buffer.from([1, 2, 0xaa, 0xbb]);
  const p = reply(
    responder.handleDatagram(
      request({ type: 1, giaddr: '198.19.0.2', options: [[Opt.RELAY_AGENT_INFO, info]] }),
      via67,
    ),
  );
  t.deepEqual(p.options.get(Opt.RELAY_AGENT_INFO), info);
});

test('relayed NAK has the broadcast bit set and goes to giaddr', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(
    request({ type: 3, giaddr: '198.19.0.2', options: [[Opt.REQUESTED_IP, optIp('198.51.100.7')]] }),
    via67,
  );
  const p = reply(o);
  t.is(getMessageType(p), MessageType.NAK);
  t.is(p.flags & 0x8000, 0x8000);
  t.is(o.reply?.address, '198.19.0.2');
});

test('perfdhcp captured DISCOVER is answered through the relay', (t) => {
  const { responder } = setup();
  const o = responder.handleDatagram(loadHex('perfdhcp-discover'), via67);
  t.is(getMessageType(reply(o)), MessageType.OFFER);
  t.is(o.reply?.port, 67);
});

test('T6: DISCOVER with a PAD before the options gets an OFFER', (t) => {
  const { responder } = setup();
  const buf = request({ type: 1 });
  const withPad = Buffer.concat([buf.subarray(0, 240), Buffer.from([0]), buf.subarray(240)]);
  t.is(getMessageType(reply(responder.handleDatagram(withPad, via67))), MessageType.OFFER);
});

test('T7: the 7-byte client identifier is stored whole in the lease', (t) => {
  const { responder } = setup();
  dora(responder, 1, [[Opt.CLIENT_ID, Buffer.from('01020000 00d006'.replace(' ', ''), 'hex')]]);
  t.is(responder.leases()[0]?.clientId, '0102000000d006');
});

test('T8: DISCOVER with unknown option 150 gets an OFFER', (t) => {
  const { responder } = setup();
  t.is(
    getMessageType(
      reply(responder.handleDatagram(request({ type: 1, options: [[150, Buffer.from([1, 2])]] }), via67)),
    ),
    MessageType.OFFER,
  );
});

test('T10: htype 32 (InfiniBand, 20-byte address) never throws', (t) => {
  const { responder } = setup();
  const buf = request({ type: 1 });
  buf[1] = 32;
  buf[2] = 20; // hlen > 16 is invalid in BOOTP's 16-byte chaddr
  const o = responder.handleDatagram(buf, via67);
  t.is(o.stat, 'malformed');
  t.is(o.event.type, 'dhcp.malformed');
});

test('T11: 14 new MACs against an 11-address pool: 11 offers, then "pool exhausted", no throw', (t) => {
  const { responder } = setup();
  const outcomes = Array.from({ length: 14 }, (_, i) =>
    responder.handleDatagram(request({ type: 1, n: i + 1 }), via67),
  );
  const offered = outcomes.filter((o) => o.stat === 'offer').map((o) => reply(o).yiaddr);
  t.is(new Set(offered).size, 11);
  t.is(outcomes.filter((o) => o.stat === 'ignored:pool-exhausted').length, 3);
  t.regex(
    outcomes[13]?.event.message ?? '',
    /^ignored: pool exhausted: no free address in \S+ \(11 addresses: 0 leased, 11 offered, 0 declined or reserved\)$/,
  );
});

test('expired offers return to the pool', (t) => {
  const { responder, clock } = setup();
  for (let i = 1; i <= 11; i += 1) responder.handleDatagram(request({ type: 1, n: i }), via67);
  t.is(responder.handleDatagram(request({ type: 1, n: 99 }), via67).stat, 'ignored:pool-exhausted');
  clock.t += 31_000;
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 99 }), via67)).yiaddr, '198.18.0.100');
});

test('expired leases return to the pool', (t) => {
  const { responder, clock } = setup();
  for (let i = 1; i <= 11; i += 1) dora(responder, i);
  clock.t += 601_000;
  t.deepEqual(responder.leases(), []);
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 99 }), via67)).yiaddr, '198.18.0.100');
});

test('100 concurrent DISCOVERs from different MACs get 100 distinct sequential addresses', (t) => {
  const { responder } = setup({
    subnets: [{ cidr: '198.18.0.0/24', rangeStart: '198.18.0.10', rangeEnd: '198.18.0.250', leaseTime: 600 }],
  });
  const offers = Array.from(
    { length: 100 },
    (_, i) => reply(responder.handleDatagram(request({ type: 1, n: i + 1 }), via67)).yiaddr,
  );
  t.is(new Set(offers).size, 100);
  t.deepEqual(
    offers,
    Array.from({ length: 100 }, (_, i) => `198.18.0.${10 + i}`),
  );
});

test('a repeated DISCOVER from the same MAC gets the same offer', (t) => {
  const { responder } = setup();
  const a = reply(responder.handleDatagram(request({ type: 1 }), via67)).yiaddr;
  const b = reply(responder.handleDatagram(request({ type: 1 }), via67)).yiaddr;
  t.is(a, b);
});

test('a released address is the lowest free one again', (t) => {
  const { responder } = setup();
  const first = dora(responder, 1);
  dora(responder, 2);
  responder.handleDatagram(request({ type: 7, n: 1, ciaddr: first }), via67);
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 3 }), via67)).yiaddr, first);
});

test('static reservation gives the reserved address and keeps it from others', (t) => {
  const { responder } = setup({ reservations: [{ mac: '02:00:00:00:00:07', address: '198.18.0.100' }] });
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 1 }), via67)).yiaddr, '198.18.0.101');
  t.is(reply(responder.handleDatagram(request({ type: 1, n: 7 }), via67)).yiaddr, '198.18.0.100');
});

test('decision hook reservedAddress outside the range is offered', (t) => {
  const { responder } = setup({}, () => ({ action: 'serve', reservedAddress: '198.18.0.20' }));
  t.is(dora(responder, 1), '198.18.0.20');
});

test('decision hook deny: no reply and the event carries the reason and node', (t) => {
  const deny: DecideFn = (ctx) =>
    ctx.mac === '02:00:00:00:00:01'
      ? {
          action: 'ignore',
          reason: 'MAC denied by filter: enrolled node is not under introspection',
          node: 'uuid-1',
        }
      : { action: 'serve' };
  const { responder } = setup({}, deny);
  const o = responder.handleDatagram(request({ type: 1, options: pxeBios }), via67);
  t.is(o.reply, undefined);
  t.is(o.event.message, 'ignored: MAC denied by filter: enrolled node is not under introspection');
  t.is(o.event.node, 'uuid-1');
  t.is(o.stat, 'ignored:decision');
});

test('decision hook gets mac, arch, classes and relay facts', (t) => {
  let seen: Parameters<DecideFn>[0] | undefined;
  const { responder } = setup({}, (ctx) => {
    seen = ctx;
    return { action: 'serve' };
  });
  responder.handleDatagram(
    request({ type: 1, giaddr: '198.19.0.2', options: [...pxeBios, [Opt.USER_CLASS, optString('iPXE')]] }),
    via67,
  );
  t.like(seen, {
    mac: '02:00:00:00:00:01',
    arch: 0,
    userClass: ['iPXE'],
    giaddr: '198.19.0.2',
    relayed: true,
    messageType: 'DISCOVER',
  });
});

test('decision hook boot file, next server and extra options override the defaults', (t) => {
  const { responder } = setup({}, () => ({
    action: 'serve',
    bootFile: 'undionly.kpxe',
    nextServer: '198.18.0.9',
    extraOptions: [[Opt.DOMAIN_NAME, optString('lab')]],
  }));
  const p = reply(responder.handleDatagram(request({ type: 1, options: pxeBios }), via67));
  t.is(p.file, 'undionly.kpxe');
  t.is(p.siaddr, '198.18.0.9');
  t.is(p.options.get(Opt.DOMAIN_NAME)?.toString(), 'lab');
});

test('a throwing decision hook means ignore, not a crash', (t) => {
  const { responder } = setup({}, () => {
    throw new Error('boom');
  });
  const o = responder.handleDatagram(request({ type: 1 }), via67);
  t.is(o.reply, undefined);
  t.regex(o.event.message, /decision hook failed: boom/);
});

test('option 55 order is honoured in the OFFER', (t) => {
  const { responder } = setup({
    subnets: [
      {
        cidr: '198.18.0.0/24',
        rangeStart: '198.18.0.100',
        rangeEnd: '198.18.0.110',
        leaseTime: 600,
        router: SERVER,
        dnsServers: [SERVER],
      },
    ],
  });
  const o = responder.handleDatagram(
    request({ type: 1, options: [[Opt.PARAMETER_LIST, Buffer.from([6, 3, 1])]] }),
    via67,
  );
  const buf = o.reply!.buffer;
  const codes: number[] = [];
  for (let i = 240; buf[i] !== 255; i += 2 + (buf[i + 1] as number)) codes.push(buf[i] as number);
  t.deepEqual(codes.slice(0, 5), [53, 54, 6, 3, 1]);
});

test('leases survive a restart through leases()/restore()', (t) => {
  const a = setup();
  dora(a.responder, 1);
  dora(a.responder, 2);
  const b = setup();
  b.clock.t = a.clock.t;
  t.is(b.responder.restore(a.responder.leases()), 2);
  t.is(reply(b.responder.handleDatagram(request({ type: 1, n: 3 }), via67)).yiaddr, '198.18.0.102');
  const renew = b.responder.handleDatagram(request({ type: 3, n: 1, ciaddr: '198.18.0.100' }), via67);
  t.is(getMessageType(reply(renew)), MessageType.ACK);
});

test('proxy mode: PXE DISCOVER gets an OFFER without address, with PXEClient and option 43', (t) => {
  const { responder } = setup({ mode: 'proxy' });
  const o = responder.handleDatagram(request({ type: 1, options: pxeBios }), via67);
  const p = reply(o);
  t.is(getMessageType(p), MessageType.OFFER);
  t.is(p.yiaddr, '0.0.0.0');
  t.is(p.file, 'pxelinux.0');
  t.is(p.options.get(Opt.VENDOR_CLASS)?.toString(), 'PXEClient');
  t.deepEqual(p.options.get(Opt.VENDOR_SPECIFIC), Buffer.from([6, 1, 8, 255]));
  t.false(p.options.has(Opt.LEASE_TIME));
  t.regex(o.event.message, /proxy offer: pxelinux.0 \(arch BIOS\), no address/);
});

test('proxy mode: non-PXE DISCOVER is ignored', (t) => {
  const { responder } = setup({ mode: 'proxy' });
  const o = responder.handleDatagram(request({ type: 1 }), via67);
  t.is(o.reply, undefined);
  t.is(o.stat, 'ignored:not-pxe');
});

test('proxy mode: boot-server REQUEST on port 4011 is ACKed back to its source port', (t) => {
  const { responder } = setup({ mode: 'proxy' });
  const o = responder.handleDatagram(
    request({
      type: 3,
      ciaddr: '198.18.0.77',
      options: [
        [Opt.CLIENT_ARCH, optU16(7)],
        [Opt.VENDOR_CLASS, optString('PXEClient:Arch:00007')],
      ],
    }),
    { localPort: 4011, address: '198.18.0.77', port: 68 },
  );
  const p = reply(o);
  t.is(getMessageType(p), MessageType.ACK);
  t.is(p.file, 'grubx64.efi');
  t.is(p.yiaddr, '0.0.0.0');
  t.deepEqual({ a: o.reply?.address, p: o.reply?.port }, { a: '198.18.0.77', p: 68 });
});

test('proxy mode: REQUEST on port 67 for the site DHCP server is ignored', (t) => {
  const { responder } = setup({ mode: 'proxy' });
  const o = responder.handleDatagram(
    request({
      type: 3,
      options: [...pxeBios, [Opt.SERVER_ID, optIp('198.18.0.254')], [Opt.REQUESTED_IP, optIp('198.18.0.50')]],
    }),
    via67,
  );
  t.is(o.reply, undefined);
});

test('BOOTP request without option 53 is ignored', (t) => {
  const { responder } = setup();
  const buf = request({ type: 1 });
  buf[240] = 0; // turn option 53 into PADs
  buf[241] = 0;
  buf[242] = 0;
  t.is(responder.handleDatagram(buf, via67).stat, 'ignored:bootp');
});

test('invalid subnet configuration throws ERR_DHCP_CONFIG', (t) => {
  const error = t.throws(() =>
    setup({
      subnets: [{ cidr: '198.18.0.0/24', rangeStart: '198.18.1.1', rangeEnd: '198.18.1.9', leaseTime: 60 }],
    }),
  );
  t.is((error as { code?: string }).code, 'ERR_DHCP_CONFIG');
});
