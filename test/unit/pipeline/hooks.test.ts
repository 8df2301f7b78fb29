// The reference's optional hooks wired in the real pipeline (coreEnv): each one against an
// inventory / LLDP fixture, through a full ramdisk callback.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { DEFAULT_PROCESSING_HOOKS } from '../../../src/config/schema.js';
import { parseCidrMap } from '../../../src/pipeline/hook-logic/physnet-cidr-map.js';
import { parseKnownDevices } from '../../../src/pipeline/hook-logic/accelerators.js';
import { hookRegistry } from '../../../src/pipeline/registry.js';
import type { PipelineSettings } from '../../../src/pipeline/hook.js';
import { HookPipeline } from '../../../src/pipeline/runner.js';
import { silentLog } from '../../../src/core/log.js';
import { coreEnv, ipaInventory } from '../../helpers/core-env.js';

const lldpd = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/pipeline/lldp-lldpd-veth.json', import.meta.url), 'utf8'),
) as { tlvs: Array<[number, string]> };

const MAC = '52:54:00:00:10:01';

async function run(
  hooks: string[],
  data: Record<string, unknown>,
  options: { pipeline?: Partial<PipelineSettings>; node?: Record<string, unknown> } = {},
) {
  const env = coreEnv({ hooks: [...DEFAULT_PROCESSING_HOOKS, ...hooks], pipeline: options.pipeline ?? {} });
  const node = await env.nodes.create({ name: 'n1', ...options.node }, { ports: [{ address: MAC }] });
  await env.service.start(node.uuid, { manageBoot: false });
  await env.service.continue(data);
  const processed = JSON.parse((await env.blobs.getData(node.uuid, 'processed'))!) as Record<string, unknown>;
  return { env, node: env.nodes.require(node.uuid), processed, ports: env.nodes.listPorts(node.uuid) };
}

test('every reference hook name is registered', (t) => {
  const names = [...hookRegistry().keys()];
  for (const name of [
    'extra_hardware',
    'raid_device',
    'lldp_basic',
    'local_link_connection',
    'physnet_cidr_map',
    'accelerators',
    'example',
  ])
    t.true(names.includes(name), name);
});

