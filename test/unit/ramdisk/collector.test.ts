// The discovery ramdisk's collector and JSON writer, run with the host's busybox against a fake
// /proc + /sys tree (test/fixtures/ramdisk/tree) and stubbed ip/ipmitool/hostname.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const ASSETS = path.join(REPO, 'assets', 'ramdisk');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'ramdisk');
const APPLETS = ['sh', 'awk', 'sed', 'tr', 'od', 'cat', 'readlink', 'dd', 'timeout', 'uname', 'head', 'wc'];

/** A PATH of busybox applets + stubs only, so the collector is proven to need nothing else. */
const bin = mkdtempSync(path.join(tmpdir(), 'inspectord-rd-bin-'));
for (const applet of APPLETS)
  symlinkSync(execFileSync('sh', ['-c', 'command -v busybox']).toString().trim(), path.join(bin, applet));
for (const stub of ['ip', 'ipmitool', 'hostname'])
  copyFileSync(path.join(FIXTURES, 'stub', stub), path.join(bin, stub));
test.after.always(() => rmSync(bin, { recursive: true, force: true }));

function toJson(tokens: string): string {
  return execFileSync(path.join(bin, 'awk'), ['-f', path.join(ASSETS, 'json.awk')], {
    input: tokens,
  }).toString();
}

