import test from 'ava';
import pino from 'pino';
import { AppError } from '../../../src/core/errors.js';
import type { EventInput } from '../../../src/core/events.js';
import type { FilterPolicy } from '../../../src/core/pxe-filter.js';
import { NftablesPxeFilter, NoopPxeFilter } from '../../../src/firewall/filter.js';
import type { Nft, NftBatch, NftListEntry } from '../../../src/firewall/nft.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

/** In-memory stand-in for the nft wrapper: records batches, fails on demand, serves a listing. */
class FakeNft {
  batches: NftBatch[] = [];
  failures: AppError[] = [];
  tableExists = false;
  knocks: Array<{ mac: string; packets: number; expires: number }> = [];

  async apply(batch: NftBatch): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push(batch);
    const json = JSON.stringify(batch);
    if (json.includes('"delete":{"table"') && !json.includes('"chain"')) this.tableExists = false;
    else if (json.includes('"add":{"table"')) this.tableExists = true;
  }

  async list(): Promise<NftListEntry[] | null> {
    if (!this.tableExists) return null;
    const t = { family: 'inet', table: 'inspectord' };
    return [
      { table: { family: 'inet', name: 'inspectord' } },
      { set: { ...t, name: 'allowed_macs' } },
      { set: { ...t, name: 'denied_macs' } },
      {
        set: {
          ...t,
          name: 'knocks',
          elem: this.knocks.map((k) => ({
            elem: { val: k.mac, expires: k.expires, counter: { packets: k.packets } },
          })),
        },
      },
      { chain: { ...t, name: 'pxe_guard' } },
      { rule: { ...t, chain: 'pxe_guard' } },
    ];
  }

  kinds(): string[] {
    return this.batches.map((b) => (JSON.stringify(b.nftables[1]).includes('delete') ? 'full' : 'update'));
  }
}

function setup(now = NOW) {
  const nft = new FakeNft();
  const events: EventInput[] = [];
  const clock = { t: now, now: () => clock.t };
  const filter = new NftablesPxeFilter({
    log: pino({ level: 'silent' }),
    events: { emit: (e) => events.push(e) },
    clock,
    nft: nft as unknown as Nft,
    options: { interface: 'prov0' },
  });
  return { nft, events, clock, filter };
}

const policy: FilterPolicy = {
  allow: [{ mac: '52:54:00:00:00:01', expiresAt: NOW + 60_000, node: 'n1' }],
  deny: ['52:54:00:00:00:02'],
  unknown: 'deny',
};
const failure = () => new AppError('ERR_FIREWALL_NFT_FAILED', 'nft failed: injected');

test('start applies a full table with DHCP closed', async (t) => {
  const { nft, filter } = setup();
  await filter.start();
  t.deepEqual(nft.kinds(), ['full']);
  t.true(JSON.stringify(nft.batches[0]).includes('DHCP closed'));
  t.true(filter.status().healthy);
});

test('an unchanged policy is not re-applied even as remaining seconds tick', async (t) => {
  const { nft, filter, clock } = setup();
  await filter.start();
  await filter.sync(policy);
  clock.t += 5_000;
  await filter.sync({ ...policy, deny: [...policy.deny] });
  t.deepEqual(nft.kinds(), ['full', 'update']);
});

test('a changed policy is applied as one update batch', async (t) => {
  const { nft, filter } = setup();
  await filter.start();
  await filter.sync(policy);
  await filter.sync({ ...policy, unknown: 'allow' });
  t.deepEqual(nft.kinds(), ['full', 'update', 'update']);
  t.true(JSON.stringify(nft.batches[2]).includes('discovery is on'));
});

test('a failed sync marks the filter unhealthy, emits filter.error once, and the next sync rebuilds', async (t) => {
  const { nft, filter, events } = setup();
  await filter.start();
  // The update and the immediate rebuild both fail; the same failure again is not re-announced.
  nft.failures.push(failure(), failure(), failure());
  await filter.sync(policy);
  t.false(filter.status().healthy);
  t.is(filter.status().lastError, 'nft failed: injected');
  await filter.sync(policy);
  t.is(events.filter((e) => e.type === 'filter.error').length, 1);
  await filter.sync(policy);
  t.true(filter.status().healthy);
  t.is(filter.status().lastError, undefined);
  t.deepEqual(nft.kinds(), ['full', 'full']);
  t.regex(events.at(-1)!.message, /recovered/);
});

test('a permission error is not retried as a rebuild within the same sync', async (t) => {
  const { nft, filter } = setup();
  await filter.start();
  nft.failures.push(new AppError('ERR_FIREWALL_PERMISSION', 'no CAP_NET_ADMIN'));
  await filter.sync(policy);
  t.is(filter.status().lastError, 'no CAP_NET_ADMIN');
  t.is(nft.failures.length, 0);
  t.deepEqual(nft.kinds(), ['full']);
});

test('start throws the coded error when nft cannot be applied', async (t) => {
  const { nft, filter } = setup();
  nft.failures.push(new AppError('ERR_FIREWALL_PERMISSION'));
  const error = await t.throwsAsync(filter.start());
  t.is((error as AppError).code, 'ERR_FIREWALL_PERMISSION');
  t.false(filter.status().healthy);
});

test('a vanished table is re-created on the next unchanged sync', async (t) => {
  const { nft, filter, events } = setup();
  await filter.start();
  await filter.sync(policy);
  nft.tableExists = false;
  await filter.sync(policy);
  t.deepEqual(nft.kinds(), ['full', 'update', 'full']);
  t.true(events.some((e) => e.type === 'filter.error' && /vanished/.test(e.message)));
  t.true(filter.status().healthy);
});

test('knocks become one filter.knock event per new attempt batch, with the reason', async (t) => {
  const { nft, filter, events } = setup();
  await filter.start();
  nft.knocks = [{ mac: '52:54:00:00:00:02', packets: 3, expires: 3590 }];
  await filter.sync(policy);
  await filter.sync(policy);
  nft.knocks = [{ mac: '52:54:00:00:00:02', packets: 5, expires: 3599 }];
  const knocks = await filter.readKnocks();
  const emitted = events.filter((e) => e.type === 'filter.knock');
  t.is(emitted.length, 2);
  t.is(emitted[0]!.mac, '52:54:00:00:00:02');
  t.regex(emitted[0]!.message, /tried 3 time\(s\) and was refused.*not under introspection/);
  t.deepEqual(emitted[1]!.data?.new, 2);
  t.deepEqual(knocks, [{ mac: '52:54:00:00:00:02', count: 5, lastSeen: new Date(NOW - 1000).toISOString() }]);
  t.deepEqual(filter.status().knocks?.[0]?.count, 5);
});

test('stop removes the table and later syncs do nothing', async (t) => {
  const { nft, filter } = setup();
  await filter.start();
  await filter.stop();
  await filter.sync(policy);
  t.false(nft.tableExists);
  t.is(nft.batches.length, 2);
});

test('an empty interface is a configuration error', (t) => {
  const error = t.throws(
    () =>
      new NftablesPxeFilter({
        log: pino({ level: 'silent' }),
        events: { emit: () => undefined },
        clock: { now: () => NOW },
        options: { interface: '' },
      }),
  );
  t.is((error as AppError).code, 'ERR_CONFIG_INVALID');
});

test('noop driver is always healthy and enforces nothing', async (t) => {
  const filter = new NoopPxeFilter({ clock: { now: () => NOW } });
  await filter.start();
  await filter.sync(policy);
  await filter.stop();
  t.deepEqual(filter.status(), { driver: 'noop', healthy: true, lastSyncAt: new Date(NOW).toISOString() });
});
