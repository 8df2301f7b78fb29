// root_disk_selection's hint operators (ironic-lib root device hints), one row per operator.
import test from 'ava';
import { matchesHint } from '../../../src/pipeline/hooks/root-disk-selection.js';

const GIB = 1024 ** 3;

const cases: Array<[string, unknown, unknown, boolean]> = [
  ['size', 10, 10 * GIB, true],
  ['size', 10, 11 * GIB, false],
  ['size', '10', 10 * GIB, true],
  ['size', '== 10', 10 * GIB, true],
  ['size', '!= 10', 10 * GIB, false],
  ['size', '>= 10', 10 * GIB, true],
  ['size', '<= 9', 10 * GIB, false],
  ['size', '> 9', 10 * GIB, true],
  ['size', '< 10', 10 * GIB, false],
  ['size', '< 11', 10 * GIB, true],
  ['model', 's== HDD', 'HDD', true],
  ['model', 's== hdd', 'HDD', false],
  ['model', 's!= HDD', 'SSD', true],
  ['model', '<in> DD', 'HDD', true],
  ['model', '<in> SS', 'HDD', false],
  ['model', 's>= B', 'C', true],
  ['model', 's<= B', 'C', false],
  ['model', 's> B', 'B', false],
  ['model', 's< C', 'B', true],
  ['model', 'hdd', 'HDD', true],
  ['model', '<or> SSD <or> HDD', 'HDD', true],
  ['model', '<or> SSD <or> NVME', 'HDD', false],
  ['name', 'sda', '/dev/sda', true],
  ['name', '/dev/sda', 'sda', true],
  ['rotational', 'true', true, true],
  ['rotational', 'no', true, false],
  ['rotational', false, false, true],
  ['serial', 'S1', undefined, false],
];
for (const [key, hint, actual, expected] of cases) {
  test(`hint ${key}=${JSON.stringify(hint)} against ${JSON.stringify(actual)} is ${expected}`, (t) => {
    t.is(matchesHint(key, hint, actual), expected);
  });
}
