// Raw TFTP client for protocol probes the stock clients cannot make: a foreign-TID packet during a
// transfer, and a client that vanishes mid-transfer. Prints one JSON line with what it saw.
import dgram from 'node:dgram';
import { decodePacket, encodeAck, encodeRequest } from '../../../src/tftp/packet.js';

const [scenario = '', server = '', portText = '69', file = ''] = process.argv.slice(2);
const port = Number(portText);
const out = (obj: unknown): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};

const socket = dgram.createSocket('udp4');
const intruder = dgram.createSocket('udp4');
const fail = setTimeout(() => {
  out({ ok: false, reason: 'probe timed out' });
  process.exit(1);
}, 10_000);

let acks = 0;
socket.on('message', (msg, rinfo) => {
  const d = decodePacket(msg);
  if (!d.ok) return;
  const p = d.packet;
  if (p.op === 'error') {
    out({ ok: false, reason: `server error ${p.code} ${p.message}` });
    process.exit(1);
  }
  if (p.op !== 'data' && p.op !== 'oack') return;
  const block = p.op === 'data' ? p.block : 0;
  if (scenario === 'foreign-tid' && block === 1) {
    // A second socket (another port = another TID) pokes the transfer; RFC 1350 §4 wants ERROR 5.
    intruder.on('message', (reply) => {
      const r = decodePacket(reply);
      out({ ok: true, reply: r.ok ? r.packet : null });
      clearTimeout(fail);
      process.exit(0);
    });
    intruder.send(encodeAck(1), rinfo.port, rinfo.address);
    return;
  }
  if (scenario === 'vanish' && acks >= 3) {
    // Stop answering: the server must time the transfer out and reap it.
    out({ ok: true, acked: acks });
    clearTimeout(fail);
    process.exit(0);
  }
  acks += 1;
  socket.send(encodeAck(block), rinfo.port, rinfo.address);
});

socket.send(
  encodeRequest({ op: 'rrq', filename: file, mode: 'octet', options: { blksize: '1024' } }),
  port,
  server,
);
