// Real clients (tftp-hpa, atftp, curl) fetch from our server across network namespaces; every
// transfer is checked byte-exact, and the refusals/clean-up paths are observed through events.
import test from 'ava';
import path from 'node:path';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import {
  cleanup,
  Driver,
  makeFixture,
  makeTopology,
  probePath,
  SERVER_IP,
  sha256File,
  type Fixture,
  type Topology,
} from './harness.js';

const MiB = 1024 * 1024;
let topo: Topology | undefined;
let fixture: Fixture | undefined;
let driver: Driver;

test.before(async () => {
  await requireTools('ip', 'tftp', 'atftp', 'curl');
  fixture = await makeFixture({
    'small.bin': 100_000,
    'two.bin': 2 * MiB,
    'big.bin': 64 * MiB,
    // multiples of both 512 and 1468: the transfer must end with an empty DATA block
    'exact.bin': 1468 * 512,
  });
  topo = await makeTopology();
  driver = await Driver.start(topo.server, {
    tftp: {
      root: fixture.root,
      address: SERVER_IP,
      port: 69,
      timeoutMs: 300,
      maxTimeoutMs: 600,
      idleTimeoutMs: 2000,
    },
    generated: { 'pxelinux.cfg/01-52-54-00-12-34-56': 'DEFAULT inspect\n# for {client}\n' },
  });
});

test.after.always(async () => {
  await topo?.destroy();
  await cleanup(fixture);
});

function hashOf(name: string): string {
  return fixture?.hashes[name] ?? 'missing fixture';
}

function outFile(name: string): string {
  return path.join((fixture as Fixture).out, name);
}

/** tftp-hpa exits 0 even when the server refuses; callers check the file or the output. */
async function tftpHpa(file: string, dest: string): Promise<string> {
  return topo!.client.exec('sh', ['-c', 'tftp -m binary "$0" -c get "$1" "$2" 2>&1', SERVER_IP, file, dest]);
}

test('tftp-hpa fetches a file byte-exact (512-byte blocks, no options)', async (t) => {
  await tftpHpa('two.bin', outFile('hpa-two'));
  t.is(await sha256File(outFile('hpa-two')), hashOf('two.bin'));
});

test('tftp-hpa fetches 64 MiB byte-exact (131,072 blocks: block numbers roll over)', async (t) => {
  await tftpHpa('big.bin', outFile('hpa-big'));
  t.is(await sha256File(outFile('hpa-big')), hashOf('big.bin'));
  const ev = driver.events('tftp.transfer').find((e) => e.data.file === 'big.bin');
  t.like(ev?.data, { outcome: 'complete', bytes: 64 * MiB, size: 64 * MiB });
});

test('atftp with windowsize 16 and blksize 1468 fetches byte-exact (RFC 7440)', async (t) => {
  await topo!.client.exec('atftp', [
    '--option',
    'blksize 1468',
    '--option',
    'windowsize 16',
    '-g',
    '-r',
    'two.bin',
    '-l',
    outFile('atftp-two'),
    SERVER_IP,
  ]);
  t.is(await sha256File(outFile('atftp-two')), hashOf('two.bin'));
  const ev = driver
    .events('tftp.transfer')
    .find(
      (e) =>
        (e.data.client as { port: number }).port > 0 &&
        e.data.file === 'two.bin' &&
        (e.data.options as { windowsize?: number }).windowsize === 16,
    );
  t.truthy(ev, 'the event records the negotiated windowsize');
});

test('curl fetches 64 MiB byte-exact with --tftp-blksize 1468', async (t) => {
  await topo!.client.exec('curl', [
    '-sS',
    '--tftp-blksize',
    '1468',
    '-o',
    outFile('curl-big'),
    `tftp://${SERVER_IP}/big.bin`,
  ]);
  t.is(await sha256File(outFile('curl-big')), hashOf('big.bin'));
});

test('a size that is a multiple of blksize ends with an empty block (curl and tftp-hpa)', async (t) => {
  await topo!.client.exec('curl', [
    '-sS',
    '--tftp-blksize',
    '1468',
    '-o',
    outFile('curl-exact'),
    `tftp://${SERVER_IP}/exact.bin`,
  ]);
  await tftpHpa('exact.bin', outFile('hpa-exact'));
  t.is(await sha256File(outFile('curl-exact')), hashOf('exact.bin'));
  t.is(await sha256File(outFile('hpa-exact')), hashOf('exact.bin'));
});

test('a leading slash is accepted (GRUB-style names; backslashes are unit-tested)', async (t) => {
  await topo!.client.exec('curl', ['-sS', '-o', outFile('slash'), `tftp://${SERVER_IP}//small.bin`]);
  t.is(await sha256File(outFile('slash')), hashOf('small.bin'));
});

test('generated content from the resolve hook is served (per-MAC pxelinux config)', async (t) => {
  const body = await topo!.client.exec('curl', [
    '-sS',
    `tftp://${SERVER_IP}/pxelinux.cfg/01-52-54-00-12-34-56`,
  ]);
  t.is(body, 'DEFAULT inspect\n# for 198.18.64.2\n');
});

