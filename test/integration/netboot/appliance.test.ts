// `inspectord serve` as a network-boot appliance, for real: the daemon in a server namespace with
// DHCP, TFTP, HTTP boot and the nftables PXE filter; busybox udhcpc, tftp-hpa and curl as clients
// in other namespaces. Serial: each test builds on the state the previous one left.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { api } from '../../helpers/daemon.js';
import { ipaInventory } from '../../helpers/core-env.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import {
  NFT,
  SERVER_IP,
  buildWorld,
  dhcp,
  runCode,
  setMac,
  tableNames,
  timeline,
  type World,
} from './harness.js';

const ENROLLED = '52:54:00:90:00:01';
const UNKNOWN = '52:54:00:90:00:99';
const PXELINUX = '/usr/lib/PXELINUX/pxelinux.0';

let world: World | undefined;
let nodeUuid = '';
let lease: string | null = null;
const cleanups: Array<() => Promise<void> | void> = [];

test.before(async () => {
  await requireTools(NFT, 'ip', 'busybox', 'tftp', 'curl');
  world = await buildWorld(cleanups);
  const created = await api(world.daemon.url, 'POST', '/v1/nodes', {
    name: 'netboot-node',
    ports: [{ address: ENROLLED }],
  });
  if (created.status !== 201) throw new Error(`enrolling the node failed: ${created.text}`);
  nodeUuid = (created.json as { uuid: string }).uuid;
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function w(): World {
  if (!world) throw new Error('test world was not built');
  return world;
}

async function leaseAs(mac: string): Promise<string | null> {
  await setMac(w().client, w().clientIf, mac);
  return dhcp(w().client, w().clientIf);
}

test.serial('an enrolled node not under introspection gets no lease and its timeline says why', async (t) => {
  t.is(await leaseAs(ENROLLED), null);
  // GET /v1/pxe-filter reads the knocks set back from the kernel (the periodic sync does too).
  const status = await api(w().daemon.url, 'GET', '/v1/pxe-filter');
  t.is(status.status, 200);
  const report = status.json as {
    driver: string;
    healthy: boolean;
    knocks: Array<{ mac: string; count: number }>;
  };
  t.is(report.driver, 'nftables');
  t.true(report.healthy);
  t.true((report.knocks.find((k) => k.mac === ENROLLED)?.count ?? 0) > 0);
  const events = await timeline(w(), `mac=${ENROLLED}`);
  const knock = events.find((e) => e.type === 'filter.knock');
  t.regex(knock?.message ?? '', /refused by the PXE filter.*enrolled node is not under introspection/);
  t.is(knock?.node, nodeUuid, 'the knock is linked to the node');
});

test.serial('starting its introspection (manage_boot=false) opens DHCP for it', async (t) => {
  const r = await api(w().daemon.url, 'POST', `/v1/introspection/${nodeUuid}?manage_boot=false`);
  t.is(r.status, 202);
  lease = await waitFor(() => leaseAs(ENROLLED), 'a lease for the node under introspection', 20_000, 200);
  t.regex(lease, /^198\.18\.90\.1\d\d$/);
  const events = await timeline(w(), `node=${nodeUuid}`);
  const ack = events.find((e) => e.type === 'dhcp.ack' && e.mac === ENROLLED);
  t.truthy(ack, 'the DHCP ACK is in the node timeline');
  t.regex(ack?.message ?? '', /grubx64\.efi/);
});

test.serial('TFTP serves pxelinux.0 byte-exact and the per-MAC config with the callback URL', async (t) => {
  const { client, clientIf } = w();
  await client.exec('ip', ['addr', 'add', `${lease}/24`, 'dev', clientIf]);
  const dir = (await runCode('mktemp', ['-d'])).output.trim();
  cleanups.push(() => runCode('rm', ['-rf', dir]).then(() => undefined));
  const perMac = `pxelinux.cfg/01-${ENROLLED.replace(/:/g, '-')}`;
  const fetch = await runCode('ip', [
    'netns',
    'exec',
    client.name,
    'tftp',
    SERVER_IP,
    '-m',
    'binary',
    '-c',
    'get',
    'pxelinux.0',
    `${dir}/pxelinux.0`,
  ]);
  t.is(fetch.code, 0, fetch.output);
  t.deepEqual(await readFile(`${dir}/pxelinux.0`), await readFile(PXELINUX));
  const cfg = await runCode('ip', [
    'netns',
    'exec',
    client.name,
    'tftp',
    SERVER_IP,
    '-c',
    'get',
    perMac,
    `${dir}/cfg`,
  ]);
  t.is(cfg.code, 0, cfg.output);
  const text = await readFile(`${dir}/cfg`, 'utf8');
  t.regex(
    text,
    new RegExp(`ipa-inspection-callback-url=http://${SERVER_IP.replace(/\./g, '\\.')}:\\d+/v1/continue`),
  );
  t.regex(text, /KERNEL discovery\.kernel/);
  // One event per transfer, linked to the MAC through its lease and to the node through its port.
  const events = await waitFor(async () => {
    const all = await timeline(w(), `node=${nodeUuid}`);
    return all.filter((e) => e.type === 'tftp.transfer').length >= 2 ? all : null;
  }, 'two tftp.transfer events in the node timeline');
  const transfers = events.filter((e) => e.type === 'tftp.transfer');
  t.deepEqual(
    transfers.map((e) => [e.data?.file, e.mac]),
    [
      ['pxelinux.0', ENROLLED],
      [perMac, ENROLLED],
    ],
  );
});

test.serial('curl fetches the iPXE script and a kernel range over HTTP boot', async (t) => {
  const { client, daemon, kernel } = w();
  const conf = await readFile(daemon.configPath, 'utf8');
  const listen = /listen_port = (\d+)/.exec(conf)?.[1];
  const base = `http://${SERVER_IP}:${listen}`;
  const script = await runCode('ip', [
    'netns',
    'exec',
    client.name,
    'curl',
    '-sf',
    `${base}/boot/ipxe/${ENROLLED}.ipxe`,
  ]);
  t.is(script.code, 0, script.output);
  t.regex(script.output, /^#!ipxe/);
  t.regex(script.output, new RegExp(`kernel --name kernel ${base}/boot/files/discovery\\.kernel `));
  const dir = (await runCode('mktemp', ['-d'])).output.trim();
  cleanups.push(() => runCode('rm', ['-rf', dir]).then(() => undefined));
  const got = await runCode('ip', [
    'netns',
    'exec',
    client.name,
    'curl',
    '-sf',
    '-r',
    '1000-1999',
    '-o',
    `${dir}/part`,
    `${base}/boot/files/discovery.kernel`,
  ]);
  t.is(got.code, 0);
  t.deepEqual(await readFile(`${dir}/part`), kernel.subarray(1000, 2000));
  const events = await timeline(w(), `node=${nodeUuid}`);
  t.true(events.some((e) => e.type === 'http.fetch' && e.data?.file === `ipxe/${ENROLLED}.ipxe`));
  t.true(events.some((e) => e.type === 'http.fetch' && e.data?.range === '1000-1999' && e.mac === ENROLLED));
});

test.serial('finishing the introspection (POST /v1/continue) closes DHCP for the node again', async (t) => {
  const { client, clientIf } = w();
  await client.exec('ip', ['addr', 'flush', 'dev', clientIf]);
  const r = await api(w().daemon.url, 'POST', '/v1/continue', ipaInventory(ENROLLED));
  t.is(r.status, 200, r.text);
  await waitFor(async () => {
    const s = await api(w().daemon.url, 'GET', `/v1/introspection/${nodeUuid}`);
    return (s.json as { finished: boolean }).finished;
  }, 'the introspection to finish');
  t.is(await leaseAs(ENROLLED), null);
});

test.serial('an unknown MAC gets a lease only while discovery is on', async (t) => {
  t.is(await leaseAs(UNKNOWN), null);
  t.is((await api(w().daemon.url, 'PUT', '/v1/discovery', { enabled: true })).status, 200);
  t.truthy(await waitFor(() => leaseAs(UNKNOWN), 'a lease for the unknown MAC', 20_000, 200));
  // The enrolled node is still refused: discovery opens DHCP to unknown MACs only.
  t.is(await leaseAs(ENROLLED), null);
});

test.serial('a client on a second interface of the server namespace gets nothing', async (t) => {
  t.is(await dhcp(w().other, w().otherIf), null);
  const events = await timeline(w(), 'mac=52:54:00:bb:00:01');
  t.false(events.some((e) => e.type === 'dhcp.offer'));
});

test.serial('a clean shutdown removes the nftables table', async (t) => {
  t.deepEqual(await tableNames(w().server), ['inspectord']);
  t.is(await w().daemon.stop('SIGTERM'), 0);
  t.deepEqual(await tableNames(w().server), []);
});
