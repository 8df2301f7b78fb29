import test from 'ava';
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodeRequest,
  type TftpPacket,
} from '../../../src/tftp/packet.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const good: Array<[string, Buffer, TftpPacket]> = [
  [
    'RRQ with options, names lower-cased (RFC 2347 §2)',
    Buffer.from('\0\x01pxelinux.0\0octet\0TSIZE\x000\0blksize\x001408\0', 'latin1'),
    { op: 'rrq', filename: 'pxelinux.0', mode: 'octet', options: { tsize: '0', blksize: '1408' } },
  ],
  [
    'RRQ mode is case-insensitive (RFC 1350 §5)',
    Buffer.from('\0\x01f\0OCTET\0', 'latin1'),
    { op: 'rrq', filename: 'f', mode: 'octet', options: {} },
  ],
  [
    'RRQ duplicate option: first wins',
    Buffer.from('\0\x01f\0octet\0blksize\x00512\0blksize\x001024\0', 'latin1'),
    { op: 'rrq', filename: 'f', mode: 'octet', options: { blksize: '512' } },
  ],
  [
    'WRQ',
    Buffer.from('\0\x02up\0octet\0', 'latin1'),
    { op: 'wrq', filename: 'up', mode: 'octet', options: {} },
  ],
  ['DATA', hex('0003 0102 aabbcc'), { op: 'data', block: 0x0102, data: hex('aabbcc') }],
  ['DATA empty (final block)', hex('0003 ffff'), { op: 'data', block: 0xffff, data: Buffer.alloc(0) }],
  ['ACK', hex('0004 0007'), { op: 'ack', block: 7 }],
  ['ACK with padding tolerated', hex('0004 0007 0000'), { op: 'ack', block: 7 }],
  [
    'ERROR 8 (RFC 2347 option refusal)',
    Buffer.from('\0\x05\0\x08tsize probe\0', 'latin1'),
    { op: 'error', code: 8, message: 'tsize probe' },
  ],
  [
    'ERROR without terminator tolerated',
    Buffer.from('\0\x05\0\x01nope', 'latin1'),
    { op: 'error', code: 1, message: 'nope' },
  ],
  [
    'OACK',
    Buffer.from('\0\x06blksize\x001468\0tsize\x00123\0', 'latin1'),
    { op: 'oack', options: { blksize: '1468', tsize: '123' } },
  ],
];

for (const [title, bytes, expected] of good) {
  test(`decode: ${title}`, (t) => {
    const r = decodePacket(bytes);
    t.true(r.ok);
    if (r.ok)
      t.deepEqual(
        { ...r.packet, ...('options' in r.packet ? { options: { ...r.packet.options } } : {}) },
        expected,
      );
  });
}

const bad: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['one byte', hex('00')],
  ['unknown opcode 0', hex('0000')],
  ['unknown opcode 7', hex('0007 0000')],
  ['RRQ without mode', Buffer.from('\0\x01file\0', 'latin1')],
  ['RRQ unterminated filename', Buffer.from('\0\x01file', 'latin1')],
  ['RRQ unterminated option value', Buffer.from('\0\x01f\0octet\0blksize\x001468', 'latin1')],
  ['RRQ option without value', Buffer.from('\0\x01f\0octet\0blksize\0', 'latin1')],
  ['RRQ empty option name', Buffer.from('\0\x01f\0octet\0\0x\0', 'latin1')],
  ['DATA short', hex('0003 00')],
  ['ACK short', hex('0004 00')],
  ['ERROR short', hex('0005 00')],
  ['oversized datagram', Buffer.alloc(4 + 65464 + 1, 3)],
];

for (const [title, bytes] of bad) {
  test(`decode fails as a value: ${title}`, (t) => {
    const r = decodePacket(bytes);
    t.false(r.ok);
    if (!r.ok) t.true(r.reason.length > 0);
  });
}

test('encode/decode round trip for every packet kind', (t) => {
  const packets: Buffer[] = [
    encodeRequest({
      op: 'rrq',
      filename: 'a/b',
      mode: 'octet',
      options: { blksize: '1468', windowsize: '16' },
    }),
    encodeRequest({ op: 'wrq', filename: 'x', mode: 'netascii' }),
    encodeData(65535, Buffer.from('hello')),
    encodeAck(65536 + 3),
    encodeError(5, 'Unknown transfer ID'),
    encodeOack({ tsize: '42' }),
  ];
  const decoded = packets.map((p) => decodePacket(p));
  t.true(decoded.every((d) => d.ok));
  t.deepEqual(
    decoded.map((d) => (d.ok ? d.packet.op : 'x')),
    ['rrq', 'wrq', 'data', 'ack', 'error', 'oack'],
  );
  const ack = decoded[3];
  t.true(
    ack?.ok && ack.packet.op === 'ack' && ack.packet.block === 3,
    'block numbers are 16-bit on the wire',
  );
});

test('encodeError layout is opcode, code, text, NUL (RFC 1350 §5)', (t) => {
  t.deepEqual(encodeError(2, 'no'), hex('0005 0002 6e6f 00'));
});