function collect(env: Record<string, string> = {}): Record<string, unknown> {
  const tokens = execFileSync(path.join(bin, 'sh'), [path.join(ASSETS, 'collect.sh')], {
    env: { PATH: bin, RD_ROOT: path.join(FIXTURES, 'tree'), RD_LIB: ASSETS, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  return JSON.parse(toJson(tokens)) as Record<string, unknown>;
}

const jsonCases: [string, string, unknown][] = [
  ['escapes quotes and backslashes', 's\t\ta"b\\c\n', 'a"b\\c'],
  ['escapes control characters', 's\t\tx\u0001y\tz\n', 'x\u0001y\tz'],
  ['S of an empty value is null', 'S\t\t\n', null],
  ['n of a non-number is null', 'n\t\t12abc\n', null],
  ['n keeps numbers', 'n\t\t-1.5e3\n', -1500],
  ['b maps 1 to true', 'b\t\t1\n', true],
  ['nested object and array', '{\t\t\n[\tk\t\nz\t\t\n]\n}\n', { k: [null] }],
];
for (const [title, input, expected] of jsonCases) {
  test(`json.awk ${title}`, (t) => {
    t.deepEqual(JSON.parse(toJson(input)), expected);
  });
}

test('json.awk refuses unbalanced input', (t) => {
  t.throws(() =>
    execFileSync(path.join(bin, 'awk'), ['-f', path.join(ASSETS, 'json.awk')], {
      input: '{\t\t\n',
      stdio: 'pipe',
    }),
  );
});

test('lldp.awk splits a frame into [type, hex] TLVs and stops at End', (t) => {
  const frame =
    '0180c200000e52540012345688cc' + '020704525400abcdef' + '04050365746831' + '06020078' + '0000' + 'ffff';
  const tokens = execFileSync(path.join(bin, 'awk'), ['-f', path.join(ASSETS, 'lldp.awk')], {
    input: `${frame}\n`,
  }).toString();
  t.deepEqual(JSON.parse(toJson(`[\t\t\n${tokens}]\n`)), [
    [1, '04525400abcdef'],
    [2, '0365746831'],
    [3, '0078'],
  ]);
});

test('collector reports cpu with escaped model name, count, flags and sockets', (t) => {
  const inventory = collect().inventory as Record<string, Record<string, unknown>>;
  t.like(inventory.cpu, {
    model_name: 'Test "Quoted" CPU \\ 2.5+',
    count: 2,
    frequency: '2600.012',
    socket_count: 2,
  });
  t.deepEqual(inventory.cpu?.flags, ['fpu', 'vme', 'de', 'pse']);
});

test('collector sums SMBIOS type 17 sizes (plain and extended) into physical_mb', (t) => {
  const inventory = collect().inventory as Record<string, unknown>;
  t.deepEqual(inventory.memory, { total: 468404 * 1024, physical_mb: 256 + 1024 });
});

test('collector lists real disks with serial, wwn, hctl and by_path, skipping empty ones', (t) => {
  const disks = (collect().inventory as { disks: Record<string, unknown>[] }).disks;
  t.deepEqual(
    disks.map((d) => d.name),
    ['/dev/sda', '/dev/vda'],
  );
  t.like(disks[0], {
    size: 10 * 1024 ** 3,
    model: 'Fixture HDD',
    vendor: 'ATA',
    serial: 'FIX-HDD0',
    wwn: '0x5000c500a1b2c3d4',
    hctl: '0:0:0:0',
    rotational: true,
    by_path: '/dev/disk/by-path/pci-0000:00:01.1-ata-1.0',
  });
  t.like(disks[1], {
    size: 8 * 1024 ** 3,
    serial: 'FIX-VD1',
    rotational: false,
    by_path: '/dev/disk/by-path/pci-0000:00:04.0',
  });
});

test('collector picks the smallest disk of at least 4 GiB as root_disk', (t) => {
  t.like(collect().root_disk as object, { name: '/dev/vda' });
});

test('collector reports physical interfaces only, with addresses, driver and PCI address', (t) => {
  const interfaces = (collect().inventory as { interfaces: unknown[] }).interfaces;
  t.deepEqual(interfaces, [
    {
      name: 'eth0',
      mac_address: '52:54:00:12:34:56',
      ipv4_address: '198.18.0.100',
      ipv6_address: '2001:db8::10',
      has_carrier: true,
      lldp: null,
      vendor: '0x8086',
      product: '0x100e',
      client_id: null,
      biosdevname: null,
      speed_mbps: 1000,
      pci_address: '0000:00:03.0',
      driver: 'e1000',
    },
  ]);
});

test('collector reads the BMC address and MAC from the first channel that has one', (t) => {
  t.like(collect().inventory as object, {
    bmc_address: '198.18.1.1',
    bmc_mac: '52:54:00:be:ef:01',
    bmc_v6address: '::/0',
  });
});

test('collector reports system vendor from DMI', (t) => {
  t.deepEqual((collect().inventory as Record<string, unknown>).system_vendor, {
    product_name: 'Box "9000"',
    serial_number: 'FIX-SERIAL-1',
    manufacturer: 'Fixture Inc.',
    firmware: { vendor: 'SeaBIOS', version: '1.16.2', build_date: '04/01/2014' },
  });
});

const bootifCases: [string, string | null][] = [
  ['01-52-54-00-12-34-56', '01-52-54-00-12-34-56'],
  ['52:54:00:12:34:56', '01-52-54-00-12-34-56'],
  ['01-52:54:00:12:34:56', '01-52-54-00-12-34-56'],
  ['garbage', null],
];
for (const [bootif, expected] of bootifCases) {
  test(`collector sends BOOTIF=${bootif} as boot_interface ${String(expected)}`, (t) => {
    const data = collect({ RD_BOOTIF: bootif });
    t.is(data.boot_interface, expected);
    t.is((data.inventory as { boot: { pxe_interface: unknown } }).boot.pxe_interface, expected);
  });
}

test('collector sends PCI devices as IPA does (ids without 0x) when pci-devices is asked for', (t) => {
  t.deepEqual(collect({ RD_COLLECTORS: 'default,pci-devices' }).pci_devices, [
    {
      vendor_id: '8086',
      product_id: '100e',
      class: '020000',
      revision: '03',
      bus: '0000:00:03.0',
      numa_node_id: '-1',
    },
  ]);
});

test('collector sends the token field and the error passed in', (t) => {
  const data = collect({ RD_TOKEN: 't0k"en', RD_ERROR: 'no DHCP lease' });
  t.is(data.token, 't0k"en');
  t.is(data.error, 'no DHCP lease');
});

test('collector fills interfaces[].lldp from a captured frame when LLDP collection is on', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'inspectord-rd-lldp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('sh', ['-c', `echo 0180c200000e52540012345688cc020704525400abcdef0000 > ${dir}/eth0.hex`]);
  const data = collect({ RD_COLLECT_LLDP: '1', RD_LLDP_DIR: dir, RD_COLLECTORS: 'default,lldp' });
  const iface = (data.inventory as { interfaces: { lldp: unknown }[] }).interfaces[0];
  t.deepEqual(iface?.lldp, [[1, '04525400abcdef']]);
  t.deepEqual(data.lldp_raw, { eth0: [[1, '04525400abcdef']] });
});
