import test from 'ava';
import { extraHardware } from '../../../src/pipeline/hook-logic/extra-hardware.js';
import { diskSerials, raidDevice, raidDeviceLocalGb } from '../../../src/pipeline/hook-logic/raid-device.js';
import {
  parseCidrMap,
  physnetForIp,
  physnetForInterface,
} from '../../../src/pipeline/hook-logic/physnet-cidr-map.js';
import {
  acceleratorsFor,
  parseKnownDevices,
  DEFAULT_KNOWN_ACCELERATORS_YAML,
} from '../../../src/pipeline/hook-logic/accelerators.js';

// --- extra_hardware
const edeploy = [
  ['cpu', 'logical', 'number', '16'],
  ['cpu', 'physical_0', 'vendor', 'GenuineIntel'],
  ['memory', 'total', 'size', '68719476736'],
  ['disk', 'sda', 'size', 500],
  ['disk', 'sda', 'rotational', '1'],
  ['system', 'product', 'name', 'R640'],
];

test('extraHardware converts eDeploy records with int conversion', (t) => {
  const r = extraHardware(edeploy, { strict: false });
  t.deepEqual(r.extra, {
    cpu: { logical: { number: 16 }, physical_0: { vendor: 'GenuineIntel' } },
    memory: { total: { size: 68719476736 } },
    disk: { sda: { size: 500, rotational: 1 } },
    system: { product: { name: 'R640' } },
  });
  t.true(r.removeData);
  t.deepEqual(r.warnings, []);
});

test('extraHardware skips short records unless strict', (t) => {
  const data = [...edeploy, ['cpu', 'x', 'y']];
  const lax = extraHardware(data, { strict: false });
  t.truthy(lax.extra?.['cpu']);
  t.is(lax.warnings.length, 1);
  const strict = extraHardware(data, { strict: true });
  t.is(strict.extra, undefined);
  t.true(strict.removeData);
  t.regex(strict.warnings[0] ?? '', /strict/);
});

test('extraHardware with no data keeps everything and warns', (t) => {
  t.deepEqual(extraHardware(undefined, { strict: false }), {
    removeData: false,
    warnings: ['No extra hardware information was received from the ramdisk'],
  });
});

test('extraHardware refuses a non-list', (t) => {
  const r = extraHardware({ a: 1 }, { strict: false });
  t.is(r.extra, undefined);
  t.is(r.warnings.length, 1);
});

// --- raid_device
const withDisks = (serials: string[]) => ({ inventory: { disks: serials.map((serial) => ({ serial })) } });

const raidRows: Array<
  [string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, unknown]
> = [
  [
    'first run remembers serials',
    withDisks(['A', 'B']),
    {},
    {},
    { action: 'remember', blockDevices: { serials: ['A', 'B'] } },
  ],
  [
    'one new disk becomes the root device',
    withDisks(['A', 'B', 'R']),
    {},
    { block_devices: { serials: ['A', 'B'] } },
    { action: 'set-root', rootDevice: { serial: 'R' } },
  ],
  [
    'two new disks: no decision',
    withDisks(['A', 'R1', 'R2']),
    {},
    { block_devices: { serials: ['A'] } },
    { action: 'none', reason: 'Root device cannot be identified because multiple new devices were found' },
  ],
  [
    'no new disks',
    withDisks(['A']),
    {},
    { block_devices: { serials: ['A'] } },
    { action: 'none', reason: 'No new devices were found' },
  ],
  [
    'root device already known',
    withDisks(['A']),
    { root_device: { serial: 'A' } },
    {},
    { action: 'none', reason: 'Root device is already known for the node' },
  ],
  [
    'no disks',
    { inventory: { disks: [] } },
    {},
    {},
    { action: 'none', reason: 'No block device was received from ramdisk' },
  ],
  [
    'legacy block_devices.serials',
    { block_devices: { serials: ['X'] } },
    {},
    {},
    { action: 'remember', blockDevices: { serials: ['X'] } },
  ],
];
for (const [title, data, properties, extra, expected] of raidRows) {
  test(`raidDevice: ${title}`, (t) => {
    t.deepEqual(raidDevice(data, { properties, extra }), expected);
  });
}

