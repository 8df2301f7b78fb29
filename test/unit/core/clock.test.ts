import test from 'ava';
import { systemClock } from '../../../src/core/clock.js';

test('system clock returns epoch milliseconds', (t) => {
  const before = Date.now();
  const now = systemClock.now();
  t.true(now >= before && now <= Date.now());
});
