import test from 'ava';
import { decodePacket, type TftpPacket } from '../../../src/tftp/packet.js';
import {
  defaultLimits,
  negotiate,
  ReadTransfer,
  type SendAction,
  type Step,
  type TransferLimits,
} from '../../../src/tftp/transfer.js';

const ack = (block: number): TftpPacket => ({ op: 'ack', block: block & 0xffff });
const dataBlocks = (step: Step): number[] =>
  step.send.filter((a): a is Extract<SendAction, { kind: 'data' }> => a.kind === 'data').map((a) => a.block);
const decodedPackets = (step: Step): TftpPacket[] =>
  step.send.flatMap((a) => {
    if (a.kind !== 'packet') return [];
    const d = decodePacket(a.bytes);
    return d.ok ? [d.packet] : [];
  });

test('no options: DATA 1 at once, no OACK (RFC 2347: OACK only when an option was asked)', (t) => {
  const tr = new ReadTransfer({}, 1000);
  const step = tr.start();
  t.deepEqual(step.send, [{ kind: 'data', block: 1, offset: 0, length: 512 }]);
  t.is(step.timerMs, 1000);
});

test('unknown options only: no OACK', (t) => {
  const tr = new ReadTransfer({ multicast: '', foo: '1' }, 10);
  t.is(tr.start().send[0]?.kind, 'data');
  t.false(tr.options.oack);
});

test('lock-step: each ACK releases exactly the next block', (t) => {
  const tr = new ReadTransfer({}, 1200);
  t.deepEqual(dataBlocks(tr.start()), [1]);
  t.deepEqual(dataBlocks(tr.onPacket(ack(1))), [2]);
  const last = tr.onPacket(ack(2));
  t.deepEqual(last.send, [{ kind: 'data', block: 3, offset: 1024, length: 176 }]);
  const done = tr.onPacket(ack(3));
  t.is(done.done?.outcome, 'complete');
  t.is(tr.bytesAcked, 1200);
});

test('final empty DATA when size is a multiple of blksize (RFC 1350 §6)', (t) => {
  const tr = new ReadTransfer({}, 1024);
  tr.start();
  tr.onPacket(ack(1));
  const step = tr.onPacket(ack(2));
  t.deepEqual(step.send, [{ kind: 'data', block: 3, offset: 1024, length: 0 }]);
  t.is(tr.onPacket(ack(3)).done?.outcome, 'complete');
});

test('empty file is one empty DATA block', (t) => {
  const tr = new ReadTransfer({}, 0);
  t.deepEqual(tr.start().send, [{ kind: 'data', block: 1, offset: 0, length: 0 }]);
  t.is(tr.onPacket(ack(1)).done?.outcome, 'complete');
});

test('OACK carries the negotiated options and DATA waits for ACK 0', (t) => {
  const tr = new ReadTransfer({ blksize: '1408', tsize: '0' }, 5000);
  const first = tr.start();
  t.deepEqual(decodedPackets(first), [{ op: 'oack', options: { blksize: '1408', tsize: '5000' } }]);
  t.deepEqual(dataBlocks(tr.onPacket(ack(1))), [], 'a stale ACK 1 before ACK 0 is ignored');
  t.deepEqual(tr.onPacket(ack(0)).send, [{ kind: 'data', block: 1, offset: 0, length: 1408 }]);
});

test('ERROR 8 right after OACK (PXE tsize probe) closes quietly', (t) => {
  const tr = new ReadTransfer({ tsize: '0' }, 5000);
  tr.start();
  const step = tr.onPacket({ op: 'error', code: 8, message: 'tsize only' });
  t.is(step.done?.outcome, 'declined');
  t.deepEqual(step.send, [], 'no answer to the ERROR');
});

test('ERROR during data ends the transfer as client-error', (t) => {
  const tr = new ReadTransfer({}, 5000);
  tr.start();
  const step = tr.onPacket({ op: 'error', code: 0, message: 'disk full' });
  t.is(step.done?.outcome, 'client-error');
  t.deepEqual(step.send, []);
});

test('unexpected opcode during the transfer gets ERROR 4 and ends it', (t) => {
  const tr = new ReadTransfer({}, 5000);
  tr.start();
  const step = tr.onPacket({ op: 'data', block: 1, data: Buffer.alloc(1) });
  t.is(step.done?.outcome, 'protocol-error');
  t.like(decodedPackets(step)[0], { op: 'error', code: 4 });
});

