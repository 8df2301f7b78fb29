// Crafted-packet DHCP client for the integration probes (T1–T11): sends hex datagrams from a
// bound port inside the client namespace and prints every datagram received within waitMs.
import { createSocket } from 'node:dgram';

interface ProbeSpec {
  bindPort: number;
  sends: Array<{ hex: string; address: string; port: number }>;
  waitMs: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ProbeSpec;
const socket = createSocket({ type: 'udp4', reuseAddr: true });
const replies: Array<{ from: string; port: number; hex: string }> = [];
socket.on('message', (msg, rinfo) =>
  replies.push({ from: rinfo.address, port: rinfo.port, hex: msg.toString('hex') }),
);
socket.bind(spec.bindPort, '0.0.0.0', () => {
  socket.setBroadcast(true);
  for (const s of spec.sends) socket.send(Buffer.from(s.hex, 'hex'), s.port, s.address);
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ replies })}\n`);
    socket.close();
  }, spec.waitMs);
});
