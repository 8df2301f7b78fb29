// Fuzz target: the TFTP codec (src/tftp/packet.ts) and read-transfer engine (transfer.ts). Inputs
// are random datagrams, mutated real requests (tftp-hpa, iPXE, PXE ROM shapes) and random packet /
// timeout sequences against a transfer. Properties: no throw, decode∘encode is stable, every
// packet the engine sends re-decodes, every DATA action lies inside the file, and a transfer
// still completes once the client behaves.
import test from 'ava';
import {
  decodePacket,
  encodeAck,
  encodeError,
  encodeOack,
  encodeRequest,
  MAX_PACKET,
  type TftpPacket,
} from '../../../src/tftp/packet.js';
import { defaultLimits, ReadTransfer, type Step } from '../../../src/tftp/transfer.js';
import { check, fuzzBudget, fuzzLoop, mutateBytes, randomBuffer, type Rng } from '../../helpers/fuzz.js';

const budget = () => fuzzBudget({ seconds: 3, iterations: 50_000 });

/** Request shapes real clients send (tftp-hpa, iPXE, PXE ROM tsize probe, curl windowsize). */
const seeds: Buffer[] = [
  encodeRequest({
    op: 'rrq',
    filename: 'pxelinux.0',
    mode: 'octet',
    options: { tsize: '0', blksize: '1408' },
  }),
  encodeRequest({ op: 'rrq', filename: 'pxelinux.cfg/01-52-54-00-12-34-56', mode: 'octet' }),
  encodeRequest({ op: 'rrq', filename: '/grub/grub.cfg', mode: 'netascii', options: { timeout: '5' } }),
  encodeRequest({
    op: 'rrq',
    filename: 'x',
    mode: 'octet',
    options: { windowsize: '16', blksize: '65464', tsize: '0' },
  }),
  encodeRequest({ op: 'wrq', filename: 'upload', mode: 'octet' }),
  Buffer.from('\0\x01..\\..\\etc\\passwd\0OCTET\0BLKSIZE\x0099999999999\0', 'latin1'),
  encodeAck(0),
  encodeAck(65535),
  encodeError(8, 'tsize probe done'),
  encodeOack({ blksize: '1468', tsize: '1234' }),
  Buffer.from('\0\x03\0\x01abc', 'latin1'),
];

function input(rng: Rng): Buffer {
  return rng.chance(0.3) ? randomBuffer(rng, 600) : mutateBytes(rng, rng.pick(seeds), seeds);
}

/** The packet as it should come back from an encode (options: first occurrence, lower-case). */
function reencode(p: TftpPacket): Buffer | null {
  switch (p.op) {
    case 'rrq':
    case 'wrq':
      return encodeRequest(p);
    case 'ack':
      return encodeAck(p.block);
    case 'error':
      return encodeError(p.code, p.message);
    case 'oack':
      return encodeOack(p.options);
    case 'data':
      return null;
  }
}

test.serial('decode never throws and a decoded packet re-encodes to the same packet', async (t) => {
  const stats = await fuzzLoop(t, 'tftp.decode', budget(), (rng) => {
    const buf = input(rng);
    const d = decodePacket(buf);
    if (!d.ok) {
      check(d.reason.length > 0, 'a rejection has a reason');
      return 'rejected';
    }
    const again = reencode(d.packet);
    if (again) {
      const d2 = decodePacket(again);
      check(d2.ok, `re-encoded ${d.packet.op} does not decode`);
      check(
        JSON.stringify(d2.packet) === JSON.stringify(d.packet),
        `${d.packet.op} changed over encode/decode`,
      );
    }
    return 'accepted';
  });
  t.true(stats.rejected > 0);
  t.true(stats.accepted > 0);
});

/** Engine invariants on one step's output. */
function checkStep(tr: ReadTransfer, step: Step, doneBefore: boolean): void {
  if (doneBefore) check(step.send.length === 0 && step.timerMs === null, 'a finished transfer sends nothing');
  if (step.timerMs !== null) {
    check(Number.isFinite(step.timerMs) && step.timerMs > 0, `timer ${step.timerMs}`);
    check(step.timerMs <= Math.max(defaultLimits.maxTimeoutMs, 255_000), `timer ${step.timerMs} too long`);
  }
  const { blksize, windowsize } = tr.options;
  check(step.send.filter((s) => s.kind === 'data').length <= windowsize, 'at most one window per step');
  for (const s of step.send) {
    if (s.kind === 'packet') {
      const d = decodePacket(s.bytes);
      check(d.ok, 'the engine sent an undecodable packet');
      check(d.packet.op === 'oack' || d.packet.op === 'error', `engine sent ${d.packet.op}`);
      if (d.packet.op === 'oack') {
        for (const [k, v] of Object.entries(d.packet.options)) {
          check(/^\d+$/.test(v), `OACK ${k}=${v} is not a number`);
          if (k === 'blksize')
            check(Number(v) >= 8 && Number(v) <= defaultLimits.maxBlksize, `OACK blksize ${v}`);
          if (k === 'windowsize')
            check(Number(v) >= 1 && Number(v) <= defaultLimits.maxWindowsize, `OACK windowsize ${v}`);
          if (k === 'timeout') check(Number(v) >= 1 && Number(v) <= 255, `OACK timeout ${v}`);
          if (k === 'tsize') check(Number(v) === tr.size, 'OACK tsize is the file size');
        }
      }
    } else {
      check(s.block >= 1 && s.block <= tr.totalBlocks, `DATA block ${s.block} outside 1..${tr.totalBlocks}`);
      check(s.offset === (s.block - 1) * blksize, 'DATA offset matches its block');
      check(s.length >= 0 && s.length <= blksize && s.offset + s.length <= tr.size, 'DATA inside the file');
      if (s.block === tr.totalBlocks) check(s.length < blksize, 'the last block is short (RFC 1350 §6)');
      else check(s.length === blksize, 'a non-final block is full');
    }
  }
}