test('duplicate ACK does not retransmit (Sorcerer’s Apprentice, RFC 1123 §4.2.3.1)', (t) => {
  const tr = new ReadTransfer({}, 5000);
  tr.start();
  tr.onPacket(ack(1));
  const dup = tr.onPacket(ack(1));
  t.deepEqual(dup.send, []);
  t.is(dup.timerMs, null, 'timer left alone');
  t.is(tr.retransmits, 0);
});

test('duplicate ACK long after the window left resends it (client timed out)', (t) => {
  const tr = new ReadTransfer({}, 5000);
  tr.start(0);
  tr.onPacket(ack(1), 10);
  t.deepEqual(dataBlocks(tr.onPacket(ack(1), 20)), [], 'an immediate duplicate is ignored');
  t.deepEqual(dataBlocks(tr.onPacket(ack(1), 10 + defaultLimits.dupAckHoldoffMs)), [2]);
  t.is(tr.retransmits, 1);
  t.deepEqual(dataBlocks(tr.onPacket(ack(1), 20 + defaultLimits.dupAckHoldoffMs)), [], 'hold-off restarts');
});

test('windowsize 4: a window of 4 blocks per ACK, sliding from the ACKed block', (t) => {
  const tr = new ReadTransfer({ windowsize: '4' }, 512 * 10 + 1);
  tr.start();
  t.deepEqual(dataBlocks(tr.onPacket(ack(0))), [1, 2, 3, 4]);
  t.deepEqual(dataBlocks(tr.onPacket(ack(4))), [5, 6, 7, 8]);
  t.deepEqual(dataBlocks(tr.onPacket(ack(10))), [], 'ACK beyond sent blocks is treated as older (stale)');
  t.deepEqual(dataBlocks(tr.onPacket(ack(8))), [9, 10, 11]);
  t.is(tr.onPacket(ack(11)).done?.outcome, 'complete');
});

test('windowsize: an ACK inside the window (gap) resends from ack+1 (RFC 7440 §4)', (t) => {
  const tr = new ReadTransfer({ windowsize: '4' }, 512 * 20);
  tr.start();
  tr.onPacket(ack(0));
  t.deepEqual(dataBlocks(tr.onPacket(ack(2))), [3, 4, 5, 6]);
  t.is(tr.retransmits, 2, 'blocks 3 and 4 went out twice');
});

test('timeout resends the whole window from the last ACK, with exponential back-off', (t) => {
  const limits: TransferLimits = { ...defaultLimits, timeoutMs: 100, maxTimeoutMs: 350 };
  const tr = new ReadTransfer({ windowsize: '3' }, 512 * 20, limits);
  tr.start();
  tr.onPacket(ack(0));
  tr.onPacket(ack(3));
  const timers: Array<number | null> = [];
  for (let i = 0; i < 3; i++) {
    const step = tr.onTimeout();
    t.deepEqual(dataBlocks(step), [4, 5, 6]);
    timers.push(step.timerMs);
  }
  t.deepEqual(timers, [200, 350, 350], 'doubling, capped at maxTimeoutMs');
  t.is(tr.retransmits, 9);
  t.deepEqual(dataBlocks(tr.onPacket(ack(6))), [7, 8, 9]);
  t.is(tr.onPacket(ack(9)).timerMs, 100, 'progress resets the back-off');
});

test('timeout gives up once the client made no progress for idleTimeoutMs', (t) => {
  const tr = new ReadTransfer({}, 5000, { ...defaultLimits, idleTimeoutMs: 3000 });
  tr.start(0);
  t.is(tr.onTimeout(1000).done, undefined);
  tr.onPacket(ack(1), 1500);
  t.is(tr.onTimeout(4000).done, undefined, 'progress at 1500 ms restarted the idle clock');
  t.is(tr.onTimeout(4500).done?.outcome, 'timeout');
  t.deepEqual(tr.onTimeout(9000).send, [], 'inert once done');
});

const stallCases: Array<[string, Record<string, string>, number[], RegExp]> = [
  [
    'an unacknowledged OACK points at a firewall passing only port 69',
    { tsize: '0' },
    [],
    /never acknowledged the OACK.*only passes port 69/,
  ],
  [
    'an acknowledged OACK and a silent big block points at the path MTU',
    { blksize: '1468' },
    [0],
    /never DATA block 1 \(1468 bytes\): a path MTU below 1500/,
  ],
  [
    'no options and no ACK of block 1 points at a firewall',
    {},
    [],
    /never acknowledged DATA block 1.*only passes port 69/,
  ],
  [
    'a stall mid-file names the last block acknowledged',
    {},
    [1, 2],
    /stopped acknowledging after block 2 of 10/,
  ],
];
for (const [title, options, acks, reason] of stallCases) {
  test(`timeout reason: ${title}`, (t) => {
    const tr = new ReadTransfer(options, 512 * 9 + 100, { ...defaultLimits, idleTimeoutMs: 1000 });
    tr.start(0);
    for (const block of acks) tr.onPacket(ack(block), 0);
    t.regex(tr.onTimeout(5000).done?.reason ?? '', reason);
  });
}

