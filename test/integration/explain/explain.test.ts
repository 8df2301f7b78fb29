// Explain boot and support bundles against a real `inspectord serve` in a namespace with DHCP,
// TFTP, HTTP boot and the nftables filter (the netboot harness): explain changes nothing, agrees
// with the DHCP server's real answer, and the bundle carries the node's story without its secrets.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, MAIN } from '../../helpers/daemon.js';
import { ipaInventory } from '../../helpers/core-env.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import { NFT, SERVER_IP, buildWorld, dhcp, runCode, setMac, type World } from '../netboot/harness.js';

const MAC = '52:54:00:91:00:01';
const BMC_PASSWORD = 'Bmc-S3cret-9f41d2';

let world: World | undefined;
let nodeUuid = '';
let work = '';
const cleanups: Array<() => Promise<void> | void> = [];

interface Explain {
  filter: { allowed: boolean; reason: string };
  node: { uuid: string } | null;
  dhcp: {
    enabled: boolean;
    mode: string;
    would_reply: boolean;
    reply: { yiaddr: string; file: string } | null;
  };
  boot_file: { file: string; via: string } | null;
  boot_config: { kind: string; text: string } | null;
}

test.before(async () => {
  await requireTools(NFT, 'ip', 'busybox', 'tar', 'curl');
  world = await buildWorld(cleanups, { processing: { always_store_ramdisk_logs: true } });
  work = await mkdtemp(join(tmpdir(), 'inspectord-explain-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const created = await api(world.daemon.url, 'POST', '/v1/nodes', {
    name: 'explain-node',
    driver_info: { ipmi_address: '198.18.91.7', ipmi_username: 'admin', ipmi_password: BMC_PASSWORD },
    ports: [{ address: MAC }],
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

async function explain(query: string): Promise<Explain> {
  const r = await api(w().daemon.url, 'GET', `/v1/explain?mac=${MAC}&${query}`);
  if (r.status !== 200) throw new Error(`GET /v1/explain → ${r.status}: ${r.text}`);
  return r.json as Explain;
}

/** The persisted state minus its save counter: leases, introspections (tokens), nodes. */
async function state(): Promise<unknown> {
  const doc = JSON.parse(await readFile(join(w().daemon.stateDir, 'state.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return { leases: doc.leases, introspections: doc.introspections, nodes: doc.nodes, ports: doc.ports };
}

test.serial('an enrolled MAC not under introspection: explain says denied, with the reason', async (t) => {
  const r = await explain('arch=bios');
  t.false(r.filter.allowed);
  t.regex(r.filter.reason, /enrolled node is not under introspection/);
  t.is(r.node?.uuid, nodeUuid);
  t.true(r.dhcp.enabled);
  t.false(r.dhcp.would_reply);
});

test.serial('under introspection: iPXE gets the script URL, BIOS pxelinux.0; nothing changes', async (t) => {
  const started = await api(w().daemon.url, 'POST', `/v1/introspection/${nodeUuid}?manage_boot=false`);
  t.is(started.status, 202, started.text);
  await waitFor(async () => (await explain('arch=bios')).filter.allowed, 'the filter to allow the MAC');
  const before = await state();
  const ipxe = await explain('arch=efi64&user_class=iPXE');
  t.true(ipxe.filter.allowed);
  t.regex(ipxe.boot_file?.file ?? '', new RegExp(`^http://${SERVER_IP}:\\d+/boot/ipxe/${MAC}\\.ipxe$`));
  t.is(ipxe.boot_config?.kind, 'ipxe');
  t.regex(ipxe.boot_config?.text ?? '', /^#!ipxe/);
  const bios = await explain('arch=bios');
  t.is(bios.boot_file?.file, 'pxelinux.0');
  t.is(bios.dhcp.reply?.file, 'pxelinux.0');
  t.regex(bios.boot_config?.text ?? '', /KERNEL discovery\.kernel/);
  // The CLI shows the same, as text.
  const cli = await runCode(process.execPath, [
    MAIN,
    'explain',
    '--url',
    w().daemon.url,
    '--mac',
    MAC,
    '--arch',
    'bios',
  ]);
  t.is(cli.code, 0, cli.output);
  t.regex(cli.output, /filter: +ALLOWED/);
  t.regex(cli.output, /boot file: +pxelinux\.0 over tftp/);
  t.deepEqual(await state(), before, 'no lease, offer or token was recorded');
});

test.serial('the DHCP server then offers what explain said (UEFI x64 client)', async (t) => {
  const predicted = await explain('arch=efi64');
  t.true(predicted.dhcp.would_reply);
  await setMac(w().client, w().clientIf, MAC);
  const lease = await dhcp(w().client, w().clientIf);
  t.is(lease, predicted.dhcp.reply?.yiaddr ?? 'no prediction');
  t.is(predicted.boot_file?.file, 'grubx64.efi');
});

test.serial('the support bundle holds the node story and not the BMC password', async (t) => {
  const logs = Buffer.from('ramdisk log line\n').toString('base64');
  const posted = await api(w().daemon.url, 'POST', '/v1/continue', { ...ipaInventory(MAC), logs });
  t.is(posted.status, 200, posted.text);
  await waitFor(async () => {
    const s = await api(w().daemon.url, 'GET', `/v1/introspection/${nodeUuid}`);
    return (s.json as { finished: boolean }).finished;
  }, 'the introspection to finish');
  const out = join(work, 'bundle.tar.gz');
  const cli = await runCode(process.execPath, [
    MAIN,
    'bundle',
    '--url',
    w().daemon.url,
    '--node',
    nodeUuid,
    '--out',
    out,
  ]);
  t.is(cli.code, 0, cli.output);
  const listing = await runCode('tar', ['-tzf', out]);
  t.is(listing.code, 0, listing.output);
  const members = listing.output.split('\n').map((m) => m.replace(/^[^/]+\//, ''));
  for (const member of [
    'node.json',
    'timeline.jsonl',
    'pxe-filter.json',
    'data/processed.json',
    'data/unprocessed.json',
    'manifest.json',
    `boot/${MAC.replace(/:/g, '-')}.pxelinux.cfg`,
    `boot/${MAC.replace(/:/g, '-')}.ipxe`,
  ])
    t.true(members.includes(member), `${member} in ${members.join(' ')}`);
  t.true(
    members.some((m) => m.startsWith('ramdisk-logs/')),
    'ramdisk logs are in the bundle',
  );
  const grep = await new Promise<number>((resolve) =>
    execFile('sh', ['-c', `tar -xzOf "${out}" | grep -c -- "${BMC_PASSWORD}"`], (error) =>
      resolve(error ? (typeof error.code === 'number' ? error.code : 2) : 0),
    ),
  );
  t.is(grep, 1, 'grep finds no BMC password in the bundle');
  const byMac = await api(w().daemon.url, 'GET', `/v1/bundle?mac=${MAC}`);
  t.is(byMac.status, 200);
});
