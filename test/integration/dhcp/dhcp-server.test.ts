// The DHCP server in a network namespace against real clients (busybox udhcpc, ISC dhclient,
// perfdhcp as a relay) and the crafted regression probes T1–T11 of dependencies.md §1.
import test from 'ava';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MessageType,
  Opt,
  encodeRequest,
  getIpxeOptions,
  getMessageType,
  getServerId,
  optIp,
  optString,
  optU16,
} from '../../../src/dhcp/packet.js';
import type { Lease } from '../../../src/dhcp/responder.js';
import { requireTools } from '../../helpers/netns.js';
import {
  CLIENT,
  CLIENT_MAC,
  RELAY_CLIENT,
  RELAY_SERVER,
  SERVER,
  createLab,
  probe,
  serverOptions,
  startServer,
  type Lab,
} from './harness.js';

let lab: Lab;

test.before(async () => {
  await requireTools('ip', 'busybox', 'dhclient', 'perfdhcp', 'node');
  lab = await createLab();
});
test.after.always(async () => {
  await lab?.destroy();
});

function udhcpcScript(name: string): { script: string; out: string } {
  const out = join(lab.dir, `${name}.env`);
  const script = join(lab.dir, `${name}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh\n[ "$1" = bound ] && echo "ip=$ip boot_file=$boot_file siaddr=$siaddr" > ${out}\nexit 0\n`,
  );
  chmodSync(script, 0o755);
  return { script, out };
}

async function udhcpc(name: string, extra: string[]): Promise<{ ok: boolean; env: string; output: string }> {
  const { script, out } = udhcpcScript(name);
  let output = '';
  let ok = true;
  try {
    output = await lab.cli.exec('busybox', [
      'udhcpc',
      '-i',
      lab.clientIf,
      '-f',
      '-q',
      '-n',
      '-t',
      '3',
      '-T',
      '1',
      '-s',
      script,
      ...extra,
    ]);
  } catch (error) {
    ok = false;
    output = String(error);
  }
  return { ok, env: existsSync(out) ? readFileSync(out, 'utf8').trim() : '', output };
}

const chaddr = (n: number): Buffer => Buffer.from([0x02, 0, 0, 0, 0xd0, n]);
function req(
  type: number,
  n: number,
  options: Array<[number, Buffer]> = [],
  fields: { ciaddr?: string; giaddr?: string; htype?: number; hlen?: number } = {},
): Buffer {
  return encodeRequest({
    htype: fields.htype ?? 1,
    hlen: fields.hlen ?? 6,
    xid: 0x5000 + n,
    flags: 0,
    ciaddr: fields.ciaddr,
    giaddr: fields.giaddr,
    chaddr: chaddr(n),
    options: [[Opt.MESSAGE_TYPE, Buffer.from([type])], ...options],
  });
}

test('udhcpc (plain) gets a lease and the ack event; the lease is persisted on stop and reloaded', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir));
  const r = await udhcpc('plain', []);
  t.true(r.ok, r.output);
  t.regex(r.env, /ip=198\.18\.0\.100 /);
  const ack = await server.waitEvent((e) => e.type === 'dhcp.ack', 'dhcp.ack event');
  t.is(ack.mac, CLIENT_MAC);
  await server.stop();
  const leases = JSON.parse(readFileSync(server.options.leaseFile, 'utf8')) as Lease[];
  t.like(leases[0], { address: '198.18.0.100', mac: CLIENT_MAC, state: 'bound' });
  // Restarted on the same lease file: the client's INIT-REBOOT for its address is ACKed.
  const again = await startServer(lab, serverOptions(lab.dir, { leaseFile: server.options.leaseFile }));
  t.teardown(() => again.stop());
  const replies = await probe(lab, [
    {
      buf: encodeRequest({
        htype: 1,
        hlen: 6,
        xid: 7,
        flags: 0,
        chaddr: Buffer.from(CLIENT_MAC.replaceAll(':', ''), 'hex'),
        options: [
          [Opt.MESSAGE_TYPE, Buffer.from([MessageType.REQUEST])],
          [Opt.REQUESTED_IP, optIp('198.18.0.100')],
        ],
      }),
    },
  ]);
  t.is(replies.length, 1);
  t.is(getMessageType(replies[0]!.packet), MessageType.ACK);
});

test('udhcpc with option 93 = 7 gets grubx64.efi and siaddr', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir));
  t.teardown(() => server.stop());
  const r = await udhcpc('uefi', [
    '-V',
    'PXEClient:Arch:00007:UNDI:003016',
    '-x',
    '0x5d:0007',
    '-O',
    'bootfile',
    '-O',
    'tftp',
  ]);
  t.true(r.ok, r.output);
  t.regex(r.env, /boot_file=grubx64\.efi siaddr=198\.18\.0\.1$/);
  const offer = await server.waitEvent((e) => e.type === 'dhcp.offer', 'offer');
  t.is(offer.message, 'offered 198.18.0.100 with grubx64.efi (arch UEFI x64)');
});