test('the retransmission timer adapts to the measured RTT (RFC 6298), floored', (t) => {
  const tr = new ReadTransfer({}, 512 * 100, { ...defaultLimits, minTimeoutMs: 20 });
  t.is(tr.start(0).timerMs, 1000, 'no sample yet: the default');
  let now = 0;
  let step = tr.onPacket(ack(1), (now += 2));
  for (let b = 2; b < 10; b++) step = tr.onPacket(ack(b), (now += 2));
  t.is(step.timerMs, 20, 'a 2 ms RTT gives the 20 ms floor');
  t.is(tr.onTimeout(now + 20).timerMs, 40, 'then doubles per timeout');
});

test('OACK is retransmitted on timeout', (t) => {
  const tr = new ReadTransfer({ blksize: '1024' }, 5000);
  tr.start();
  t.like(decodedPackets(tr.onTimeout())[0], { op: 'oack' });
  t.is(tr.retransmits, 1);
});

test('negotiated timeout option sets the retransmission base (RFC 2349 §3)', (t) => {
  const tr = new ReadTransfer({ timeout: '3' }, 10);
  t.is(tr.start().timerMs, 3000);
});

test('block numbers roll over after 65535 (simulated > 65535 blocks)', (t) => {
  const blocks = 70000;
  const tr = new ReadTransfer({ blksize: '8', windowsize: '64' }, 8 * blocks + 3);
  tr.start();
  let step = tr.onPacket(ack(0));
  let acked = 0;
  let sentMax = 0;
  let guard = 0;
  while (!step.done && guard++ < 10_000) {
    const ds = dataBlocks(step);
    sentMax = Math.max(sentMax, ...ds);
    acked = ds[ds.length - 1] ?? acked;
    step = tr.onPacket(ack(acked & 0xffff));
  }
  t.is(step.done?.outcome, 'complete');
  t.is(sentMax, blocks + 1);
  t.is(tr.bytesAcked, 8 * blocks + 3);
});

test('lock-step rollover: ACK 0 after block 65535 means block 65536', (t) => {
  const tr = new ReadTransfer({ blksize: '8' }, 8 * 65540);
  tr.start();
  tr.onPacket(ack(0)); // the OACK's acknowledgement
  for (let b = 1; b <= 65535; b++) tr.onPacket(ack(b));
  const step = tr.onPacket(ack(0));
  t.deepEqual(step.send, [{ kind: 'data', block: 65537, offset: 8 * 65536, length: 8 }]);
});

const bounds: Array<[string, Record<string, string>, Partial<ReturnType<typeof negotiate>['oack']>]> = [
  ['blksize oversized is capped at the configured maximum', { blksize: '65464' }, { blksize: '1468' }],
  ['blksize above RFC maximum is capped', { blksize: '99999' }, { blksize: '1468' }],
  ['blksize below 8 is ignored', { blksize: '7' }, {}],
  ['blksize non-numeric is ignored', { blksize: '12x' }, {}],
  ['blksize in range is accepted', { blksize: '1408' }, { blksize: '1408' }],
  ['timeout 0 is ignored', { timeout: '0' }, {}],
  ['timeout 256 is ignored', { timeout: '256' }, {}],
  ['timeout 255 is accepted', { timeout: '255' }, { timeout: '255' }],
  ['windowsize 0 is ignored', { windowsize: '0' }, {}],
  ['windowsize 1000 is capped at 64', { windowsize: '1000' }, { windowsize: '64' }],
  ['tsize answers the real size', { tsize: '0' }, { tsize: '777' }],
  ['negative numbers are ignored', { blksize: '-1', windowsize: '-4' }, {}],
];

for (const [title, requested, expected] of bounds) {
  test(`negotiate: ${title}`, (t) => {
    t.deepEqual({ ...negotiate(requested, 777, defaultLimits).oack }, expected);
  });
}

test('negotiate: configured blksize cap above 1468 is honoured', (t) => {
  const r = negotiate({ blksize: '65464' }, 1, { ...defaultLimits, maxBlksize: 65464 });
  t.is(r.options.blksize, 65464);
});
