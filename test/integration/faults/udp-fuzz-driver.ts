// Runs inside the client namespace of udp.test.ts: sends seeded random and mutated DHCP/TFTP
// datagrams (mutations of captured packets, test/helpers/fuzz.ts) to the daemon and prints one JSON
// line with how many were sent and how many our own decoders reject, so the test can compare that
// with the daemon's malformed-packet counters. `probe` sends one datagram and reports the answer.
import dgram from 'node:dgram';
import { decode as decodeDhcp } from '../../../src/dhcp/packet.js';
import { decodePacket, encodeError, encodeRequest, Opcode } from '../../../src/tftp/packet.js';
import { dhcpOptionLayout, mutateBytes, randomBuffer, Rng } from '../../helpers/fuzz.js';
import { fixtureNames, loadHex } from '../../unit/dhcp/fixtures.js';

interface Job {
  mode: 'dhcp' | 'tftp-listener' | 'tftp-transfer' | 'probe';
  server: string;
  port: number;
  count?: number;
  seed?: number;
  /** tftp-transfer: the file to open a transfer on; probe: the datagram in hex. */
  file?: string;
  hex?: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const out = (obj: unknown): void => void process.stdout.write(`${JSON.stringify(obj)}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const rng = new Rng(job.seed ?? 1);

function open(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, () => resolve(socket)));
}

function send(socket: dgram.Socket, buf: Buffer, port = job.port): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(buf, port, job.server, (error) => (error ? reject(error) : resolve())),
  );
}

/** Paced: a burst must not overflow the daemon's receive buffer, or counts would not be exact. */
async function pace(i: number): Promise<void> {
  if (i % 10 === 9) await sleep(1);
}

/** Every transfer the fuzz opens by accident is ended at once with an ERROR (no 30 s reaping). */
function endTransfers(socket: dgram.Socket): void {
  socket.on('message', (msg, rinfo) => {
    const d = decodePacket(msg);
    if (d.ok && (d.packet.op === 'oack' || d.packet.op === 'data') && rinfo.port !== job.port) {
      socket.send(encodeError(0, 'fuzz client ends it'), rinfo.port, rinfo.address);
    }
  });
}

const tftpSeeds: Buffer[] = [
  encodeRequest({
    op: 'rrq',
    filename: 'pxelinux.0',
    mode: 'octet',
    options: { tsize: '0', blksize: '1408' },
  }),
  encodeRequest({ op: 'rrq', filename: 'discovery.kernel', mode: 'octet' }),
  encodeRequest({ op: 'rrq', filename: 'pxelinux.cfg/01-52-54-00-12-34-56', mode: 'netascii' }),
  encodeRequest({ op: 'rrq', filename: 'x', mode: 'octet', options: { windowsize: '16', blksize: '65464' } }),
  encodeRequest({ op: 'wrq', filename: 'upload', mode: 'octet' }),
  Buffer.from('\0\x04\0\x01', 'latin1'), // ACK
  Buffer.from('\0\x05\0\x08tsize probe\0', 'latin1'), // ERROR
  Buffer.from('\0\x03\0\x01abc', 'latin1'), // DATA
];

async function fuzzDhcp(): Promise<void> {
  const seeds = fixtureNames().map(loadHex);
  const layout = dhcpOptionLayout(240);
  const socket = await open();
  let undecodable = 0;
  for (let i = 0; i < (job.count ?? 0); i++) {
    const buf = rng.chance(0.2) ? randomBuffer(rng, 700) : mutateBytes(rng, rng.pick(seeds), seeds, layout);
    if (!decodeDhcp(buf).ok) undecodable += 1;
    await send(socket, buf);
    await pace(i);
  }
  socket.close();
  out({ sent: job.count, undecodable });
}

async function fuzzTftpListener(): Promise<void> {
  const socket = await open();
  endTransfers(socket);
  let undecodable = 0;
  for (let i = 0; i < (job.count ?? 0); i++) {
    const buf = rng.chance(0.3) ? randomBuffer(rng, 600) : mutateBytes(rng, rng.pick(tftpSeeds), tftpSeeds);
    if (!decodePacket(buf).ok) undecodable += 1;
    await send(socket, buf);
    await pace(i);
  }
  await sleep(500); // answer the OACKs of the last requests
  socket.close();
  out({ sent: job.count, undecodable });
}

/** The server's fast path takes anything shaped like an ACK without decoding it. */
function isUndecodableOnTransfer(buf: Buffer): boolean {
  if (buf.length >= 4 && buf[0] === 0 && buf[1] === Opcode.ACK) return false;
  return !decodePacket(buf).ok;
}

async function fuzzTftpTransfer(): Promise<void> {
  const socket = await open();
  const intruder = await open();
  const first = new Promise<dgram.RemoteInfo>((resolve) =>
    socket.once('message', (_m, rinfo) => resolve(rinfo)),
  );
  await send(
    socket,
    encodeRequest({ op: 'rrq', filename: job.file ?? '', mode: 'octet', options: { blksize: '1468' } }),
  );
  const transfer = await Promise.race([first, sleep(5000).then(() => null)]);
  if (!transfer) throw new Error('no OACK for the transfer to fuzz');
  let undecodable = 0;
  let foreign = 0;
  for (let i = 0; undecodable < (job.count ?? 0); i++) {
    const buf = rng.chance(0.3) ? randomBuffer(rng, 600) : mutateBytes(rng, rng.pick(tftpSeeds), tftpSeeds);
    if (!isUndecodableOnTransfer(buf)) continue; // a decodable packet would drive the transfer on
    undecodable += 1;
    await send(socket, buf, transfer.port);
    if (i % 10 === 0) {
      // The same junk from another port: a foreign TID (RFC 1350 §4), answered with ERROR 5.
      foreign += 1;
      await send(intruder, buf, transfer.port);
    }
    await pace(i);
  }
  await sleep(200);
  await send(socket, encodeError(0, 'fuzz client ends it'), transfer.port);
  socket.close();
  intruder.close();
  out({ undecodable, foreign });
}

async function probe(): Promise<void> {
  const socket = await open();
  const reply = new Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo } | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 3000);
    socket.once('message', (msg, rinfo) => {
      clearTimeout(timer);
      resolve({ msg, rinfo });
    });
  });
  await send(socket, Buffer.from(job.hex ?? '', 'hex'));
  const got = await reply;
  if (got === null) {
    out({ reply: null });
  } else {
    const d = decodePacket(got.msg);
    const packet = d.ok ? d.packet : null;
    if (packet && (packet.op === 'oack' || packet.op === 'data')) {
      await send(socket, encodeError(0, 'probe done'), got.rinfo.port);
    }
    out({
      reply:
        packet && packet.op === 'data'
          ? { op: 'data', block: packet.block, length: packet.data.length }
          : packet,
      bytes: got.msg.length,
    });
  }
  socket.close();
}

const modes = { dhcp: fuzzDhcp, 'tftp-listener': fuzzTftpListener, 'tftp-transfer': fuzzTftpTransfer, probe };
modes[job.mode]().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
