// Real LLDP frames: Debian's lldpd advertises on a veth in one namespace, tcpdump captures the
// frame in the other, and the parser must read what lldpd was configured to send.
import test from 'ava';
import { mkdtempSync, chmodSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, link, requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import { parseLldpTlvs, splitLldpdu } from '../../../src/pipeline/lldp/parse.js';
import { localLinkConnection } from '../../../src/pipeline/lldp/local-link-connection.js';

/** LLDPDUs of a classic pcap stream (little- or big-endian, Ethernet link type). */
function lldpdusFromPcap(buf: Buffer): Buffer[] {
  if (buf.length < 24) return [];
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const out: Buffer[] = [];
  for (let at = 24; at + 16 <= buf.length;) {
    const caplen = le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
    const frame = buf.subarray(at + 16, at + 16 + caplen);
    at += 16 + caplen;
    if (frame.length > 14 && frame.readUInt16BE(12) === 0x88cc) out.push(frame.subarray(14));
  }
  return out;
}

test('lldp_processed from a frame sent by a real lldpd', async (t) => {
  await requireTools('lldpd', 'tcpdump');
  const sw = await Netns.create('isw');
  const node = await Netns.create('ind');
  const work = mkdtempSync(join(tmpdir(), 'inspectord-lldpd-'));
  t.teardown(async () => {
    await sw.destroy();
    await node.destroy();
    rmSync(work, { recursive: true, force: true });
  });
  chmodSync(work, 0o755); // lldpd's privilege-separated child (_lldpd) opens its socket here
  const { aIf, bIf } = await link(sw, '198.18.6.1/24', node, '198.18.6.2/24', { aMac: '02:00:00:00:00:0b' });
  writeFileSync(
    join(work, 'lldpd.conf'),
    [
      'configure system hostname tor-lab-1',
      'configure system description "inspectord integration switch"',
      `configure ports ${aIf} lldp portdescription "to node eth0"`,
      'configure lldp portidsubtype ifname',
      '',
    ].join('\n'),
  );

  const chunks: Buffer[] = [];
  const tcpdump = node.spawn('tcpdump', ['-i', bIf, '-c', '1', '-U', '-w', '-', 'ether', 'proto', '0x88cc']);
  tcpdump.stdout?.on('data', (d: Buffer) => chunks.push(d));
  const tcpdumpDone = new Promise<void>((resolve) => tcpdump.on('exit', () => resolve()));
  let tcpdumpErr = '';
  tcpdump.stderr?.on('data', (d: Buffer) => (tcpdumpErr += d.toString()));
  await waitFor(() => tcpdumpErr.includes('listening'), 'tcpdump to start', 10_000);

  sw.spawn('lldpd', [
    '-d',
    '-u',
    join(work, 'lldpd.sock'),
    '-p',
    join(work, 'lldpd.pid'),
    '-O',
    join(work, 'lldpd.conf'),
    '-I',
    aIf,
    '-m',
    '198.18.6.1',
  ]);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    tcpdumpDone,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('no LLDP frame from lldpd within 20 s')), 20_000);
    }),
  ]).finally(() => clearTimeout(timer));

  const pdus = lldpdusFromPcap(Buffer.concat(chunks));
  t.is(pdus.length, 1);
  const split = splitLldpdu(pdus[0] ?? Buffer.alloc(0));
  t.deepEqual(split.warnings, []);
  const parsed = parseLldpTlvs(split.tlvs);
  t.deepEqual(parsed.warnings, []);
  t.like(parsed.processed, {
    switch_chassis_id: '02:00:00:00:00:0b',
    switch_port_id: aIf,
    switch_port_description: 'to node eth0',
    switch_system_name: 'tor-lab-1',
    switch_system_description: 'inspectord integration switch',
    switch_mgmt_addresses: ['198.18.6.1'],
  });
  t.deepEqual(localLinkConnection(parsed), {
    switch_id: '02:00:00:00:00:0b',
    port_id: aIf,
    switch_info: 'tor-lab-1',
  });
});
