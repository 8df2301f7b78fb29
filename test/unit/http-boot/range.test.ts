import test from 'ava';
import { parseRange, type RangeDecision } from '../../../src/http-boot/range.js';

const cases: Array<[string | undefined, number, RangeDecision]> = [
  [undefined, 100, { kind: 'full' }],
  ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
  ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
  ['bytes=50-5000', 100, { kind: 'partial', start: 50, end: 99 }],
  ['BYTES = 1 - 2', 100, { kind: 'partial', start: 1, end: 2 }],
  ['bytes=100-', 100, { kind: 'unsatisfiable' }],
  ['bytes=200-300', 100, { kind: 'unsatisfiable' }],
  ['bytes=-0', 100, { kind: 'unsatisfiable' }],
  ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
  ['bytes=9-1', 100, { kind: 'full' }],
  ['bytes=0-1,5-6', 100, { kind: 'full' }],
  ['items=0-1', 100, { kind: 'full' }],
  ['bytes=-', 100, { kind: 'full' }],
  ['bytes=abc', 100, { kind: 'full' }],
];

for (const [header, size, expected] of cases) {
  test(`Range ${JSON.stringify(header)} on ${size} bytes → ${expected.kind}`, (t) => {
    t.deepEqual(parseRange(header, size), expected);
  });
}
