// Bounded codec/responder fuzz: random datagrams and mutations of captured client packets must
// never throw; decode failures are values and are counted. Runs ≤ 3 s or 50,000 inputs.
import test from 'ava';
import { decode } from '../../../src/dhcp/packet.js';
import { defaultBootFiles } from '../../../src/dhcp/pxe.js';
import { DhcpResponder } from '../../../src/dhcp/responder.js';
import { fixtureNames, loadHex } from './fixtures.js';

/** xorshift32: reproducible runs; the seed is printed on failure. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('fuzz: random and mutated packets never throw from decode or the responder', (t) => {
  const seed = Number(process.env.DHCP_FUZZ_SEED ?? Date.now() % 2 ** 31);
  t.log(`seed ${seed} (DHCP_FUZZ_SEED to replay)`);
  const rand = prng(seed);
  const seeds = fixtureNames().map(loadHex);
  const clock = { now: () => 1_000_000 };
  const responder = new DhcpResponder(
    {
      serverAddress: '198.18.0.1',
      subnets: [
        { cidr: '198.18.0.0/24', rangeStart: '198.18.0.100', rangeEnd: '198.18.0.120', leaseTime: 600 },
        { cidr: '198.19.0.0/16', rangeStart: '198.19.1.0', rangeEnd: '198.19.2.0', leaseTime: 600 },
      ],
      mode: 'full',
      authoritative: true,
      offerTtl: 30,
      declineQuarantine: 60,
      boot: defaultBootFiles,
    },
    { clock },
  );
  const deadline = Date.now() + 3000;
  let inputs = 0;
  let decodeErrors = 0;
  let replies = 0;
  let internalErrors = 0;
  while (inputs < 50_000 && Date.now() < deadline) {
    let buf: Buffer;
    const mode = rand() % 4;
    if (mode === 0) {
      buf = Buffer.alloc(rand() % 700);
      for (let i = 0; i < buf.length; i += 1) buf[i] = rand() & 255;
    } else {
      const base = seeds[rand() % seeds.length] as Buffer;
      buf = Buffer.from(base);
      const flips = 1 + (rand() % 8);
      for (let i = 0; i < flips; i += 1) {
        // Bias mutations towards the options area, where the parser does its work.
        const at = rand() % 2 ? 236 + (rand() % Math.max(1, buf.length - 236)) : rand() % buf.length;
        buf[at] = rand() & 255;
      }
      if (mode === 2) buf = buf.subarray(0, rand() % (buf.length + 1));
      if (mode === 3) buf = Buffer.concat([buf, Buffer.from([rand() & 255, rand() & 255, rand() & 255])]);
    }
    inputs += 1;
    const decoded = decode(buf);
    if (!decoded.ok) decodeErrors += 1;
    const outcome = responder.handleDatagram(buf, { localPort: 67, address: '198.18.0.2', port: 68 });
    if (outcome.stat === 'error') internalErrors += 1;
    if (outcome.reply) {
      replies += 1;
      t.true(outcome.reply.buffer.length >= 300);
    }
  }
  t.log(`${inputs} inputs, ${decodeErrors} decode errors, ${replies} replies`);
  t.true(inputs > 1000);
  t.true(decodeErrors > 0);
  t.is(internalErrors, 0, 'the responder hit an internal error (caught, but a bug)');
});
