// The appliance when things go wrong: kill -9 with an introspection window open (the nft element
// timeout closes it with the daemon down), restart (one table), nft failing once (the periodic sync
// recovers), and the coded start-up refusals (nft missing, DHCP port taken).
import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { names, parseCounters } from '../../../src/firewall/ruleset.js';
import { api, startDaemon } from '../../helpers/daemon.js';
import { requireTools } from '../../helpers/netns.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import {
  NFT,
  buildWorld,
  dhcp,
  netbootSections,
  setMac,
  tableNames,
  timeline,
  type World,
} from './harness.js';

const NODE_MAC = '52:54:00:91:00:01';
const UNKNOWN = '52:54:00:91:00:99';
const TIMEOUT_S = 8;

let world: World | undefined;
let nodeUuid = '';
const cleanups: Array<() => Promise<void> | void> = [];
const shimDir = mkdtempSync(join(tmpdir(), 'nft-shim-'));
const failCounter = join(shimDir, 'fail-count');
const shim = join(shimDir, 'nft');

test.before(async () => {
  await requireTools(NFT, 'ip', 'busybox');
  cleanups.push(() => rmSync(shimDir, { recursive: true, force: true }));
  // Stands in for nft (the daemon runs in the namespace already): fails the next N batch applies.
  writeFileSync(failCounter, '0');
  writeFileSync(
    shim,
    `#!/bin/sh
n=$(cat '${failCounter}')
if [ "$2" = "-f" ] && [ "$n" -gt 0 ]; then
  echo $((n - 1)) > '${failCounter}'
  echo 'internal:0:0-0: Error: Could not process rule: Device or resource busy (injected)' >&2
  exit 1
fi
exec ${NFT} "$@"
`,
  );
  chmodSync(shim, 0o755);
  world = await buildWorld(cleanups, {
    DEFAULT: { timeout: TIMEOUT_S, clean_up_period: 0 },
    pxe_filter: { nft_path: shim, sync_period: 2 },
  });
  const created = await api(world.daemon.url, 'POST', '/v1/nodes', {
    name: 'crash-node',
    ports: [{ address: NODE_MAC }],
  });
  nodeUuid = (created.json as { uuid: string }).uuid;
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function w(): World {
  if (!world) throw new Error('test world was not built');
  return world;
}

/** A state dir for a daemon that is expected not to start, removed after the test. */
function scratch(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'inspectord-refused-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function counters(): Promise<Record<string, { packets: number }>> {
  const listing = JSON.parse(await w().server.exec(NFT, ['-j', 'list', 'table', 'inet', 'inspectord'])) as {
    nftables: Array<Record<string, Record<string, unknown>>>;
  };
  return parseCounters(listing.nftables);
}

test.serial('kill -9 with a window open: the MAC is refused again after the element timeout', async (t) => {
  const { client, clientIf, daemon } = w();
  await setMac(client, clientIf, NODE_MAC);
  const started = Date.now();
  t.is((await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}?manage_boot=false`)).status, 202);
  t.truthy(await waitFor(() => dhcp(client, clientIf), 'a lease inside the window', 6_000, 100));
  await daemon.stop('SIGKILL');
  // Daemon gone, window still open: the kernel still lets the MAC's DHCP through.
  const before = await counters();
  await dhcp(client, clientIf);
  const during = await counters();
  t.true((during[names.counters.allowed]?.packets ?? 0) > (before[names.counters.allowed]?.packets ?? 0));
  await sleep(Math.max(0, started + TIMEOUT_S * 1000 + 1500 - Date.now()));
  t.is(await dhcp(client, clientIf), null);
  const after = await counters();
  t.true(
    (after[names.counters.denied]?.packets ?? 0) > (during[names.counters.denied]?.packets ?? 0),
    'refused by the deny fallback although nobody re-synced',
  );
  t.is(
    after[names.counters.allowed]?.packets,
    during[names.counters.allowed]?.packets,
    'no longer allowed after the element timeout',
  );
});

test.serial('restart after kill -9 leaves exactly one nft table', async (t) => {
  await w().daemon.restart();
  t.deepEqual(await tableNames(w().server), ['inspectord']);
  const status = await api(w().daemon.url, 'GET', '/v1/pxe-filter');
  t.true((status.json as { healthy: boolean }).healthy);
});

test.serial('nft failing: the filter reports it and the next periodic sync recovers', async (t) => {
  const { daemon, client, clientIf } = w();
  // Two applies fail: the incremental update and the full rebuild the filter falls back to.
  writeFileSync(failCounter, '2');
  t.is((await api(daemon.url, 'PUT', '/v1/discovery', { enabled: true })).status, 200);
  const broken = await waitFor(async () => {
    const s = (await api(daemon.url, 'GET', '/v1/pxe-filter')).json as {
      healthy: boolean;
      lastError?: string;
    };
    return s.healthy ? null : s;
  }, 'the failed sync to show in GET /v1/pxe-filter');
  t.regex(broken.lastError ?? '', /injected/);
  await waitFor(
    async () => ((await api(daemon.url, 'GET', '/v1/pxe-filter')).json as { healthy: boolean }).healthy,
    'the periodic sync to recover',
    15_000,
    200,
  );
  await setMac(client, clientIf, UNKNOWN);
  t.truthy(
    await waitFor(() => dhcp(client, clientIf), 'a lease for an unknown MAC with discovery on', 15_000, 200),
  );
  const events = await timeline(w(), 'type=filter.error,filter.sync');
  t.true(events.some((e) => e.type === 'filter.error' && /injected/.test(e.message)));
  t.true(events.some((e) => e.type === 'filter.sync' && /recovered/.test(e.message)));
});

test.serial('nft missing: serve refuses to start with a coded error and exit 78', async (t) => {
  const error = await t.throwsAsync(
    startDaemon(
      netbootSections(w().provIf, {
        ipmi: { enabled: false },
        dhcp: { enabled: false },
        tftp: { enabled: false },
        pxe_filter: { nft_path: '/nonexistent/nft', table: 'other' },
      }),
      { netns: w().server.name, stateDir: scratch(t) },
    ),
  );
  t.regex(error?.message ?? '', /exited with 78/);
  t.regex(error?.message ?? '', /ERR_FIREWALL_NFT_MISSING/);
});

test.serial('DHCP port taken: serve refuses to start with a coded error and exit 78', async (t) => {
  const error = await t.throwsAsync(
    startDaemon(
      netbootSections(w().provIf, {
        ipmi: { enabled: false },
        tftp: { enabled: false },
        pxe_filter: { driver: 'noop' },
      }),
      { netns: w().server.name, stateDir: scratch(t) },
    ),
  );
  t.regex(error?.message ?? '', /exited with 78/);
  t.regex(error?.message ?? '', /ERR_DHCP_BIND/);
  // The running daemon's table was not touched.
  t.deepEqual(await tableNames(w().server), ['inspectord']);
});

test.serial('no table is left after a clean shutdown', async (t) => {
  t.is(await w().daemon.stop('SIGTERM'), 0);
  t.deepEqual(await tableNames(w().server), []);
});
