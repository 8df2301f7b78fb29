// Gating with real packets: dnsmasq as the DHCP server behind our nftables filter in a server
// namespace with two interfaces, busybox udhcpc as the client with chosen MACs.
import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import type { EventInput } from '../../../src/core/events.js';
import type { FilterPolicy } from '../../../src/core/pxe-filter.js';
import type { NftablesPxeFilter } from '../../../src/firewall/filter.js';
import { names, parseCounters } from '../../../src/firewall/ruleset.js';
import { Netns, link, requireTools } from '../../helpers/netns.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import { NFT, dhcp, listTable, makeFilter, nftShim, setMac, tableNames, type Shim } from './harness.js';

interface World {
  server: Netns;
  client: Netns;
  client2: Netns;
  provIf: string;
  clientIf: string;
  client2If: string;
  dnsmasq: ChildProcess;
  shim: Shim;
  filter: NftablesPxeFilter;
  events: EventInput[];
}

let world: World | undefined;
const cleanups: Array<() => Promise<void> | void> = [];

const ALLOWED = '52:54:00:aa:00:01';
const DENIED = '52:54:00:aa:00:02';
const UNKNOWN = '52:54:00:aa:00:03';
const WINDOW = '52:54:00:aa:00:04';

test.before(async () => {
  await requireTools(NFT, 'ip', 'dnsmasq', 'busybox', 'ss');
  const server = await Netns.create('nfgs');
  cleanups.push(() => server.destroy());
  const client = await Netns.create('nfgc');
  cleanups.push(() => client.destroy());
  const client2 = await Netns.create('nfgo');
  cleanups.push(() => client2.destroy());
  const prov = await link(server, '198.18.72.1/24', client, null);
  const other = await link(server, '198.18.73.1/24', client2, null, { bMac: '52:54:00:bb:00:01' });
  // DHCP server for both networks: without our filter it would answer on both.
  const dnsmasq = server.spawn('dnsmasq', [
    '--no-daemon',
    '--port=0',
    '--conf-file=/dev/null',
    '--leasefile-ro',
    '--dhcp-authoritative',
    '--no-ping',
    '--pid-file=',
    `--interface=${prov.aIf}`,
    `--interface=${other.aIf}`,
    '--dhcp-range=198.18.72.100,198.18.72.200,255.255.255.0,2m',
    '--dhcp-range=198.18.73.100,198.18.73.200,255.255.255.0,2m',
  ]);
  let dnsmasqLog = '';
  dnsmasq.stderr?.on('data', (d: Buffer) => (dnsmasqLog += d.toString()));
  cleanups.push(async () => {
    // Killed by its PID; Netns.destroy also kills anything left in the namespace by PID.
    if (dnsmasq.pid !== undefined && dnsmasq.exitCode === null) process.kill(dnsmasq.pid, 'SIGKILL');
  });
  await waitFor(
    async () => (await server.exec('ss', ['-uln'])).includes('0.0.0.0:67'),
    `dnsmasq listening on :67 (log: ${dnsmasqLog})`,
  );
  const shim = nftShim(server);
  cleanups.push(() => shim.dispose());
  const { filter, events } = makeFilter(shim.path, { interface: prov.aIf, knockTimeoutSec: 600 });
  world = {
    server,
    client,
    client2,
    provIf: prov.aIf,
    clientIf: prov.bIf,
    client2If: other.bIf,
    dnsmasq,
    shim,
    filter,
    events,
  };
});

test.after.always(async () => {
  if (world) await world.filter.stop().catch(() => undefined);
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function w(): World {
  if (!world) throw new Error('test world was not built');
  return world;
}

const leaseAs = async (mac: string): Promise<boolean> => {
  await setMac(w().client, w().clientIf, mac);
  return (await dhcp(w().client, w().clientIf)) !== null;
};

async function counter(name: string): Promise<number> {
  return parseCounters(await listTable(w().server))[name]?.packets ?? 0;
}

const policy = (over: Partial<FilterPolicy> = {}): FilterPolicy => ({
  allow: [{ mac: ALLOWED, node: 'node-allowed', expiresAt: Date.now() + 600_000 }],
  deny: [DENIED],
  unknown: 'deny',
  ...over,
});

// Serial: each test builds on the filter state the previous one left.
test.serial('without the filter, dnsmasq answers on the second interface too (baseline)', async (t) => {
  t.not(await dhcp(w().client2, w().client2If), null);
});

test.serial('an enrolled node not under introspection gets no lease and the timeline says why', async (t) => {
  const { filter, events } = w();
  await filter.start();
  await filter.sync(policy());
  t.false(await leaseAs(DENIED));
  t.true((await counter(names.counters.denied)) > 0);
  await filter.readKnocks();
  const knock = events.find((e) => e.type === 'filter.knock' && e.mac === DENIED);
  t.truthy(knock);
  t.regex(
    knock?.message ?? '',
    /tried \d+ time\(s\) and was refused.*enrolled node is not under introspection/,
  );
});

test.serial('a MAC under introspection gets a lease', async (t) => {
  t.true(await leaseAs(ALLOWED));
  t.true((await counter(names.counters.allowed)) > 0);
});

test.serial('an unknown MAC is refused while discovery is off and recorded in knocks', async (t) => {
  t.false(await leaseAs(UNKNOWN));
  const knocks = await w().filter.readKnocks();
  t.true((knocks.find((k) => k.mac === UNKNOWN)?.count ?? 0) > 0);
  t.true((await counter(names.counters.unknownRefused)) > 0);
});

test.serial('an unknown MAC gets a lease once discovery is on', async (t) => {
  await w().filter.sync(policy({ unknown: 'allow' }));
  t.true(await leaseAs(UNKNOWN));
});

test.serial('starting introspection of the denied node opens it; finishing closes it again', async (t) => {
  const { filter } = w();
  await filter.sync(
    policy({ allow: [{ mac: DENIED, node: 'node-denied', expiresAt: Date.now() + 600_000 }], deny: [] }),
  );
  t.true(await leaseAs(DENIED));
  await filter.sync(policy());
  t.false(await leaseAs(DENIED));
});

test.serial('a client on the second interface of the server gets nothing (confinement)', async (t) => {
  const before = await counter(names.counters.confined);
  t.is(await dhcp(w().client2, w().client2If), null);
  t.true((await counter(names.counters.confined)) > before);
});

test.serial(
  'when the window element times out the MAC is refused again with no sync (daemon dead)',
  async (t) => {
    const { filter, shim, server } = w();
    // Discovery on, so the refusal after expiry comes from the deny fallback, not the unknown rule.
    await filter.sync(
      policy({ allow: [{ mac: WINDOW, expiresAt: Date.now() + 3_000 }], deny: [], unknown: 'allow' }),
    );
    t.true(await leaseAs(WINDOW));
    // From here on no nft call may happen: make any apply fail loudly, as if the daemon were gone.
    shim.failNextApplies(1000);
    await sleep(4_200);
    t.false(await leaseAs(WINDOW));
    shim.failNextApplies(0);
    t.deepEqual(await tableNames(server), ['inspectord']);
  },
);

test.serial('stop removes the table, leaving DHCP to dnsmasq alone again', async (t) => {
  const { filter, server } = w();
  await filter.stop();
  t.deepEqual(await tableNames(server), []);
  t.true(await leaseAs(DENIED));
});
