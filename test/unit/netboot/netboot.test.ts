import test from 'ava';
import { filterVerdict } from '../../../src/core/pxe-filter.js';
import pino from 'pino';
import { buildConfig } from '../../../src/config/load.js';
import type { EventInput } from '../../../src/core/events.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import type { FilterPolicy, FilterStatus, PxeFilter } from '../../../src/core/pxe-filter.js';
import type { DecideContext } from '../../../src/dhcp/responder.js';
import { loadBootTemplates } from '../../../src/http-boot/boot-config.js';
import {
  BootFiles,
  BootRenderer,
  LinkingEventSink,
  Netboot,
  NotifyingNodeRepository,
  bootBaseUrl,
  buildFilterPolicy,
  createDecide,
  createTftpResolver,
  dhcpOptions,
} from '../../../src/netboot.js';
import { FakeClock } from '../../helpers/core-env.js';
import { MemoryStateStore } from '../../helpers/memory.js';

const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';
const U = '52:54:00:00:00:99';

async function world() {
  const store = new MemoryStateStore();
  const clock = new FakeClock();
  const nodes = new NotifyingNodeRepository(new LocalNodeRepository({ store, clock }));
  const a = await nodes.create({ name: 'a' }, { ports: [{ address: A }] });
  const b = await nodes.create({ name: 'b' }, { ports: [{ address: B }] });
  return { store, clock, nodes, a, b };
}

const ctx = (mac: string, over: Partial<DecideContext> = {}): DecideContext =>
  ({
    mac,
    packet: undefined as never,
    messageType: 'DISCOVER',
    arch: 0,
    userClass: [],
    vendorClass: undefined,
    giaddr: '0.0.0.0',
    relayed: false,
    ...over,
  }) as DecideContext;

test('policy: nodes under introspection allowed until their window ends, other ports denied', async (t) => {
  const { nodes, a } = await world();
  const policy = buildFilterPolicy({
    windows: [{ uuid: a.uuid, macs: [A.toUpperCase()], expiresAt: 1000 }],
    ports: nodes.listPorts(),
    discovery: false,
    denyUnknownMacs: false,
  });
  t.deepEqual(policy, { allow: [{ mac: A, node: a.uuid, expiresAt: 1000 }], deny: [B], unknown: 'deny' });
});

test('policy: unknown MACs are allowed only with discovery on and deny_unknown_macs off', (t) => {
  const unknown = (discovery: boolean, denyUnknownMacs: boolean) =>
    buildFilterPolicy({ windows: [], ports: [], discovery, denyUnknownMacs }).unknown;
  t.deepEqual(
    [unknown(false, false), unknown(true, false), unknown(true, true), unknown(false, true)],
    ['deny', 'allow', 'deny', 'deny'],
  );
});

test('policy: a node under introspection with no known MAC opens DHCP to unknown MACs, with the reason', (t) => {
  const policy = buildFilterPolicy({
    windows: [{ uuid: 'n-bmc-only', macs: [] }],
    ports: [],
    discovery: false,
    denyUnknownMacs: false,
  });
  t.is(policy.unknown, 'allow');
  const verdict = filterVerdict(policy, '52:54:00:aa:bb:cc');
  t.true(verdict.allowed);
  t.regex(verdict.reason, /n-bmc-only is under introspection with no known MAC/);
  const strict = buildFilterPolicy({
    windows: [{ uuid: 'n-bmc-only', macs: [] }],
    ports: [],
    discovery: false,
    denyUnknownMacs: true,
  });
  t.is(strict.unknown, 'deny');
});

test('decide: a denied MAC is ignored with the filter reason and linked to its node', async (t) => {
  const { nodes, a, b, clock } = await world();
  const policy: FilterPolicy = { allow: [{ mac: A, node: a.uuid }], deny: [B], unknown: 'deny' };
  const decide = createDecide({
    policy: () => policy,
    nodeOf: (mac) => nodes.portByAddress(mac)?.node_uuid,
    clock,
  });
  t.deepEqual(decide(ctx(A)), { action: 'serve', node: a.uuid });
  const denied = decide(ctx(B));
  t.is(denied.action, 'ignore');
  t.is(denied.node, b.uuid);
  t.regex(denied.action === 'ignore' ? denied.reason : '', /not under introspection/);
  const unknown = decide(ctx(U, { relayed: true, giaddr: '198.18.5.1' }));
  t.regex(unknown.action === 'ignore' ? unknown.reason : '', /relayed by 198\.18\.5\.1, gated on chaddr/);
});

test('timeline: a TFTP transfer is linked to the MAC of its lease and to the node', async (t) => {
  const { nodes, a } = await world();
  const seen: EventInput[] = [];
  const sink = new LinkingEventSink(
    { emit: (e) => seen.push(e) },
    {
      nodeOf: (mac) => nodes.portByAddress(mac)?.node_uuid,
      macOfAddress: (ip) => (ip === '198.18.0.100' ? A : undefined),
    },
  );
  sink.emit({
    type: 'tftp.transfer',
    message: 'x',
    data: { file: 'pxelinux.0', client: { address: '198.18.0.100', port: 2000 } },
  });
  sink.emit({ type: 'tftp.transfer', message: 'y', data: { file: 'pxelinux.cfg/01-52-54-00-00-00-0b' } });
  sink.emit({ type: 'filter.knock', mac: A, message: 'z' });
  t.deepEqual(
    seen.map((e) => [e.mac, e.node]),
    [
      [A, a.uuid],
      [B, nodes.portByAddress(B)?.node_uuid],
      [A, a.uuid],
    ],
  );
});

