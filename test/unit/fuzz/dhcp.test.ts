// Fuzz target: the DHCP codec (src/dhcp/packet.ts) and responder engine (responder.ts) fed random
// and mutated captured client packets. Properties: nothing throws, every decode failure is counted
// as `malformed`, every reply re-decodes as a well-formed BOOTREPLY to the request it answers.
import test from 'ava';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getClientArch,
  getClientId,
  getClientNdi,
  getClientUuid,
  getHostname,
  getIpxeOptions,
  getMaxMessageSize,
  getMessageType,
  getParameterList,
  getRelayAgentInfo,
  getRequestedAddress,
  getServerId,
  getUserClasses,
  getVendorClass,
  ipToInt,
  macOf,
  optIp,
  optString,
  optSub,
  optU16,
  optU8,
} from '../../../src/dhcp/packet.js';
import { classifyClient, defaultBootFiles, selectBootFile } from '../../../src/dhcp/pxe.js';
import { DhcpResponder, type DecideFn, type ResponderOptions } from '../../../src/dhcp/responder.js';
import {
  check,
  dhcpOptionLayout,
  fuzzBudget,
  fuzzLoop,
  mutateBytes,
  randomBuffer,
  type Rng,
} from '../../helpers/fuzz.js';
import { fixtureNames, loadHex } from '../dhcp/fixtures.js';

const budget = () => fuzzBudget({ seconds: 3, iterations: 50_000 });
const layout = dhcpOptionLayout(240);

/** Captured packets (busybox udhcpc, ISC dhclient, perfdhcp, our own OFFER) + synthetic edge seeds. */
function corpus(): Buffer[] {
  const captured = fixtureNames().map(loadHex);
  const chaddr = Buffer.from('525400123456', 'hex');
  const base = { htype: 1, hlen: 6, xid: 0x1234, flags: 0x8000, chaddr };
  const synthetic = [
    // RFC 2132 §9.3 option overload: options continue in file and sname.
    (() => {
      const b = encodeRequest({
        ...base,
        options: [
          [Opt.MESSAGE_TYPE, optU8(MessageType.DISCOVER)],
          [Opt.OVERLOAD, optU8(3)],
        ],
      });
      b.set([Opt.CLIENT_ARCH, 2, 0, 7, 255], 108);
      b.set([Opt.USER_CLASS, 4, 105, 80, 88, 69, 255], 44);
      return b;
    })(),
    // Relayed REQUEST with option 82 and RFC 3396 split of a long option 77.
    encodeRequest({
      ...base,
      giaddr: '198.19.0.2',
      options: [
        [Opt.MESSAGE_TYPE, optU8(MessageType.REQUEST)],
        [Opt.REQUESTED_IP, optIp('198.19.1.3')],
        [Opt.SERVER_ID, optIp('198.18.0.1')],
        [
          Opt.RELAY_AGENT_INFO,
          optSub([
            [1, optString('eth0')],
            [2, optString('sw1')],
          ]),
        ],
        [Opt.USER_CLASS, Buffer.alloc(300, 0x41)],
        [Opt.MAX_MESSAGE_SIZE, optU16(576)],
      ],
    }),
    // iPXE DISCOVER: option 175, 77 "iPXE", UEFI arch 7, client UUID.
    encodeRequest({
      ...base,
      options: [
        [Opt.MESSAGE_TYPE, optU8(MessageType.DISCOVER)],
        [Opt.USER_CLASS, optString('iPXE')],
        [Opt.CLIENT_ARCH, optU16(7)],
        [Opt.CLIENT_UUID, Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 0xab)])],
        [Opt.IPXE_ENCAP, optSub([[177, Buffer.from([1, 0, 0])]])],
        [Opt.PARAMETER_LIST, Buffer.from([1, 3, 6, 66, 67, 175, 43, 60, 97])],
      ],
    }),
    // DECLINE, RELEASE and INFORM.
    ...[MessageType.DECLINE, MessageType.RELEASE, MessageType.INFORM].map((type) =>
      encodeRequest({
        ...base,
        ciaddr: type === MessageType.DECLINE ? '0.0.0.0' : '198.18.0.100',
        options: [
          [Opt.MESSAGE_TYPE, optU8(type)],
          [Opt.REQUESTED_IP, optIp('198.18.0.100')],
          [Opt.SERVER_ID, optIp('198.18.0.1')],
        ],
      }),
    ),
  ];
  return [...captured, ...synthetic];
}

const seeds = corpus();

function input(rng: Rng): Buffer {
  const kind = rng.int(10);
  if (kind === 0) return randomBuffer(rng, 700);
  const seed = rng.pick(seeds);
  if (kind === 1) {
    // A valid packet with a random client identity: drives the responder deep (offers, leases).
    const b = Buffer.from(seed);
    if (b.length >= 44) {
      b.writeUInt32BE(rng.next(), 4);
      b[33] = rng.int(32); // 32 clients compete for the small pool
    }
    return b;
  }
  return mutateBytes(rng, seed, seeds, layout);
}

