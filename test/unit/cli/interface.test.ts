// interface list/show from the processed data's all_interfaces and lldp_processed.
import test from 'ava';
import { fieldLabel, interfaceRows } from '../../../src/cli/commands/interface.js';
import { FakeApi, cli } from './fake-api.js';

const DATA = {
  all_interfaces: {
    eth1: {
      mac: '52:54:00:00:00:02',
      ip: null,
      lldp_processed: {
        switch_chassis_id: '00:11:22:33:44:55',
        switch_port_id: 'Gi0/2',
        switch_port_vlans: [{ id: 200, name: 'storage' }],
        switch_system_name: 'tor-1',
      },
    },
    eth0: {
      mac: '52:54:00:00:00:01',
      ip: '198.18.0.10',
      lldp_processed: {
        switch_chassis_id: '00:11:22:33:44:55',
        switch_port_id: 'Gi0/1',
        switch_port_vlans: [
          { id: 100, name: 'prov' },
          { id: 200, name: 'storage' },
        ],
      },
    },
    eth2: { mac: '52:54:00:00:00:03', ip: null },
  },
};

async function api(): Promise<FakeApi> {
  return new FakeApi().on('GET /v1/introspection/node-1/data', { body: DATA }).start();
}

test('interface list shows name, MAC, VLAN ids, chassis and port, sorted by name', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['interface', 'list', 'node-1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(fake.lines(), ['GET /v1/introspection/node-1/data']);
  t.is(
    r.stdout,
    [
      '+-----------+-------------------+----------------------+-------------------+----------------+',
      '| Interface | MAC Address       | Switch Port VLAN IDs | Switch Chassis ID | Switch Port ID |',
      '+-----------+-------------------+----------------------+-------------------+----------------+',
      '| eth0      | 52:54:00:00:00:01 | [100,200]            | 00:11:22:33:44:55 | Gi0/1          |',
      '| eth1      | 52:54:00:00:00:02 | [200]                | 00:11:22:33:44:55 | Gi0/2          |',
      '| eth2      | 52:54:00:00:00:03 | []                   | None              | None           |',
      '+-----------+-------------------+----------------------+-------------------+----------------+',
      '',
    ].join('\n'),
  );
});

test('interface list --vlan keeps only interfaces on that VLAN', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli([
    'interface',
    'list',
    'node-1',
    '--vlan',
    '100',
    '--format',
    'json',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(
    (JSON.parse(r.stdout) as { interface: string }[]).map((row) => row.interface),
    ['eth0'],
  );
});

test('interface list --fields chooses the columns', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli([
    'interface',
    'list',
    'node-1',
    '--fields',
    'interface',
    'switch_system_name',
    '--format',
    'json',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), [
    { interface: 'eth0', switch_system_name: null },
    { interface: 'eth1', switch_system_name: 'tor-1' },
    { interface: 'eth2', switch_system_name: null },
  ]);
});

test('interface list --long shows every field', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['interface', 'list', 'node-1', '--long', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Switch Protocol Identities/);
  t.regex(r.stdout, /Switch Port MTU/);
});

test('interface list rejects an unknown field', async (t) => {
  const r = await cli(['interface', 'list', 'node-1', '--fields', 'colour']);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown interface field\(s\): colour/);
});

test('interface show prints every field of one interface', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['interface', 'show', 'node-1', 'eth1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\| interface +\| eth1 +\|/);
  t.regex(r.stdout, /\| switch_port_vlans +\| \[\{"id":200,"name":"storage"\}\] \|/);
  t.regex(r.stdout, /\| switch_system_name +\| tor-1 +\|/);
});

test('interface show of an unknown interface exits 1', async (t) => {
  const fake = await api();
  t.teardown(() => fake.stop());
  const r = await cli(['interface', 'show', 'node-1', 'eth9', '--url', fake.url]);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: Interface eth9 was not found on node node-1\n');
});

test('interfaceRows tolerates data without all_interfaces', (t) => {
  t.deepEqual(interfaceRows({}), []);
  t.deepEqual(interfaceRows(null), []);
});

const LABELS: Array<[string, string]> = [
  ['interface', 'Interface'],
  ['mac', 'MAC Address'],
  ['switch_port_vlan_ids', 'Switch Port VLAN IDs'],
  ['switch_port_mtu', 'Switch Port MTU'],
  ['switch_mgmt_addresses', 'Switch Mgmt Addresses'],
];
for (const [field, label] of LABELS) {
  test(`field ${field} is headed "${label}"`, (t) => {
    t.is(fieldLabel(field), label);
  });
}
