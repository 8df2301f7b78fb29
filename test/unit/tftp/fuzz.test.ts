// Bounded fuzz: random and mutated real packets through the decoder and the transfer engine.
import test from 'ava';
import { decodePacket, encodeAck, encodeError, encodeRequest } from '../../../src/tftp/packet.js';
import { ReadTransfer } from '../../../src/tftp/transfer.js';

/** Small deterministic PRNG (mulberry32) so a failure can be replayed from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds: Buffer[] = [
  encodeRequest({
    op: 'rrq',
    filename: 'pxelinux.0',
    mode: 'octet',
    options: { tsize: '0', blksize: '1408' },
  }),
  encodeRequest({ op: 'rrq', filename: 'x', mode: 'octet', options: { windowsize: '16', timeout: '2' } }),
  encodeAck(1),
  encodeError(8, 'probe'),
  Buffer.from('\0\x06blksize\x001468\0', 'latin1'),
  Buffer.from('\0\x03\0\x01abc', 'latin1'),
];

function mutate(rand: () => number, input: Buffer): Buffer {
  const buf = Buffer.from(input);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const pick = rand();
    const at = Math.floor(rand() * Math.max(1, buf.length));
    if (pick < 0.5 && buf.length > 0) buf[at] = Math.floor(rand() * 256);
    else if (pick < 0.75) return buf.subarray(0, at);
    else return Buffer.concat([buf, Buffer.from([Math.floor(rand() * 256), 0])]);
  }
  return buf;
}

test('decoder never throws on random or mutated input (bounded)', (t) => {
  const rand = prng(0x7f7f);
  const deadline = Date.now() + 1500;
  let n = 0;
  while (Date.now() < deadline && n < 200_000) {
    const input =
      rand() < 0.5
        ? Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)))
        : mutate(rand, seeds[Math.floor(rand() * seeds.length)] as Buffer);
    t.notThrows(() => decodePacket(input));
    n++;
  }
  t.true(n > 1000);
});

test('engine survives random packet and timeout sequences without throwing', (t) => {
  const rand = prng(0xbeef);
  const deadline = Date.now() + 1500;
  let runs = 0;
  while (Date.now() < deadline && runs < 5_000) {
    const options: Record<string, string> = {};
    if (rand() < 0.5) options.blksize = String(Math.floor(rand() * 70000) - 10);
    if (rand() < 0.5) options.windowsize = String(Math.floor(rand() * 80));
    if (rand() < 0.3) options.tsize = '0';
    if (rand() < 0.3) options.timeout = String(Math.floor(rand() * 300));
    const size = Math.floor(rand() * 20000);
    const tr = new ReadTransfer(options, size);
    t.notThrows(() => {
      tr.start();
      for (let i = 0; i < 200 && !tr.isDone; i++) {
        const r = rand();
        if (r < 0.1) tr.onTimeout();
        else {
          const d = decodePacket(mutate(rand, seeds[Math.floor(rand() * seeds.length)] as Buffer));
          if (d.ok) tr.onPacket(d.packet);
          else tr.onPacket({ op: 'ack', block: Math.floor(rand() * 65536) });
        }
      }
    });
    runs++;
  }
  t.true(runs > 100);
});