test.serial('decode never throws and every typed accessor copes with what it decoded', async (t) => {
  const stats = await fuzzLoop(t, 'dhcp.decode', budget(), (rng) => {
    const buf = input(rng);
    const d = decode(buf);
    if (!d.ok) {
      check(typeof d.error === 'string' && d.error.length > 0, 'a decode failure carries a reason');
      return 'rejected';
    }
    const p = d.packet;
    getMessageType(p);
    getRequestedAddress(p);
    getServerId(p);
    getParameterList(p);
    getMaxMessageSize(p);
    getVendorClass(p);
    getHostname(p);
    getClientId(p);
    getUserClasses(p);
    getRelayAgentInfo(p);
    getClientArch(p);
    getClientNdi(p);
    getClientUuid(p);
    getIpxeOptions(p);
    check(/^([0-9a-f]{2}(:|$))*$/.test(macOf(p)), 'macOf gives colon hex');
    selectBootFile(classifyClient(p), defaultBootFiles, { server: '198.18.0.1', mac: macOf(p) });
    return 'accepted';
  });
  t.true(stats.inputs > 0);
  t.true(stats.rejected > 0, 'some inputs were rejected');
  t.true(stats.accepted > 0, 'some inputs decoded');
});

function options(rng: Rng): ResponderOptions {
  return {
    serverAddress: '198.18.0.1',
    subnets: [
      // Small pools so sequences run them dry (exhaustion paths).
      { cidr: '198.18.0.0/24', rangeStart: '198.18.0.100', rangeEnd: '198.18.0.107', leaseTime: 600 },
      { cidr: '198.19.0.0/16', rangeStart: '198.19.1.0', rangeEnd: '198.19.1.3', leaseTime: 60 },
    ],
    mode: rng.chance(0.8) ? 'full' : 'proxy',
    authoritative: rng.chance(0.5),
    offerTtl: 30,
    declineQuarantine: 60,
    boot: defaultBootFiles,
    reservations: [{ mac: '52:54:00:12:34:05', address: '198.18.0.200' }],
    echoPxeClient: rng.chance(0.5),
  };
}

/** Policy answers as the daemon's glue could give them, including odd ones (long options, bad IPs). */
function decide(rng: Rng): DecideFn {
  return () => {
    switch (rng.int(6)) {
      case 0:
        return { action: 'ignore', reason: 'fuzz says no' };
      case 1:
        return {
          action: 'serve',
          reservedAddress: rng.pick(['198.18.0.150', '10.0.0.1', 'bogus', '198.19.5.5']),
        };
      case 2:
        return {
          action: 'serve',
          bootFile: 'x'.repeat(rng.pick([1, 127, 128, 400])),
          nextServer: '198.18.0.9',
        };
      case 3:
        return {
          action: 'serve',
          extraOptions: [
            [
              rng.pick([0, 1, 43, 52, 66, 67, 77, 200, 255]),
              Buffer.alloc(rng.pick([0, 255, 256, 600]), 0x61),
            ],
          ],
        };
      default:
        return { action: 'serve' };
    }
  };
}

function inSubnet(ip: string, network: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(network) & mask) >>> 0;
}

test.serial(
  'the responder never throws and every reply re-decodes as a BOOTREPLY to its request',
  async (t) => {
    let replies = 0;
    const stats = await fuzzLoop(t, 'dhcp.responder', budget(), (rng) => {
      // One input = a sequence of datagrams through one responder (state within a sequence).
      let now = 1_000_000;
      const responder = new DhcpResponder(options(rng), { clock: { now: () => now }, decide: decide(rng) });
      let rejected = 0;
      const inputs = 1 + rng.int(40);
      for (let n = inputs; n > 0; n--) {
        now += rng.int(40_000);
        const buf = input(rng);
        const decoded = decode(buf);
        const via = {
          localPort: rng.chance(0.9) ? 67 : 4011,
          address: rng.pick(['0.0.0.0', '198.18.0.5', '198.19.0.2']),
          port: 68,
        };
        const outcome = responder.handleDatagram(buf, via);
        check(outcome.stat !== 'error', `internal error caught in the responder: ${outcome.event.message}`);
        check(
          decoded.ok === (outcome.stat !== 'malformed'),
          `malformed iff the decode failed (${outcome.stat})`,
        );
        if (!decoded.ok) {
          rejected += 1;
          check(outcome.reply === undefined, 'no reply to a malformed packet');
          continue;
        }
        if (!outcome.reply) continue;
        replies += 1;
        const request = decoded.packet;
        const reply = decode(outcome.reply.buffer);
        check(reply.ok, `the reply does not decode: ${reply.ok ? '' : reply.error}`);
        const p = reply.packet;
        check(p.op === 2, 'a reply is a BOOTREPLY');
        check(p.xid === request.xid, 'the reply echoes the xid');
        check(p.hlen === request.hlen && macOf(p) === macOf(request), 'the reply echoes chaddr');
        check(outcome.reply.buffer.length >= 300, 'RFC 1542: at least 300 bytes');
        check(outcome.reply.buffer.length <= 1500 - 28, 'fits one Ethernet frame');
        const type = getMessageType(p);
        check(
          type === MessageType.OFFER || type === MessageType.ACK || type === MessageType.NAK,
          `reply type ${type}`,
        );
        check(getServerId(p) === '198.18.0.1', 'option 54 is our address');
        if (type !== MessageType.NAK && p.yiaddr !== '0.0.0.0') {
          check(
            inSubnet(p.yiaddr, '198.18.0.0', 24) || inSubnet(p.yiaddr, '198.19.0.0', 16),
            `yiaddr ${p.yiaddr} outside every served subnet`,
          );
        }
      }
      return { inputs, rejected };
    });
    t.log(`dhcp.responder: ${replies} replies re-decoded`);
    t.true(replies > 0, 'the fuzz reached replies');
    t.true(stats.rejected > 0);
  },
);