test('boot configs: per-MAC pxelinux config carries the callback URL and the token hook value', async (t) => {
  const { nodes, a } = await world();
  const calls: Array<[string | undefined, string | undefined]> = [];
  const renderer = new BootRenderer(
    await loadBootTemplates(),
    {
      baseUrl: 'http://198.18.0.1:5050',
      kernel: 'k',
      initramfs: 'i',
      kernelParams: ['ipa-debug=1'],
      console: 'ttyS0',
      collectors: 'default',
    },
    {
      nodes,
      tokenFor: (node, mac) => {
        calls.push([node?.uuid, mac]);
        return node ? 'tok123' : undefined;
      },
    },
  );
  const resolve = createTftpResolver(renderer, new BootFiles('/nonexistent', false));
  const perMac = await resolve('pxelinux.cfg/01-52-54-00-00-00-0a');
  const text = perMac?.kind === 'buffer' ? perMac.data.toString() : '';
  t.regex(text, /ipa-inspection-callback-url=http:\/\/198\.18\.0\.1:5050\/v1\/continue/);
  t.regex(text, /inspectord-token=tok123/);
  t.regex(text, /ipa-debug=1/);
  t.deepEqual(calls, [[a.uuid, A]]);
  const fallback = await resolve('pxelinux.cfg/default');
  t.notRegex(fallback?.kind === 'buffer' ? fallback.data.toString() : '', /token/);
  t.regex(renderer.render('ipxe', A), /kernel .*http:\/\/198\.18\.0\.1:5050\/boot\/files\/k /);
  t.regex(renderer.render('grub', A), /linux \(\$root\)\/k /);
  t.is(await resolve('nothing-here'), null);
});

test('boot configs: a TFTP config leaves only after the durable write of the token it carries', async (t) => {
  const { nodes } = await world();
  const renderer = new BootRenderer(
    await loadBootTemplates(),
    {
      baseUrl: 'http://198.18.0.1:5050',
      kernel: 'k',
      initramfs: 'i',
      kernelParams: [],
      console: 'ttyS0',
      collectors: 'default',
    },
    { nodes, tokenFor: () => 'tok123' },
  );
  let written = (): void => undefined;
  const durable = new Promise<void>((resolve) => (written = resolve));
  const resolve = createTftpResolver(renderer, new BootFiles('/nonexistent', false), () => durable);
  let answered = false;
  const pending = resolve('pxelinux.cfg/01-52-54-00-00-00-0a').then((r) => {
    answered = true;
    return r;
  });
  await new Promise((r) => setImmediate(r));
  t.false(answered, 'not before the state write');
  written();
  const config = await pending;
  t.regex(config?.kind === 'buffer' ? config.data.toString() : '', /inspectord-token=tok123/);
  t.is(await resolve('nothing-here'), null, 'loaders and files do not wait for the store');
});

class FakeFilter implements PxeFilter {
  syncs: FilterPolicy[] = [];
  failNext = 0;
  healthy = true;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async sync(policy: FilterPolicy): Promise<void> {
    this.syncs.push(policy);
    this.healthy = this.failNext === 0;
    if (this.failNext > 0) this.failNext -= 1;
  }
  status(): FilterStatus {
    return { driver: 'fake', healthy: this.healthy };
  }
}

test('sync: changes reach the filter only when the policy changed; a failed sync is retried', async (t) => {
  const { nodes, store, clock, a } = await world();
  const filter = new FakeFilter();
  let windows: Array<{ uuid: string; macs: string[] }> = [];
  let discovery = false;
  const netboot = new Netboot({
    config: buildConfig({}, 'test'),
    log: pino({ level: 'silent' }),
    clock,
    events: { emit: () => undefined },
    store,
    nodes,
    windows: { activeWindows: () => windows },
    discovery: () => discovery,
    filter,
  });
  nodes.onChange(() => void netboot.policyChanged());
  await netboot.start();
  t.is(filter.syncs.length, 1);
  await netboot.policyChanged();
  t.is(filter.syncs.length, 1, 'unchanged policy: no filter call');
  windows = [{ uuid: a.uuid, macs: [A] }];
  filter.failNext = 1;
  await netboot.policyChanged();
  t.is(filter.syncs.length, 2);
  t.deepEqual(
    filter.syncs[1]?.allow.map((e) => e.mac),
    [A],
  );
  // The failed sync is retried even though the policy did not change since.
  await netboot.requestSync(false);
  t.is(filter.syncs.length, 3);
  t.true(filter.status().healthy);
  discovery = true;
  await netboot.policyChanged();
  t.is(filter.syncs.at(-1)?.unknown, 'allow');
  await nodes.createPort(a.uuid, { address: U });
  await netboot.requestSync(false);
  t.true(filter.syncs.at(-1)?.allow.some((e) => e.mac === A));
  t.true(netboot.policy().deny.includes(U));
  await netboot.close();
});

test('config: [dhcp] problems are listed together as one coded error', (t) => {
  const config = buildConfig({ dhcp: { enabled: 'true', boot_file_map: 'x86' } }, 'test');
  const error = t.throws(() => dhcpOptions(config));
  t.is((error as { code?: string }).code, 'ERR_CONFIG_INVALID');
  t.regex(error?.message ?? '', /interface_address.*range_start.*boot_file_map/);
});

test('config: boot URLs use the DHCP interface address unless a base URL is given', (t) => {
  const base = buildConfig({ dhcp: { interface_address: '198.18.0.1' } }, 'test');
  t.is(bootBaseUrl(base), 'http://198.18.0.1:5050');
  const explicit = buildConfig({ http_boot: { base_url: 'http://boot.example:80/' } }, 'test');
  t.is(bootBaseUrl(explicit), 'http://boot.example:80');
});