test('udhcpc with option 77 "iPXE" gets the HTTP iPXE script URL', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir));
  t.teardown(() => server.stop());
  const r = await udhcpc('ipxe', ['-x', '0x4d:69505845', '-O', 'bootfile']);
  t.true(r.ok, r.output);
  t.regex(r.env, /boot_file=http:\/\/198\.18\.0\.1:8080\/boot\/ipxe\/02:00:00:00:c0:01\.ipxe/);
});

test('dhclient gets a lease', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir));
  t.teardown(() => server.stop());
  const leaseFile = join(lab.dir, 'dhclient.leases');
  const out = await lab.cli
    .exec('timeout', [
      '30',
      'dhclient',
      '-4',
      '-1',
      '-v',
      '-sf',
      '/bin/true',
      '-lf',
      leaseFile,
      '-pf',
      join(lab.dir, 'dhclient.pid'),
      lab.clientIf,
    ])
    .catch((error: unknown) => String(error));
  // dhclient daemonises after binding; stop it by the PID it wrote.
  const pidFile = join(lab.dir, 'dhclient.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  t.regex(readFileSync(leaseFile, 'utf8'), /fixed-address 198\.18\.0\.100;/, out);
  await server.waitEvent((e) => e.type === 'dhcp.ack', 'dhclient ack');
});

test('perfdhcp through the relay path: 200 exchanges/s with no drops', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir, { printEvents: false }));
  t.teardown(() => server.stop());
  const out = await lab.cli.exec('perfdhcp', [
    '-4',
    '-r',
    '200',
    '-R',
    '1000',
    '-p',
    '5',
    '-l',
    RELAY_CLIENT,
    RELAY_SERVER,
  ]);
  const drops = [...out.matchAll(/drops ratio: ([\d.]+) %/g)].map((m) => Number(m[1]));
  t.is(drops.length, 2, out);
  t.true(
    drops.every((d) => d <= 1),
    out,
  );
  const received = [...out.matchAll(/received packets: (\d+)/g)].map((m) => Number(m[1]));
  t.true((received[0] ?? 0) > 900, out);
});

test('probes T1–T11 each get the RFC 2131 answer', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir));
  t.teardown(() => server.stop());
  const one = async (buf: Buffer, opts: { bindPort?: number } = {}) => probe(lab, [{ buf }], opts);

  // T1: REQUEST for another server → silence
  const t1 = await one(
    req(MessageType.REQUEST, 1, [
      [Opt.SERVER_ID, optIp('198.18.0.254')],
      [Opt.REQUESTED_IP, optIp('198.18.0.105')],
    ]),
  );
  t.is(t1.length, 0, 'T1 silence');
  await server.waitEvent((e) => e.message === 'ignored: request for another server 198.18.0.254', 'T1 event');

  // T2: INIT-REBOOT on a foreign network → NAK (broadcast)
  const t2 = await one(req(MessageType.REQUEST, 2, [[Opt.REQUESTED_IP, optIp('198.51.100.7')]]));
  t.is(t2.length, 1);
  t.is(getMessageType(t2[0]!.packet), MessageType.NAK, 'T2 NAK');

  // DORA for client 3, then T3 RELEASE frees the lease
  const offer = await one(req(MessageType.DISCOVER, 3));
  t.is(getMessageType(offer[0]!.packet), MessageType.OFFER);
  const addr = offer[0]!.packet.yiaddr;
  const ack = await one(
    req(MessageType.REQUEST, 3, [
      [Opt.SERVER_ID, optIp(SERVER)],
      [Opt.REQUESTED_IP, optIp(addr)],
    ]),
  );
  t.is(getMessageType(ack[0]!.packet), MessageType.ACK);
  t.is(getServerId(ack[0]!.packet), SERVER);
  t.is(ack[0]!.from, SERVER);
  const t3 = await one(req(MessageType.RELEASE, 3, [[Opt.SERVER_ID, optIp(SERVER)]], { ciaddr: addr }));
  t.is(t3.length, 0);
  await server.waitEvent(
    (e) => e.type === 'dhcp.release' && e.message === `released ${addr}`,
    'T3 release event',
  );

  // T4: INFORM → ACK without lease, to ciaddr
  const t4 = await one(req(MessageType.INFORM, 4, [], { ciaddr: CLIENT }));
  t.is(t4.length, 1);
  t.is(getMessageType(t4[0]!.packet), MessageType.ACK);
  t.is(t4[0]!.packet.yiaddr, '0.0.0.0');
  t.false(t4[0]!.packet.options.has(Opt.LEASE_TIME));

  // T5: relayed DISCOVER → OFFER unicast to giaddr:67 from the giaddr subnet's pool
  const t5 = await one(req(MessageType.DISCOVER, 5, [], { giaddr: RELAY_CLIENT }), { bindPort: 67 });
  t.is(t5.length, 1);
  t.regex(t5[0]!.packet.yiaddr, /^198\.19\./);
  t.is(t5[0]!.packet.giaddr, RELAY_CLIENT);

  // T6: PAD before the options → OFFER
  const plain = req(MessageType.DISCOVER, 6);
  const padded = Buffer.concat([plain.subarray(0, 240), Buffer.from([0]), plain.subarray(240)]);
  const t6 = await one(padded);
  t.is(getMessageType(t6[0]!.packet), MessageType.OFFER, 'T6');

  // T7: client id with NULs is kept whole (7 bytes in the persisted lease)
  const cid = Buffer.from('0102000000d006', 'hex');
  const o7 = await one(req(MessageType.DISCOVER, 7, [[Opt.CLIENT_ID, cid]]));
  await one(
    req(MessageType.REQUEST, 7, [
      [Opt.CLIENT_ID, cid],
      [Opt.SERVER_ID, optIp(SERVER)],
      [Opt.REQUESTED_IP, optIp(o7[0]!.packet.yiaddr)],
    ]),
  );

  // T8: unknown option 150 → OFFER
  const t8 = await one(req(MessageType.DISCOVER, 8, [[150, Buffer.from([1, 2, 3])]]));
  t.is(getMessageType(t8[0]!.packet), MessageType.OFFER, 'T8');

  // T10: htype 32 / hlen 20 (InfiniBand) → malformed, counted, no crash
  const t10 = await one(req(MessageType.DISCOVER, 10, [], { htype: 32, hlen: 20 }));
  t.is(t10.length, 0);
  await server.waitEvent((e) => e.type === 'dhcp.malformed', 'T10 malformed event');

  // T11: 14 new MACs against what is left of the 11-address pool → offers, then "pool exhausted"
  const t11 = await probe(
    lab,
    Array.from({ length: 14 }, (_, i) => ({ buf: req(MessageType.DISCOVER, 100 + i) })),
    { waitMs: 800 },
  );
  const addresses = new Set(t11.map((r) => r.packet.yiaddr));
  t.is(addresses.size, t11.length, 'no address offered twice');
  t.true(t11.length < 14);
  await server.waitEvent(
    (e) => e.message.startsWith('ignored: pool exhausted: no free address in '),
    'T11 exhaustion event',
  );
  t.is(server.child.exitCode, null, 'server still running');

  const final = await server.stop();
  const leases = JSON.parse(readFileSync(server.options.leaseFile, 'utf8')) as Lease[];
  t.true(
    leases.some((l) => l.clientId === '0102000000d006'),
    'T7 client id persisted whole',
  );
  t.true(((final.stats as { malformed: number }).malformed ?? 0) >= 1);
});

