import test from 'ava';
import { readFileSync } from 'node:fs';
import { renderExample, renderMarkdown } from '../../../src/config/generate-docs.js';
import { parseStrictBool } from '../../../src/core/strict-bool.js';
import { buildConfig, ConfigError, parseIni, withOverrides } from '../../../src/config/load.js';

const root = new URL('../../../../', import.meta.url);

test('inspector.conf.example is generated from the schema (run npm run gen:config-docs)', (t) => {
  t.is(readFileSync(new URL('inspector.conf.example', root), 'utf8'), renderExample());
});

test('docs/config.md is generated from the schema (run npm run gen:config-docs)', (t) => {
  t.is(readFileSync(new URL('docs/config.md', root), 'utf8'), renderMarkdown());
});

test('the example file loads and yields the defaults', (t) => {
  const config = buildConfig(parseIni(renderExample()));
  t.is(config.DEFAULT.listen_port, 5050);
  t.is(config.DEFAULT.timeout, 3600);
  t.is(config.DEFAULT.clean_up_period, 60);
  t.deepEqual(config.processing.processing_hooks, ['$default_processing_hooks']);
  t.is(config.processing.add_ports, 'pxe');
  t.is(config.processing.keep_ports, 'all');
});

test('values are coerced by type', (t) => {
  const config = buildConfig(
    parseIni(
      '[DEFAULT]\nlisten_port = 6000\ncan_manage_boot = no\n[processing]\nprocessing_hooks = a, b ,c\n',
    ),
  );
  t.is(config.DEFAULT.listen_port, 6000);
  t.false(config.DEFAULT.can_manage_boot);
  t.deepEqual(config.processing.processing_hooks, ['a', 'b', 'c']);
});

test('top-level keys belong to [DEFAULT]', (t) => {
  t.is(buildConfig(parseIni('timeout = 10\n')).DEFAULT.timeout, 10);
});

test('every problem is reported at once', (t) => {
  const error = t.throws(() =>
    buildConfig(
      parseIni(
        '[DEFAULT]\nlisten_port = nope\ntimeout = -1\nbogus = 1\n[nosuch]\nx = 1\n[processing]\nadd_ports = some\nkeep_ports = added\nstore_data = swift\n',
      ),
      'test.conf',
    ),
  ) as ConfigError;
  t.true(error instanceof ConfigError);
  t.is(error.problems.length, 6);
  t.regex(error.message, /listen_port.*not an integer/);
  t.regex(error.message, /timeout.*minimum/);
  t.regex(error.message, /unknown option \[DEFAULT\] bogus/);
  t.regex(error.message, /unknown section \[nosuch\]/);
  t.regex(error.message, /add_ports/);
  t.regex(error.message, /store_data/);
});

test('add_ports = disabled with keep_ports = added is refused', (t) => {
  const error = t.throws(() =>
    buildConfig(parseIni('[processing]\nadd_ports = disabled\nkeep_ports = added\n')),
  ) as ConfigError;
  t.regex(error.message, /would delete every port/);
});

test('the config is frozen', (t) => {
  const config = buildConfig({});
  t.throws(() => {
    (config.DEFAULT as { timeout: number }).timeout = 1;
  });
});

test('--set overrides apply on top of the file', (t) => {
  const config = buildConfig(
    withOverrides(parseIni('[DEFAULT]\ntimeout = 5\n'), ['DEFAULT.timeout=7', 'processing.power_off=false']),
  );
  t.is(config.DEFAULT.timeout, 7);
  t.false(config.processing.power_off);
  t.throws(() => withOverrides({}, ['nonsense']));
});

for (const [text, value] of [
  ['1', true],
  ['yes', true],
  ['On', true],
  ['t', true],
  ['0', false],
  ['no', false],
  ['off', false],
  ['n', false],
  ['maybe', null],
] as const) {
  test(`parseStrictBool("${text}") = ${String(value)}`, (t) => {
    t.is(parseStrictBool(text), value);
  });
}
