// HTTP boot from inside a namespace: curl fetches boot files whole and by Range (byte-exact) and
// the per-MAC iPXE script; every response leaves one http.fetch event.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { requireTools } from '../../helpers/netns.js';
import {
  cleanup,
  Driver,
  makeFixture,
  makeTopology,
  SERVER_IP,
  sha256,
  sha256File,
  type Fixture,
  type Topology,
} from './harness.js';

let topo: Topology | undefined;
let fixture: Fixture | undefined;
let driver: Driver;
const base = `http://${SERVER_IP}:8080`;

test.before(async () => {
  await requireTools('ip', 'curl');
  fixture = await makeFixture({ 'discovery.initramfs': 9_000_001 });
  topo = await makeTopology();
  driver = await Driver.start(topo.server, {
    tftp: { root: fixture.root, address: SERVER_IP, port: 69 },
    http: { address: SERVER_IP, port: 8080 },
  });
});

test.after.always(async () => {
  await topo?.destroy();
  await cleanup(fixture);
});

test('curl fetches a boot file whole, byte-exact', async (t) => {
  const dest = path.join(fixture!.out, 'whole');
  await topo!.client.exec('curl', ['-sSf', '-o', dest, `${base}/boot/files/discovery.initramfs`]);
  t.is(await sha256File(dest), fixture!.hashes['discovery.initramfs'] ?? '');
});

test('curl with Range gets exactly the requested bytes (206)', async (t) => {
  const whole = await readFile(path.join(fixture!.root, 'discovery.initramfs'));
  const dest = path.join(fixture!.out, 'part');
  const status = await topo!.client.exec('curl', [
    '-sSf',
    '-r',
    '1000000-2999999',
    '-o',
    dest,
    '-w',
    '%{http_code}',
    `${base}/boot/files/discovery.initramfs`,
  ]);
  t.is(status, '206');
  t.is(await sha256File(dest), sha256(whole.subarray(1_000_000, 3_000_000)));
  const ev = driver.events('http.fetch').find((e) => e.data.range === '1000000-2999999');
  t.like(ev?.data, { status: 206, bytes: 2_000_000, outcome: 'complete' });
});

test('a resumed download (curl -C) completes the file', async (t) => {
  const whole = await readFile(path.join(fixture!.root, 'discovery.initramfs'));
  const dest = path.join(fixture!.out, 'resume');
  await import('node:fs/promises').then((fs) => fs.writeFile(dest, whole.subarray(0, 4_000_000)));
  await topo!.client.exec('curl', ['-sSf', '-C', '-', '-o', dest, `${base}/boot/files/discovery.initramfs`]);
  t.is(await sha256File(dest), sha256(whole));
});

test('the per-MAC iPXE script is served with the callback URL and BOOTIF', async (t) => {
  const script = await topo!.client.exec('curl', ['-sSf', `${base}/boot/ipxe/52-54-00-12-34-56.ipxe`]);
  t.regex(script, /^#!ipxe/);
  t.regex(script, new RegExp(`ipa-inspection-callback-url=${base}/v1/continue`));
  t.regex(script, /BOOTIF=01-\$\{netX\/mac:hexhyp\}/);
  const ev = driver.events('http.fetch').find((e) => e.data.file === 'ipxe/52-54-00-12-34-56.ipxe');
  t.like(ev?.data, { status: 200, outcome: 'complete' });
});

test('escaping symlinks and traversal are refused over HTTP too', async (t) => {
  const code = async (url: string): Promise<string> =>
    topo!.client.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--path-as-is', url]);
  t.is(await code(`${base}/boot/files/link-out`), '403');
  t.is(await code(`${base}/boot/files/../../etc/passwd`), '403');
  t.is(await code(`${base}/boot/files/a/..%2f..%2f..%2fetc%2fpasswd`), '403');
});
