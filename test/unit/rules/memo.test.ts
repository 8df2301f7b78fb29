import test from 'ava';
import { boundedMemo } from '../../../src/rules/memo.js';
import { parseRuleField } from '../../../src/rules/field.js';
import { compilePythonRegex } from '../../../src/rules/python-regex.js';
import { parseNetwork } from '../../../src/rules/ip-network.js';
import { ConditionCheckError } from '../../../src/rules/python-compare.js';

test('boundedMemo computes a key once and returns the same value after', (t) => {
  let calls = 0;
  const memo = boundedMemo((k) => {
    calls += 1;
    return { k };
  });
  const first = memo('a');
  t.is(memo('a'), first);
  t.is(calls, 1);
});

test('boundedMemo remembers undefined results too', (t) => {
  let calls = 0;
  const memo = boundedMemo(() => {
    calls += 1;
    return undefined;
  });
  memo('a');
  memo('a');
  t.is(calls, 1);
});

test('boundedMemo empties its table when full and still answers correctly', (t) => {
  let calls = 0;
  const memo = boundedMemo((k) => {
    calls += 1;
    return k.toUpperCase();
  }, 2);
  t.deepEqual(['a', 'b', 'c', 'a'].map(memo), ['A', 'B', 'C', 'A']);
  t.is(calls, 4, 'the third key cleared the table, so "a" was computed again');
});

test('memoised parsers: same field, pattern or network gives the same (read-only) result', (t) => {
  t.is(parseRuleField('inventory.cpu.count'), parseRuleField('inventory.cpu.count'));
  t.is(compilePythonRegex('^a', true), compilePythonRegex('^a', true));
  t.not(compilePythonRegex('a', true), compilePythonRegex('a', false), 'anchored is part of the key');
  const anchored = compilePythonRegex('a', true);
  t.true(anchored.ok && anchored.regex.test('a') && !anchored.regex.test('ab'));
  const loose = compilePythonRegex('a', false);
  t.true(loose.ok && loose.regex.test('ab'));
  t.is(parseNetwork('198.18.0.0/24'), parseNetwork('198.18.0.0/24'));
  t.false(parseNetwork('198.18.0.0/33').ok);
});

test('ConditionCheckError is an Error with its message (built without a stack trace)', (t) => {
  const limit = Error.stackTraceLimit;
  const error = new ConditionCheckError('invalid literal');
  t.true(error instanceof Error);
  t.is(error.message, 'invalid literal');
  t.is(Error.stackTraceLimit, limit, 'the global limit is restored');
});