/** A well-behaved client: ACKs the highest contiguous block (16-bit wire value), OACK with ACK 0. */
function driveToEnd(tr: ReadTransfer, first: Step, now: number): { steps: number; outcome?: string } {
  let step = first;
  let steps = 0;
  // The next absolute block the client expects: the fuzz phase may have acknowledged blocks, so
  // the client joins at the first block the engine resends.
  let next = -1;
  while (!tr.isDone && steps < 200_000) {
    steps += 1;
    let ack = -1;
    for (const s of step.send) {
      if (s.kind === 'packet') {
        const d = decodePacket(s.bytes);
        if (d.ok && d.packet.op === 'oack') ack = 0;
      } else if (next < 0 || s.block === next) {
        next = s.block + 1;
        ack = s.block;
      }
    }
    now += 1;
    const done = tr.isDone;
    step = ack < 0 ? tr.onTimeout(now) : tr.onPacket({ op: 'ack', block: ack & 0xffff }, now);
    checkStep(tr, step, done);
  }
  return { steps, outcome: step.done?.outcome };
}

function options(rng: Rng): Record<string, string> {
  // Either a decoded mutated request's options, or hand-picked edge values.
  if (rng.chance(0.3)) {
    const d = decodePacket(mutateBytes(rng, rng.pick(seeds.slice(0, 4)), seeds));
    if (d.ok && (d.packet.op === 'rrq' || d.packet.op === 'wrq')) return d.packet.options;
  }
  const out: Record<string, string> = {};
  const edge = (values: string[]) => rng.pick(values);
  if (rng.chance(0.6))
    out.blksize = edge([
      '0',
      '7',
      '8',
      '512',
      '1408',
      '1468',
      '1469',
      '65464',
      '65465',
      '-1',
      '1e3',
      ' 512',
      '99999999999',
    ]);
  if (rng.chance(0.5)) out.windowsize = edge(['0', '1', '2', '16', '64', '65', '65535', '65536', 'x']);
  if (rng.chance(0.4)) out.tsize = edge(['0', '1', '', '00']);
  if (rng.chance(0.3)) out.timeout = edge(['0', '1', '255', '256', '3.5']);
  return out;
}

test.serial('the transfer engine survives random packets and timeouts and still completes', async (t) => {
  let completed = 0;
  const stats = await fuzzLoop(t, 'tftp.transfer', budget(), (rng) => {
    // Sizes around block boundaries, and sometimes past the 16-bit block-number roll-over.
    const size = rng.chance(0.02)
      ? rng.range(65536 * 8, 65540 * 8)
      : rng.pick([0, 1, 511, 512, 513, rng.int(100_000)]);
    const tr = new ReadTransfer(options(rng), size);
    let now = rng.int(1000);
    let step = tr.start(now);
    checkStep(tr, step, false);
    let inputs = 0;
    let rejected = 0;
    for (let n = rng.int(60); n > 0 && !tr.isDone; n--) {
      now += rng.pick([0, 1, 10, 300, 5000]);
      const done = tr.isDone;
      if (rng.chance(0.15)) {
        step = tr.onTimeout(now);
      } else {
        inputs += 1;
        // Mostly ACKs near the window (duplicates, gaps, stale, wrapped), sometimes any datagram.
        const buf = rng.chance(0.7)
          ? encodeAck(rng.int(tr.totalBlocks + 3) + rng.pick([0, 0, 65536, -1]))
          : input(rng);
        const d = decodePacket(buf);
        if (!d.ok) {
          rejected += 1;
          continue;
        }
        if (d.packet.op === 'error' && rng.chance(0.8)) continue; // keep most transfers alive
        step = tr.onPacket(d.packet, now);
      }
      checkStep(tr, step, done);
    }
    if (!tr.isDone && size < 65536 * 8 * 2) {
      const resume = tr.onTimeout(now + 1);
      // Past the idle limit the engine rightly gives up; otherwise the client must get the file.
      if (resume.done?.outcome === 'timeout') return { inputs, rejected };
      const end = driveToEnd(tr, resume, now + 1);
      check(
        end.outcome === 'complete',
        `a behaving client did not complete the transfer (${end.outcome ?? 'no end'} after ${end.steps} steps)`,
      );
      check(tr.bytesAcked === size, 'all bytes acknowledged');
      completed += 1;
    }
    return { inputs, rejected };
  });
  t.log(`tftp.transfer: ${completed} transfers driven to completion after the fuzz phase`);
  t.true(completed > 0);
  t.true(stats.rejected > 0);
});

test.serial('an idle transfer ends with a timeout, never a tight loop', (t) => {
  const tr = new ReadTransfer({ blksize: '1468' }, 10_000);
  tr.start(0);
  let now = 0;
  let steps = 0;
  while (!tr.isDone && steps < 1000) {
    const step = tr.onTimeout(now);
    now += step.timerMs ?? 0;
    steps += 1;
  }
  t.true(tr.isDone);
  t.true(steps < 50, `${steps} timeouts`);
  t.is(MAX_PACKET, 65468);
});
