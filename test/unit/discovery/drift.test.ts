// Drift between two processed inventories, one case per hardware area.
import test from 'ava';
import { driftMessage, inventoryDrift } from '../../../src/discovery/drift.js';
import { ipaInventory } from '../../helpers/core-env.js';

const GIB = 1024 ** 3;
const MAC = '52:54:00:00:20:01';
type Inv = Record<string, unknown>;
const inv = (d: Record<string, unknown>): Inv => d.inventory as Inv;

const cases: Array<[string, (d: Record<string, unknown>) => void, Array<Record<string, unknown>>]> = [
  ['no change', () => undefined, []],
  [
    'memory size',
    (d) => ((inv(d).memory as Inv).physical_mb = 16384),
    [{ area: 'memory', change: 'changed', key: 'physical_mb', before: 8192, after: 16384 }],
  ],
  [
    'a disk added',
    (d) => (inv(d).disks as Inv[]).push({ name: '/dev/sdb', size: 960 * GIB, serial: 'S3' }),
    [{ area: 'disk', change: 'added', key: 'S3' }],
  ],
  [
    'a disk removed',
    (d) => (inv(d).disks as Inv[]).shift(),
    [{ area: 'disk', change: 'removed', key: 'S1' }],
  ],
  [
    'a disk size changed',
    (d) => ((inv(d).disks as Inv[])[1]!.size = 200 * GIB),
    [{ area: 'disk', change: 'changed', key: 'S2.size' }],
  ],
  [
    'a NIC added',
    (d) => (inv(d).interfaces as Inv[]).push({ name: 'eth1', mac_address: '52:54:00:00:20:02' }),
    [{ area: 'nic', change: 'added', key: '52:54:00:00:20:02' }],
  ],
  [
    'CPU count',
    (d) => ((inv(d).cpu as Inv).count = 8),
    [{ area: 'cpu', change: 'changed', key: 'count', before: 4, after: 8 }],
  ],
  [
    'firmware version',
    (d) => (inv(d).system_vendor = { serial_number: 'SN', firmware: { version: '2.0' } }),
    [{ area: 'firmware', change: 'changed', key: 'version', before: '1.0', after: '2.0' }],
  ],
  [
    'system serial',
    (d) => (inv(d).system_vendor = { serial_number: 'OTHER', firmware: { version: '1.0' } }),
    [{ area: 'system', change: 'changed', key: 'serial_number' }],
  ],
  [
    'a DIMM replaced by a bigger one',
    (d) => (d.extra = { memory: { bank0: { size: 32 }, bank1: { size: 16 } } }),
    [{ area: 'dimm', change: 'changed', key: 'bank0.size', before: 16, after: 32 }],
  ],
];

for (const [title, mutate, expected] of cases) {
  test(`inventoryDrift: ${title}`, (t) => {
    const before = ipaInventory(MAC);
    inv(before).system_vendor = { serial_number: 'SN', firmware: { version: '1.0' } };
    before.extra = { memory: { bank0: { size: 16 }, bank1: { size: 16 } } };
    const after = structuredClone(before);
    mutate(after);
    const changes = inventoryDrift(before, after);
    t.is(changes.length, expected.length, JSON.stringify(changes));
    expected.forEach((e, i) => t.like(changes[i], e));
  });
}

test('driftMessage summarises at most five changes', (t) => {
  const before = ipaInventory(MAC);
  const after = structuredClone(before);
  for (let i = 0; i < 7; i += 1)
    (inv(after).disks as Inv[]).push({ name: `/dev/sd${i}`, size: GIB, serial: `N${i}` });
  const message = driftMessage(inventoryDrift(before, after));
  t.regex(message, /7 change\(s\)/);
  t.regex(message, /… 2 more$/);
});