test('traversal is refused with an access violation', async (t) => {
  t.regex(await tftpHpa('../../../../etc/passwd', outFile('trav')), /Error code 2/);
  await t.throwsAsync(
    topo!.client.exec('curl', [
      '-sS',
      '-o',
      outFile('trav2'),
      `tftp://${SERVER_IP}/pxelinux.cfg/../../etc/passwd`,
    ]),
  );
  const refused = driver.events('tftp.refused').filter((e) => e.data.reason === 'access-violation');
  t.true(refused.length >= 1);
});

test('a symlink escaping the root is refused', async (t) => {
  t.regex(await tftpHpa('link-out', outFile('link')), /Error code 2/);
  const ev = driver.events('tftp.refused').find((e) => e.data.file === 'link-out');
  t.like(ev?.data, { reason: 'access-violation', detail: 'path escape' });
});

test('a missing file gets ERROR 1 quickly', async (t) => {
  const started = Date.now();
  const err = await t.throwsAsync(
    topo!.client.exec('curl', ['-sS', `tftp://${SERVER_IP}/pxelinux.cfg/C612009E`]),
  );
  t.regex(String(err?.message), /curl: \(68\)/, 'CURLE_TFTP_NOTFOUND');
  t.true(Date.now() - started < 3000);
  const ev = driver.events('tftp.refused').find((e) => e.data.file === 'pxelinux.cfg/C612009E');
  t.like(ev?.data, { reason: 'not-found', detail: `no such file in the boot root ${fixture!.root}` });
});

test('a write request is refused (read-only server)', async (t) => {
  const err = await t.throwsAsync(
    topo!.client.exec('sh', [
      '-c',
      `cd ${fixture!.out} && echo x > up.txt && tftp -m binary ${SERVER_IP} -c put up.txt up.txt 2>&1; exit 1`,
    ]),
  );
  t.truthy(err);
  t.truthy(driver.events('tftp.refused').find((e) => e.data.reason === 'write-request'));
});

test('a packet from a foreign TID gets ERROR 5', async (t) => {
  const out = await topo!.client.exec(process.execPath, [
    probePath,
    'foreign-tid',
    SERVER_IP,
    '69',
    'small.bin',
  ]);
  const result = JSON.parse(out.trim()) as { ok: boolean; reply: { op: string; code: number } };
  t.like(result.reply, { op: 'error', code: 5 });
  t.true(((await driver.stats()).unknownTid as number) >= 1);
  // The probe stops after the poke; wait for its transfer to be reaped so later counts are exact.
  await waitFor(
    () =>
      driver.events('tftp.transfer').some((e) => e.data.file === 'small.bin' && e.data.outcome === 'timeout'),
    'the probe transfer to be reaped',
    15_000,
  );
});

test('a client that vanishes mid-transfer is reaped and counters stay sane', async (t) => {
  const before = await driver.stats();
  await topo!.client.exec(process.execPath, [probePath, 'vanish', SERVER_IP, '69', 'two.bin']);
  const ev = await waitFor(
    () =>
      driver.events('tftp.transfer').find((e) => e.data.outcome === 'timeout' && e.data.file === 'two.bin'),
    'the vanished transfer to time out',
    15_000,
  );
  t.like(ev.data, { bytes: 2 * 1024 }, 'the probe acknowledged the OACK and two blocks');
  t.regex(
    String(ev.data.reason),
    /stopped acknowledging after block 2 of /,
    'the timeline says where it stalled',
  );
  t.true((ev.data.retransmits as number) >= 3);
  const after = await driver.stats();
  t.is(after.active, 0);
  t.is(after.queued, 0);
  t.is(
    (after.transfers as Record<string, number>).timeout,
    (before.transfers as Record<string, number>).timeout! + 1,
  );
});

test('requests beyond the caps are queued, not refused, and all complete', async (t) => {
  const capped = await Driver.start(topo!.server, {
    tftp: { root: fixture!.root, address: SERVER_IP, port: 6969, maxTransfers: 2, maxTransfersPerClient: 1 },
  });
  const fetches = [0, 1, 2, 3].map((i) =>
    topo!.client.exec('curl', [
      '-sS',
      '--tftp-blksize',
      '1468',
      '-o',
      outFile(`q${i}`),
      `tftp://${SERVER_IP}:6969/two.bin`,
    ]),
  );
  await Promise.all(fetches);
  for (const i of [0, 1, 2, 3]) t.is(await sha256File(outFile(`q${i}`)), hashOf('two.bin'));
  const stats = await capped.stats();
  t.true((stats.queuedPeak as number) >= 1, 'some requests waited');
  t.like(stats, { active: 0, queued: 0, refused: { 'queue-full': 0 } });
  t.is((stats.transfers as Record<string, number>).complete, 4);
});
