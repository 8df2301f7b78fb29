// Reload planning: which options changed, which apply live, which need a restart.
import test from 'ava';
import { changedOptions, planReload } from '../../../src/ops/config-diff.js';

test('identical configs have no changes, lists compared by value', (t) => {
  const a = { DEFAULT: { port: 1, hooks: ['a', 'b'] } };
  t.deepEqual(changedOptions(a, { DEFAULT: { port: 1, hooks: ['a', 'b'] } }), []);
});

test('changed values, list order and added sections are reported as section.option', (t) => {
  const before = { DEFAULT: { port: 1, level: 'info' }, processing: { hooks: ['a', 'b'] } };
  const after = {
    DEFAULT: { port: 2, level: 'info' },
    processing: { hooks: ['b', 'a'] },
    dhcp: { range: 'x' },
  };
  t.deepEqual(changedOptions(before, after), ['DEFAULT.port', 'dhcp.range', 'processing.hooks']);
});

test('options listed (or whose section is listed with .*) are live; others need a restart', (t) => {
  const plan = planReload(
    ['DEFAULT.log_level', 'DEFAULT.listen_port', 'capabilities.boot_mode', 'dhcp.range'],
    new Set(['DEFAULT.log_level', 'capabilities.*']),
  );
  t.deepEqual(plan, {
    live: ['DEFAULT.log_level', 'capabilities.boot_mode'],
    restart: ['DEFAULT.listen_port', 'dhcp.range'],
  });
});
