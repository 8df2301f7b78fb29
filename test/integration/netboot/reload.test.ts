// SIGHUP with a new [dhcp] range on a running appliance (ADR 0011): busybox udhcpc gets an address
// from the old range, the range changes live (sockets untouched), explain shows the new range at
// once, and the next clients — also the old one coming back — get addresses from the new range.
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { api } from '../../helpers/daemon.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import { NFT, buildWorld, dhcp, setMac, timeline, type World } from './harness.js';

const OLD_CLIENT = '52:54:00:91:00:01';
const NEW_CLIENT = '52:54:00:91:00:02';
const EXPLAINED = '52:54:00:91:00:03';

let world: World | undefined;
const cleanups: Array<() => Promise<void> | void> = [];

test.before(async () => {
  await requireTools(NFT, 'ip', 'busybox');
  // Discovery on: unknown MACs may DHCP, so plain udhcpc clients get leases.
  world = await buildWorld(cleanups, { discovery: { enabled: true } });
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function w(): World {
  if (!world) throw new Error('test world was not built');
  return world;
}

async function leaseAs(mac: string, extra: string[] = []): Promise<string | null> {
  await setMac(w().client, w().clientIf, mac);
  return dhcp(w().client, w().clientIf, extra);
}

test.serial(
  'SIGHUP moves the DHCP range live: old lease from the old range, new clients from the new',
  async (t) => {
    const first = await leaseAs(OLD_CLIENT);
    t.regex(first ?? '', /^198\.18\.90\.1\d\d$/, 'a lease from the old range 100-150');

    // The daemon's own config file, with only the range changed (and one restart-only option).
    const config = await readFile(w().daemon.configPath, 'utf8');
    const changed = config
      .replace('range_start = 198.18.90.100', 'range_start = 198.18.90.200')
      .replace('range_end = 198.18.90.150', 'range_end = 198.18.90.210')
      .replace('lease_time = 600', 'lease_time = 900\nproxy_port = 4012');
    t.not(changed, config);
    await writeFile(w().daemon.configPath, changed);
    w().daemon.child.kill('SIGHUP');
    const reload = await waitFor(
      async () => (await timeline(w(), 'type=daemon.reload'))[0] ?? null,
      'the daemon.reload event',
      10_000,
    );
    const data = reload.data as { applied: string[]; restartRequired: string[]; errors: string[] };
    t.deepEqual([...data.applied].sort(), ['dhcp.lease_time', 'dhcp.range_end', 'dhcp.range_start']);
    t.deepEqual(data.restartRequired, ['dhcp.proxy_port']);
    t.deepEqual(data.errors, []);

    // explain uses the live responder: the new range right after the reload.
    const explained = await api(w().daemon.url, 'GET', `/v1/explain?mac=${EXPLAINED}`);
    t.is(explained.status, 200, explained.text);
    t.regex((explained.json as { dhcp: { message: string } }).dhcp.message, /offered 198\.18\.90\.200\b/);

    const second = await leaseAs(NEW_CLIENT);
    t.is(second, '198.18.90.200', 'a new client gets the first address of the new range');

    // The old client asks for its old address again: it is offered one in the new range instead.
    const again = await leaseAs(OLD_CLIENT, ['-r', first ?? '']);
    t.regex(again ?? '', /^198\.18\.90\.2(0\d|10)$/);
    const acks = await timeline(w(), `mac=${OLD_CLIENT}&type=dhcp.ack`);
    t.regex(acks.at(-1)?.message ?? '', /for 900 s/, 'the new lease time is in force');
  },
);
