import test from 'ava';
import { parseJsonPath, queryJsonPath } from '../../../src/rules/jsonpath.js';
import { sampleData } from './node-factory.js';

const cases: Array<[string, unknown[]]> = [
  ['$.cpus', [8]],
  ['cpus', [8]],
  ['inventory.cpu.count', [8]],
  ['$.inventory.disks[0].name', ['/dev/sda']],
  ['inventory.disks[-1].serial', ['N1']],
  ['inventory.disks[*].serial', ['S1', 'N1']],
  ['inventory.disks[0:1].serial', ['S1']],
  ["$['inventory']['cpu']['architecture']", ['x86_64']],
  ["extra.'weird-key'.x", [1]],
  ['extra.weird-key.x', [1]],
  ['inventory.cpu.*', [8, 'x86_64', ['vmx', 'aes']]],
  ['$..serial', ['S1', 'N1']],
  ['$..system_vendor.manufacturer', ['Dell Inc.']],
  ['inventory.cpu[*]', [{ count: 8, architecture: 'x86_64', flags: ['vmx', 'aes'] }]],
  ['inventory.nothing', []],
  ['inventory.disks.name', []],
  ['inventory.disks[7]', []],
  ['$', [sampleData]],
];

for (const [path, expected] of cases) {
  test(`jsonpath ${path} selects ${JSON.stringify(expected).slice(0, 60)}`, (t) => {
    const parsed = parseJsonPath(path);
    if (!parsed.ok) return t.fail(parsed.error);
    t.deepEqual(queryJsonPath(parsed.path, sampleData), expected);
  });
}

for (const bad of ['', 'a[', 'a[x]', "a['x", 'a..', 'a.', 'a b', '[0', 'a]']) {
  test(`jsonpath ${JSON.stringify(bad)} is a parse error value, not an exception`, (t) => {
    const parsed = parseJsonPath(bad);
    t.false(parsed.ok);
    if (!parsed.ok) t.true(parsed.error.length > 0);
  });
}
