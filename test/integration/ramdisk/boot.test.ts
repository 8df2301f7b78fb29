// Boots the real discovery ramdisk (built or taken from the cache) in qemu (TCG, direct kernel
// boot) on a bridge inside a namespace, where busybox udhcpd leases it an address and a real
// `inspectord serve` receives its callback: the node enrolled with manage_boot=false finishes.
import test from 'ava';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../../helpers/daemon.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const MAC = '52:54:00:12:34:57';
const SERIAL = 'INSPECTORD-RD-0001';
const SERVER = '198.18.7.1';

async function inNs(ns: Netns, method: string, url: string, body?: unknown): Promise<unknown> {
  const args = ['-sf', '-X', method, '-H', 'content-type: application/json', url];
  if (body !== undefined) args.push('--data-binary', JSON.stringify(body));
  const out = await ns.exec('curl', args);
  return out.trim() === '' ? undefined : JSON.parse(out);
}

function buildRamdisk(out: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(REPO, 'assets/ramdisk/build.sh'), '--out', out],
      { maxBuffer: 1 << 24 },
      (error, _o, err) => (error ? reject(new Error(`ramdisk build failed: ${err}`)) : resolve(err)),
    );
  });
}

test('the discovery ramdisk boots in qemu and its inventory finishes the node', async (t) => {
  await requireTools('qemu-system-x86_64', 'busybox', 'curl', 'ip', 'cpio', 'apt-get');
  const work = mkdtempSync(path.join(tmpdir(), 'inspectord-rd-boot-'));
  let console = '';
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const log = await buildRamdisk(work);
  t.log(log.trim().split('\n').slice(-2).join(' | '));

  const ns = await Netns.create('rdb');
  t.teardown(() => ns.destroy());
  await ns.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
  await ns.exec('ip', ['addr', 'add', `${SERVER}/24`, 'dev', 'br0']);
  await ns.exec('ip', ['link', 'set', 'br0', 'up']);
  await ns.exec('ip', ['tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  await ns.exec('ip', ['link', 'set', 'tap0', 'master', 'br0']);
  await ns.exec('ip', ['link', 'set', 'tap0', 'up']);
  writeFileSync(
    path.join(work, 'udhcpd.conf'),
    `start 198.18.7.100\nend 198.18.7.150\ninterface br0\nlease_file ${work}/leases\nopt subnet 255.255.255.0\n`,
  );
  writeFileSync(path.join(work, 'leases'), '');
  ns.spawn('busybox', ['udhcpd', '-f', path.join(work, 'udhcpd.conf')]);

  const daemon = await startDaemon(
    {
      DEFAULT: { timeout: 600 },
      ipmi: { enabled: false },
      processing: { always_store_ramdisk_logs: true, ramdisk_logs_dir: path.join(work, 'logs') },
    },
    { netns: ns.name, listenAddress: SERVER },
  );
  t.teardown(() => daemon.cleanup());
  // The API as the VM and curl inside the namespace reach it.
  const api = `http://${SERVER}:${daemon.port}`;
  const node = (await inNs(ns, 'POST', `${api}/v1/nodes`, {
    name: 'rd-vm',
    ports: [{ address: MAC }],
  })) as { uuid: string };
  await inNs(ns, 'POST', `${api}/v1/introspection/${node.uuid}?manage_boot=false`);

  for (const [disk, size] of [
    ['d0.raw', 10],
    ['d1.raw', 8],
  ] as const)
    await ns.exec('truncate', ['-s', `${size}G`, path.join(work, disk)]);
  const append = [
    'console=ttyS0,115200n8',
    'quiet',
    `ipa-inspection-callback-url=${api}/v1/continue`,
    'ipa-inspection-collectors=default,logs,pci-devices',
    `BOOTIF=01-${MAC.replace(/:/g, '-')}`,
    'inspectord-token=test-token',
  ].join(' ');
  const started = Date.now();
  const qemu = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.name,
      'qemu-system-x86_64',
      '-machine',
      'pc',
      '-accel',
      'tcg',
      '-cpu',
      'qemu64',
      '-m',
      '512',
      '-smp',
      '1',
      '-nographic',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-no-reboot',
      '-kernel',
      path.join(work, 'discovery.kernel'),
      '-initrd',
      path.join(work, 'discovery.initramfs'),
      '-append',
      append,
      '-smbios',
      `type=1,manufacturer=Inspectord,product=TestVM,serial=${SERIAL}`,
      '-netdev',
      'tap,id=n0,ifname=tap0,script=no,downscript=no',
      '-device',
      `e1000,netdev=n0,mac=${MAC}`,
      '-drive',
      `file=${path.join(work, 'd0.raw')},format=raw,if=none,id=disk0`,
      '-device',
      'ide-hd,drive=disk0,bus=ide.0,serial=RD-HDD0,model=Test HDD',
      '-drive',
      `file=${path.join(work, 'd1.raw')},format=raw,if=none,id=disk1`,
      '-device',
      'virtio-blk-pci,drive=disk1,serial=RD-VD1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => {
    if (qemu.pid !== undefined && qemu.exitCode === null) process.kill(qemu.pid, 'SIGKILL');
  });
  qemu.stdout?.on('data', (d: Buffer) => (console += d.toString()));
  qemu.stderr?.on('data', (d: Buffer) => (console += d.toString()));

  const status = await waitFor(
    async () => {
      const s = (await inNs(ns, 'GET', `${api}/v1/introspection/${node.uuid}`)) as {
        finished: boolean;
        error: string | null;
      };
      return s.finished ? s : undefined;
    },
    'the node to finish introspection',
    180_000,
    1000,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- console ---\n${console.slice(-4000)}`);
  });
  t.log(`boot to finished: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.is(status.error, null, console.slice(-3000));

  const data = (await inNs(ns, 'GET', `${api}/v1/introspection/${node.uuid}/data/unprocessed`)) as {
    inventory: {
      system_vendor: { serial_number: string };
      disks: { name: string; serial: string }[];
      interfaces: { mac_address: string }[];
    };
    boot_interface: string;
  };
  t.is(data.inventory.system_vendor.serial_number, SERIAL);
  t.deepEqual(
    data.inventory.disks.map((d) => [d.name, d.serial]),
    [
      ['/dev/sda', 'RD-HDD0'],
      ['/dev/vda', 'RD-VD1'],
    ],
  );
  t.deepEqual(
    data.inventory.interfaces.map((i) => i.mac_address),
    [MAC],
  );
  t.is(data.boot_interface, `01-${MAC.replace(/:/g, '-')}`);
  // The callback token is on the kernel command line, which the ramdisk log and dmesg both show:
  // the logs it sends (stored here as a tar.gz) carry it redacted.
  const [logsFile] = readdirSync(path.join(work, 'logs'));
  const logs = execFileSync('tar', ['-xzOf', path.join(work, 'logs', logsFile!)], { encoding: 'utf8' });
  t.true(logs.includes('inspectord-token=***'));
  t.false(logs.includes('test-token'), 'the callback token is not in the ramdisk logs');
  await waitFor(() => qemu.exitCode !== null, 'the VM to power itself off', 30_000, 200);
  t.true(readFileSync(path.join(work, 'discovery.manifest'), 'utf8').includes('key='));
});