test('lldp_basic and local_link_connection need validate_interfaces earlier', (t) => {
  const deps = {
    nodes: coreEnv().nodes,
    log: silentLog,
    events: { emit: () => undefined },
    settings: {} as PipelineSettings,
    clock: { now: () => 0 },
  };
  const error = t.throws(() => new HookPipeline(deps, ['lldp_basic', 'validate_interfaces'], hookRegistry()));
  t.regex(error?.message ?? '', /lldp_basic" needs "validate_interfaces"/);
});

test('extra_hardware converts data into extra and drops data', async (t) => {
  const { processed } = await run(
    ['extra_hardware'],
    ipaInventory(MAC, {
      data: [
        ['cpu', 'logical', 'number', '16'],
        ['memory', 'bank0', 'size', '17179869184'],
      ],
    }),
  );
  t.deepEqual(processed.extra, {
    cpu: { logical: { number: 16 } },
    memory: { bank0: { size: 17179869184 } },
  });
  t.false('data' in processed);
});

test('extra_hardware strict refuses a list with a short record', async (t) => {
  const { processed } = await run(
    ['extra_hardware'],
    ipaInventory(MAC, { data: [['cpu', 'logical', 'number', '16'], ['bad']] }),
    { pipeline: { extraHardwareStrict: true } },
  );
  t.false('extra' in processed);
  t.false('data' in processed);
});

test('raid_device remembers serials on the first run', async (t) => {
  const { node } = await run(['raid_device'], ipaInventory(MAC));
  t.deepEqual(node.extra.block_devices, { serials: ['S1', 'S2'] });
  t.false('root_device' in node.properties);
});

test('raid_device sets root_device to the one new serial on the next run', async (t) => {
  const { node } = await run(['raid_device'], ipaInventory(MAC), {
    node: { extra: { block_devices: { serials: ['S1'] } } },
  });
  t.deepEqual(node.properties.root_device, { serial: 'S2' });
  t.false('block_devices' in node.extra);
});

function withLldp(where: 'inventory' | 'lldp_raw'): Record<string, unknown> {
  const data = ipaInventory(MAC);
  if (where === 'lldp_raw') data.lldp_raw = { eth0: lldpd.tlvs };
  else {
    const iface = ((data.inventory as Record<string, unknown>).interfaces as Record<string, unknown>[])[0]!;
    iface.lldp = lldpd.tlvs;
  }
  return data;
}

for (const where of ['inventory', 'lldp_raw'] as const) {
  test(`lldp_basic parses the lldpd capture from ${where} into lldp_processed`, async (t) => {
    const { processed } = await run(['lldp_basic'], withLldp(where));
    const eth0 = (processed.all_interfaces as Record<string, Record<string, unknown>>).eth0!;
    t.like(eth0.lldp_processed, {
      switch_chassis_id: '02:00:00:00:00:0a',
      switch_port_id: 'sw19359',
      switch_system_name: 'sw-test-1',
      switch_system_description: 'inspectord lab switch',
      switch_port_description: 'uplink to node-1',
      switch_mgmt_addresses: ['198.18.5.1', '2001:db8::1'],
    });
    t.is(eth0.mac, MAC);
  });
}

test('local_link_connection fills the port from the lldpd capture', async (t) => {
  const { ports } = await run(['lldp_basic', 'local_link_connection'], withLldp('lldp_raw'));
  t.deepEqual(ports[0]!.local_link_connection, {
    switch_id: '02:00:00:00:00:0a',
    port_id: 'sw19359',
    switch_info: 'sw-test-1',
  });
});

test('local_link_connection keeps existing keys without overwrite_existing', async (t) => {
  const env = coreEnv({
    hooks: [...DEFAULT_PROCESSING_HOOKS, 'local_link_connection'],
    pipeline: { overwriteExisting: false },
  });
  const node = await env.nodes.create(
    { name: 'n1' },
    { ports: [{ address: MAC, local_link_connection: { port_id: 'Gi0/1' } }] },
  );
  await env.service.start(node.uuid, { manageBoot: false });
  await env.service.continue(withLldp('inventory'));
  t.deepEqual(env.nodes.listPorts(node.uuid)[0]!.local_link_connection, {
    port_id: 'Gi0/1',
    switch_id: '02:00:00:00:00:0a',
    switch_info: 'sw-test-1',
  });
});

test('physnet_cidr_map sets physical_network of the port in a mapped CIDR', async (t) => {
  const parsed = parseCidrMap(['198.18.0.0/24:physnet-a', '2001:db8::/64:physnet-b']);
  if (!parsed.ok) throw new Error(parsed.errors.join());
  const { ports } = await run(['physnet_cidr_map'], ipaInventory(MAC), { pipeline: { cidrMap: parsed.map } });
  t.is(ports[0]!.physical_network, 'physnet-a');
});

test('physnet_cidr_map leaves a port outside every CIDR alone', async (t) => {
  const parsed = parseCidrMap(['198.19.0.0/24:physnet-a']);
  if (!parsed.ok) throw new Error(parsed.errors.join());
  const { ports } = await run(['physnet_cidr_map'], ipaInventory(MAC), { pipeline: { cidrMap: parsed.map } });
  t.is(ports[0]!.physical_network, null);
});

test('accelerators lists known PCI devices in properties.accelerators (built-in list)', async (t) => {
  const { node } = await run(
    ['accelerators'],
    ipaInventory(MAC, {
      pci_devices: [
        { vendor_id: '8086', product_id: '1521', bus: '0000:01:00.0' },
        { vendor_id: '10de', product_id: '1eb8', bus: '0000:3b:00.0' },
      ],
    }),
  );
  t.deepEqual(node.properties.accelerators, [
    {
      vendor_id: '10de',
      device_id: '1eb8',
      type: 'GPU',
      device_info: 'NVIDIA Corporation Tesla T4',
      pci_address: '0000:3b:00.0',
    },
  ]);
});

test('accelerators uses the configured device list', async (t) => {
  const parsed = parseKnownDevices(
    'pci_devices:\n  - vendor_id: "8086"\n    device_id: "0b25"\n    type: QAT\n    device_info: Intel QAT\n',
  );
  if (!parsed.ok) throw new Error(parsed.error);
  const { node } = await run(
    ['accelerators'],
    ipaInventory(MAC, { pci_devices: [{ vendor_id: '8086', product_id: '0b25', bus: '0000:6b:00.0' }] }),
    { pipeline: { knownAccelerators: parsed.devices } },
  );
  t.like((node.properties.accelerators as unknown[])[0], { type: 'QAT', pci_address: '0000:6b:00.0' });
});

test('example runs in both phases and changes nothing', async (t) => {
  const plain = await run([], ipaInventory(MAC));
  const withExample = await run(['example'], ipaInventory(MAC));
  t.deepEqual(withExample.node.properties, plain.node.properties);
  t.true(withExample.env.events.events.some((e) => e.message === 'hook example done'));
});
