// The nftables PXE filter against the real kernel, one throwaway network namespace per test (nft
// tables are per namespace, so the host's ruleset is never touched).
import test from 'ava';
import type { AppError } from '../../../src/core/errors.js';
import { names, parseCounters, parseSetElements } from '../../../src/firewall/ruleset.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { sleep } from '../../helpers/wait.js';
import { NFT, listTable, makeFilter, nftShim, tableNames } from './harness.js';

test.before(async () => {
  await requireTools(NFT, 'ip', 'setpriv');
});

async function world(t: { teardown: (fn: () => Promise<void> | void) => void }, shimOpts = {}) {
  const ns = await Netns.create('nftt');
  t.teardown(() => ns.destroy());
  const shim = nftShim(ns, shimOpts);
  t.teardown(() => shim.dispose());
  const { filter, events } = makeFilter(shim.path, { interface: 'prov0', knockTimeoutSec: 600 });
  return { ns, shim, filter, events };
}

const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';
const D = '52:54:00:00:00:0d';
const macs = (listing: Awaited<ReturnType<typeof listTable>>, set: string) =>
  parseSetElements(listing, set)
    .map((e) => e.mac)
    .sort();

test('start creates the table with its sets, counters and input chain; stop removes it', async (t) => {
  const { ns, filter } = await world(t);
  await filter.start();
  const listing = await listTable(ns);
  const chain = listing.find((e) => e.chain)?.chain;
  t.like(chain, { name: names.chain, hook: 'input', prio: -5, policy: 'accept', type: 'filter' });
  t.deepEqual(
    listing.flatMap((e) => (e.set ? [e.set.name] : [])).sort(),
    [names.allowed, names.denied, names.knocks].sort(),
  );
  t.deepEqual(Object.keys(parseCounters(listing)).sort(), Object.values(names.counters).sort());
  t.true(listing.filter((e) => e.rule).length >= 4);
  t.true(filter.status().healthy);
  await filter.stop();
  t.deepEqual(await tableNames(ns), []);
});

test('sync replaces the MAC sets atomically as the policy changes', async (t) => {
  const { ns, filter, events } = await world(t);
  await filter.start();
  await filter.sync({ allow: [{ mac: A, node: 'na' }], deny: [D], unknown: 'deny' });
  let listing = await listTable(ns);
  t.deepEqual(macs(listing, names.allowed), [A]);
  t.deepEqual(macs(listing, names.denied), [A, D]);
  await filter.sync({ allow: [{ mac: B, node: 'nb' }], deny: [A, D], unknown: 'allow' });
  listing = await listTable(ns);
  t.deepEqual(macs(listing, names.allowed), [B]);
  t.deepEqual(macs(listing, names.denied), [A, B, D]);
  t.true(JSON.stringify(listing).includes('discovery is on'));
  t.is(events.filter((e) => e.type === 'filter.sync').length, 3);
  await filter.stop();
});

test('an allowed element carries the remaining window as its timeout and expires by itself', async (t) => {
  const { ns, filter } = await world(t);
  await filter.start();
  await filter.sync({ allow: [{ mac: A, expiresAt: Date.now() + 2_000 }], deny: [], unknown: 'allow' });
  const before = parseSetElements(await listTable(ns), names.allowed);
  t.is(before.length, 1);
  t.true(before[0]!.timeout !== undefined && before[0]!.timeout <= 2);
  await sleep(3_200);
  const after = await listTable(ns);
  t.deepEqual(macs(after, names.allowed), []);
  t.deepEqual(macs(after, names.denied), [A], 'the expired MAC falls back to refusal');
  await filter.stop();
});

test('start replaces a stale table from a crash and leaves exactly one table', async (t) => {
  const { ns, filter } = await world(t);
  // A previous run's table with something of its own that must not survive.
  await ns.exec(NFT, ['add', 'table', 'inet', 'inspectord']);
  await ns.exec(NFT, ['add', 'set', 'inet', 'inspectord', 'leftover', '{ type ipv4_addr; }']);
  await filter.start();
  t.deepEqual(await tableNames(ns), ['inspectord']);
  t.false((await listTable(ns)).some((e) => e.set?.name === 'leftover'));
  // A second start (daemon restart) too.
  const { filter: again } = makeFilter(filter.options.nftPath, { interface: 'prov0' });
  await again.start();
  t.deepEqual(await tableNames(ns), ['inspectord']);
  await again.stop();
});

test('a failed sync is reported and the next sync recovers with the right sets', async (t) => {
  const { ns, shim, filter, events } = await world(t);
  await filter.start();
  shim.failNextApplies(2); // the update and the in-call rebuild both fail
  await filter.sync({ allow: [{ mac: A }], deny: [D], unknown: 'deny' });
  const broken = filter.status();
  t.false(broken.healthy);
  t.regex(broken.lastError ?? '', /injected/);
  const error = events.find((e) => e.type === 'filter.error');
  t.truthy(error);
  t.is(error?.level, 'error');
  t.deepEqual(macs(await listTable(ns), names.allowed), [], 'nothing half-applied');
  await filter.sync({ allow: [{ mac: A }], deny: [D], unknown: 'deny' });
  t.true(filter.status().healthy);
  t.is(filter.status().lastError, undefined);
  const listing = await listTable(ns);
  t.deepEqual(macs(listing, names.allowed), [A]);
  t.deepEqual(macs(listing, names.denied), [A, D]);
  t.true(events.some((e) => e.type === 'filter.sync' && /recovered/.test(e.message)));
  await filter.stop();
});

test('a single failed update is healed by a rebuild within the same sync', async (t) => {
  const { ns, shim, filter } = await world(t);
  await filter.start();
  shim.failNextApplies(1);
  await filter.sync({ allow: [{ mac: A }], deny: [], unknown: 'deny' });
  t.is(shim.remaining(), 0);
  t.true(filter.status().healthy);
  t.deepEqual(macs(await listTable(ns), names.allowed), [A]);
  await filter.stop();
});

test('a table deleted by someone else is re-created on the next sync', async (t) => {
  const { ns, filter, events } = await world(t);
  await filter.start();
  const policy = { allow: [{ mac: A }], deny: [D], unknown: 'deny' as const };
  await filter.sync(policy);
  await ns.exec(NFT, ['flush', 'ruleset']);
  await filter.sync(policy);
  t.deepEqual(macs(await listTable(ns), names.allowed), [A]);
  t.true(events.some((e) => e.type === 'filter.error' && /vanished/.test(e.message)));
  await filter.stop();
});

test('start without CAP_NET_ADMIN fails with ERR_FIREWALL_PERMISSION', async (t) => {
  const { ns, filter } = await world(t, { unprivileged: true });
  const error = await t.throwsAsync(filter.start());
  t.is((error as AppError).code, 'ERR_FIREWALL_PERMISSION');
  t.regex(error!.message, /CAP_NET_ADMIN/);
  t.deepEqual(await tableNames(ns), []);
});

test('start without nft fails with ERR_FIREWALL_NFT_MISSING', async (t) => {
  const { filter } = makeFilter('/nonexistent/sbin/nft', { interface: 'prov0' });
  const error = await t.throwsAsync(filter.start());
  t.is((error as AppError).code, 'ERR_FIREWALL_NFT_MISSING');
});
