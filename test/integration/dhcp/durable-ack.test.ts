// A DHCPACK leaves only once its lease is saved (RFC 2131 §1.6: an address is never in use by two
// clients, also across server restarts). Found by the fleet kill -9 test: batched lease saves let a
// crash forget ACKed bindings and give the addresses again. Loopback, on a non-67 port, where the
// server answers the sender directly (PXE boot-server path), so no root or namespace is needed.
import test from 'ava';
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import {
  MessageType,
  Opt,
  decode,
  encodeRequest,
  getMessageType,
  optIp,
  optU8,
  type DhcpPacket,
} from '../../../src/dhcp/packet.js';
import { defaultBootFiles } from '../../../src/dhcp/pxe.js';
import type { Lease } from '../../../src/dhcp/responder.js';
import { DhcpServer } from '../../../src/dhcp/server.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const MAC = Buffer.from('525400aa0001', 'hex');

function packet(xid: number, type: number, extra: Array<[number, Buffer]> = []): Buffer {
  return encodeRequest({
    htype: 1,
    hlen: 6,
    hops: 0,
    xid,
    flags: 0,
    chaddr: MAC,
    options: [[Opt.MESSAGE_TYPE, optU8(type)], ...extra],
  });
}

test('a DHCPACK is sent only after the lease store has saved its binding', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const saved: Lease[][] = [];
  const server = new DhcpServer(
    {
      serverAddress: '127.0.0.1',
      listenAddress: '127.0.0.1',
      port,
      proxyPort: 0,
      mode: 'full',
      subnets: [{ cidr: '127.0.0.0/8', rangeStart: '127.0.0.100', rangeEnd: '127.0.0.110', leaseTime: 600 }],
      authoritative: true,
      offerTtl: 30,
      declineQuarantine: 600,
      boot: defaultBootFiles,
      leaseSaveDelayMs: 60_000, // the batched save never fires during the test
    },
    {
      log: pino({ level: 'silent' }),
      events: { emit: () => undefined },
      clock: systemClock,
      leaseStore: {
        load: () => [],
        // The first save completes only when the test says so (the slow disk); later ones at once.
        save: async (leases) => {
          started = true;
          await gate;
          saved.push(leases);
        },
      },
    },
  );
  await server.start();
  const client = createSocket('udp4');
  t.teardown(async () => {
    client.close();
    release();
    await server.stop();
  });
  const replies: DhcpPacket[] = [];
  client.on('message', (msg) => {
    const d = decode(msg);
    if (d.ok) replies.push(d.packet);
  });
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));

  client.send(packet(1, MessageType.DISCOVER), port, '127.0.0.1');
  const offer = await waitFor(() => replies.find((p) => p.xid === 1), 'the OFFER', 5000);
  t.is(getMessageType(offer), MessageType.OFFER, 'an OFFER needs no save');
  client.send(
    packet(2, MessageType.REQUEST, [
      [Opt.REQUESTED_IP, optIp(offer.yiaddr)],
      [Opt.SERVER_ID, optIp('127.0.0.1')],
    ]),
    port,
    '127.0.0.1',
  );
  await waitFor(() => started, 'the lease save to start', 5000);
  await sleep(300);
  t.falsy(
    replies.find((p) => p.xid === 2),
    'no ACK while the save is pending',
  );
  release();
  const ack = await waitFor(() => replies.find((p) => p.xid === 2), 'the ACK after the save', 5000);
  t.is(getMessageType(ack), MessageType.ACK);
  t.deepEqual(
    saved[0]?.map((l) => [l.address, l.mac, l.state]),
    [[offer.yiaddr, '52:54:00:aa:00:01', 'bound']],
    'the save held the binding the ACK announces',
  );
});
