// Netboot.reload (SIGHUP): live [dhcp] options reach what explain and the DHCP server use;
// restart-only ones keep their running value.
import test from 'ava';
import pino from 'pino';
import { buildConfig } from '../../../src/config/load.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import {
  LIVE_NETBOOT_OPTIONS,
  Netboot,
  NotifyingNodeRepository,
  withLiveDhcp,
} from '../../../src/netboot.js';
import { FakeClock } from '../../helpers/core-env.js';
import { MemoryStateStore } from '../../helpers/memory.js';

const dhcp = (over: Record<string, string>) =>
  buildConfig(
    {
      dhcp: {
        interface_address: '198.18.0.1',
        range_start: '198.18.0.100',
        range_end: '198.18.0.110',
        ...over,
      },
    },
    'test',
  );

function netboot() {
  const store = new MemoryStateStore();
  const clock = new FakeClock();
  return new Netboot({
    config: dhcp({}),
    log: pino({ level: 'silent' }),
    clock,
    events: { emit: () => undefined },
    store,
    nodes: new NotifyingNodeRepository(new LocalNodeRepository({ store, clock })),
    windows: { activeWindows: () => [] },
    discovery: () => true,
  });
}

test('withLiveDhcp takes the live [dhcp] options and keeps the restart-only ones', (t) => {
  const merged = withLiveDhcp(
    dhcp({}),
    dhcp({ range_start: '198.18.0.200', interface_address: '198.18.0.2' }),
  );
  t.is(merged.dhcp.range_start, '198.18.0.200');
  t.is(merged.dhcp.interface_address, '198.18.0.1');
  t.true(LIVE_NETBOOT_OPTIONS.includes('dhcp.range_end'));
  t.false(LIVE_NETBOOT_OPTIONS.includes('dhcp.mode'));
});

test('reload: a new range is what explain sees at once', (t) => {
  const boot = netboot();
  const result = boot.reload(
    dhcp({ range_start: '198.18.0.200', range_end: '198.18.0.210', lease_time: '600' }),
  );
  t.deepEqual(result.applied, ['dhcp.range_start', 'dhcp.range_end', 'dhcp.lease_time']);
  t.deepEqual(result.errors, []);
  t.is(boot.explainSources().config.dhcp.range_start, '198.18.0.200');
});

test('reload: nothing changed in [dhcp] applies nothing', (t) => {
  t.deepEqual(netboot().reload(dhcp({ mode: 'proxy' })), { applied: [], errors: [], outsideRange: [] });
});