test('diskSerials ignores disks without a serial', (t) => {
  t.deepEqual(
    diskSerials({ inventory: { disks: [{ serial: 'A' }, { serial: '' }, {}, { serial: null }] } }),
    ['A'],
  );
});

test('raidDeviceLocalGb fakes 1 only when local_gb is missing or zero', (t) => {
  t.is(raidDeviceLocalGb({}), 1);
  t.is(raidDeviceLocalGb({ local_gb: 0 }), 1);
  t.is(raidDeviceLocalGb({ local_gb: 100 }), null);
});

// --- physnet_cidr_map
test('parseCidrMap splits at the last colon (IPv6) and reports every bad entry', (t) => {
  const ok = parseCidrMap(['198.18.0.0/24:physnet-a', '2001:db8::/64:physnet-v6']);
  t.true(ok.ok);
  if (ok.ok)
    t.deepEqual(
      ok.map.map((m) => [m.cidr, m.physnet]),
      [
        ['198.18.0.0/24', 'physnet-a'],
        ['2001:db8::/64', 'physnet-v6'],
      ],
    );
  const bad = parseCidrMap(['nonsense', '198.18.0.0/33:x', '198.18.0.0/24:']);
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.errors.length, 3);
});

const physRows: Array<[unknown, string | null]> = [
  ['198.18.0.7', 'physnet-a'],
  ['198.18.1.7', 'physnet-b'],
  ['198.19.0.1', null],
  ['2001:db8::5', 'physnet-v6'],
  ['fe80::1%eth0', null],
  ['not-an-ip', null],
  [null, null],
];
const physMap = parseCidrMap([
  '198.18.0.0/24:physnet-a',
  '198.18.0.0/16:physnet-b',
  '2001:db8::/64:physnet-v6',
]);
for (const [ip, expected] of physRows) {
  test(`physnetForIp ${String(ip)} → ${String(expected)} (first listed CIDR wins)`, (t) => {
    if (!physMap.ok) return t.fail();
    t.is(physnetForIp(ip, physMap.map), expected);
  });
}

test('physnetForInterface falls back from IPv4 to IPv6', (t) => {
  if (!physMap.ok) return t.fail();
  t.is(physnetForInterface({ ipv4_address: null, ipv6_address: '2001:db8::9' }, physMap.map), 'physnet-v6');
  t.is(
    physnetForInterface({ ipv4_address: '10.0.0.1', ipv6_address: '2001:db8::9' }, physMap.map),
    'physnet-v6',
  );
});

// --- accelerators
test('the default known-devices YAML parses', (t) => {
  const r = parseKnownDevices(DEFAULT_KNOWN_ACCELERATORS_YAML);
  t.true(r.ok);
  if (r.ok) t.is(r.devices.length, 2);
});

test('acceleratorsFor matches vendor/product ids and adds the PCI address', (t) => {
  const r = parseKnownDevices(DEFAULT_KNOWN_ACCELERATORS_YAML);
  if (!r.ok) return t.fail(r.error);
  const pci = [
    { vendor_id: '8086', product_id: '1572', bus: '0000:3b:00.0' },
    { vendor_id: '10DE', product_id: '1EB8', bus: '0000:af:00.0' },
    'junk',
  ];
  t.deepEqual(acceleratorsFor(pci, r.devices), [
    {
      vendor_id: '10de',
      device_id: '1eb8',
      type: 'GPU',
      device_info: 'NVIDIA Corporation Tesla T4',
      pci_address: '0000:af:00.0',
    },
  ]);
  t.deepEqual(acceleratorsFor(undefined, r.devices), []);
});

const badYaml: Array<[string, string, RegExp]> = [
  ['not YAML', 'a: [', /not valid YAML/],
  ['no pci_devices', 'other: 1', /Could not find pci_devices/],
  ['pci_devices not a list', 'pci_devices: 3', /should contain a list/],
  ['missing device_id', 'pci_devices:\n  - vendor_id: "10de"\n', /missing vendor_id or device_id/],
];
for (const [title, text, re] of badYaml) {
  test(`parseKnownDevices rejects ${title}`, (t) => {
    const r = parseKnownDevices(text);
    t.false(r.ok);
    if (!r.ok) t.regex(r.error, re);
  });
}
