import test from 'ava';
import { formatValue, pythonStr, pythonRepr, checkTemplates } from '../../../src/rules/python-format.js';
import { sampleData } from './node-factory.js';

const vars = { data: sampleData };

const ok: Array<[string, unknown, unknown]> = [
  ['plain string unchanged', 'hello', 'hello'],
  ['nested dict keys', '{data[inventory][bmc_address]}', '198.18.0.10'],
  ['list index', '{data[inventory][disks][1][name]}', '/dev/nvme0n1'],
  ['number becomes a string', '{data[cpus]}', '8'],
  ['mixed text', 'bmc={data[ipmi_address]}:623', 'bmc=198.18.0.10:623'],
  ['escaped braces', '{{literal}} {data[cpus]}', '{literal} 8'],
  ['list rendered like Python str', '{data[inventory][cpu][flags]}', "['vmx', 'aes']"],
  ['repr conversion', '{data[inventory][cpu][architecture]!r}', "'x86_64'"],
  ['null renders None', '{data[inventory][interfaces][1][ipv4_address]}', 'None'],
  ['non-string scalar passes through', 42, 42],
  ['null passes through', null, null],
  ['boolean passes through', true, true],
  ['recursive list (1.14)', ['{data[cpus]}', 'x', 3], ['8', 'x', 3]],
  [
    'recursive dict incl. keys (1.14)',
    { '{data[inventory][cpu][architecture]}': { count: '{data[cpus]}' } },
    { x86_64: { count: '8' } },
  ],
];
for (const [title, input, expected] of ok) {
  test(`format: ${title}`, (t) => {
    const r = formatValue(input, vars);
    if (!r.ok) return t.fail(r.error);
    t.deepEqual(r.value, expected);
  });
}

const bad: Array<[string, unknown, RegExp]> = [
  ['unknown top-level key', '{data[nope]}', /Invalid formatting variable key provided: 'nope'/],
  ['unknown nested key', '{data[inventory][nope]}', /'nope'/],
  ['unknown variable', '{node[uuid]}', /Invalid formatting variable key provided: 'node'/],
  ['positional field', '{}', /Invalid formatting variable key/],
  ['index out of range', '{data[inventory][disks][5]}', /out of range/],
  ['unknown key inside a nested list', [{ a: '{data[zzz]}' }], /'zzz'/],
  ['unknown key in a dict key', { '{data[zzz]}': 1 }, /'zzz'/],
  ['single brace', 'oops {', /Single '\{'/],
  ['format spec unsupported', '{data[cpus]:>5}', /format specifications/],
];
for (const [title, input, re] of bad) {
  test(`format error: ${title}`, (t) => {
    const r = formatValue(input, vars);
    t.false(r.ok);
    if (!r.ok) t.regex(r.error, re);
  });
}

test('checkTemplates finds syntax errors but not unknown keys', (t) => {
  t.is(checkTemplates({ a: ['{data[unknown]}'] }), null);
  t.truthy(checkTemplates({ a: ['}'] }));
});

test('pythonStr and pythonRepr follow Python', (t) => {
  t.is(pythonStr(true), 'True');
  t.is(pythonStr(null), 'None');
  t.is(pythonStr({ a: [1, 'b', null, false] }), "{'a': [1, 'b', None, False]}");
  t.is(pythonRepr("it's"), '"it\'s"');
});