test('decision hook deny: udhcpc gets no lease and the event says why', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir, { deny: [CLIENT_MAC] }));
  t.teardown(() => server.stop());
  const r = await udhcpc('denied', ['-t', '2']);
  t.false(r.ok);
  const ev = await server.waitEvent((e) => e.type === 'dhcp.ignored', 'ignored event');
  t.is(ev.mac, CLIENT_MAC);
  t.is(ev.message, 'ignored: MAC denied by filter: enrolled node is not under introspection');
});

test('proxyDHCP mode answers a PXE client with boot info and no address, on 67 and 4011', async (t) => {
  const server = await startServer(lab, serverOptions(lab.dir, { mode: 'proxy' }));
  t.teardown(() => server.stop());
  const pxe: Array<[number, Buffer]> = [
    [Opt.VENDOR_CLASS, optString('PXEClient:Arch:00007:UNDI:003016')],
    [Opt.CLIENT_ARCH, optU16(7)],
  ];
  const offer = await probe(lab, [{ buf: req(MessageType.DISCOVER, 40, pxe) }]);
  t.is(offer.length, 1);
  const p = offer[0]!.packet;
  t.is(getMessageType(p), MessageType.OFFER);
  t.is(p.yiaddr, '0.0.0.0');
  t.is(p.file, 'grubx64.efi');
  t.is(p.options.get(Opt.VENDOR_CLASS)?.toString(), 'PXEClient');
  const ack = await probe(lab, [{ buf: req(MessageType.REQUEST, 40, pxe, { ciaddr: CLIENT }), port: 4011 }], {
    bindPort: 4011,
  });
  t.is(ack.length, 1);
  t.is(getMessageType(ack[0]!.packet), MessageType.ACK);
  t.is(ack[0]!.port, 4011);
  t.is(ack[0]!.packet.file, 'grubx64.efi');
  const plain = await probe(lab, [{ buf: req(MessageType.DISCOVER, 41) }]);
  t.is(plain.length, 0, 'non-PXE clients are left to the site DHCP server');
  t.is(getIpxeOptions(p), undefined);
});

test('a second server on port 67 fails loudly with ERR_DHCP_BIND', async (t) => {
  const first = await startServer(lab, serverOptions(lab.dir));
  t.teardown(() => first.stop());
  const error = await t.throwsAsync(startServer(lab, serverOptions(lab.dir)));
  t.regex(error?.message ?? '', /ERR_DHCP_BIND/);
  t.is(first.child.exitCode, null);
});
