// node add/list/show/set/unset/delete/import and node port list/add.
import test from 'ava';
import { parseKeyValue } from '../../../src/cli/commands/node.js';
import { FakeApi, NODE2_UUID, NODE_UUID, cli, tempFile, type Handler } from './fake-api.js';

const NODE = {
  uuid: NODE_UUID,
  name: 'n1',
  driver: 'ipmi',
  driver_info: { ipmi_address: '198.18.1.1', ipmi_username: 'admin', ipmi_password: '******' },
  properties: { memory_mb: 4096 },
  extra: {},
  traits: [],
  provision_state: 'manageable',
  maintenance: false,
  created_at: '2024-01-01T10:00:00.000Z',
  updated_at: null,
  links: [{ rel: 'self', href: `http://x/v1/nodes/${NODE_UUID}` }],
};

test('node add posts driver info, properties, extra and inline ports', async (t) => {
  const fake = await new FakeApi().on('POST /v1/nodes', { status: 201, body: NODE }).start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'node',
    'add',
    '--name',
    'n1',
    '--ipmi-address',
    '198.18.1.1',
    '--ipmi-port',
    '6230',
    '--ipmi-username',
    'admin',
    '--ipmi-password',
    'hunter2',
    '--mac',
    '52:54:00:00:00:01',
    '--mac',
    '52:54:00:00:00:02',
    '--property',
    'memory_mb=4096',
    '--property',
    'cpu_arch=x86_64',
    '--extra',
    'rack=r1',
    '--provision-state',
    'enroll',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), {
    name: 'n1',
    driver: 'ipmi',
    driver_info: {
      ipmi_address: '198.18.1.1',
      ipmi_username: 'admin',
      ipmi_password: 'hunter2',
      ipmi_port: 6230,
    },
    properties: { memory_mb: 4096, cpu_arch: 'x86_64' },
    extra: { rack: 'r1' },
    provision_state: 'enroll',
    ports: [{ address: '52:54:00:00:00:01' }, { address: '52:54:00:00:00:02' }],
  });
  t.regex(r.stdout, /\| uuid +\| 1a2b3c4d/);
  t.false(r.stdout.includes('hunter2'));
  t.false(r.stderr.includes('hunter2'));
});

test('node add with no options sends only the default driver', async (t) => {
  const fake = await new FakeApi().on('POST /v1/nodes', { status: 201, body: NODE }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'add', '--format', 'json', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), { driver: 'ipmi' });
  t.deepEqual(JSON.parse(r.stdout), NODE);
});

test('node add rejects a bad --ipmi-port before sending', async (t) => {
  const r = await cli(['node', 'add', '--ipmi-port', '70000']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--ipmi-port "70000" is not a port number/);
});

test('node add of a duplicate MAC exits 1 with the API message', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/nodes', {
      status: 409,
      body: { error: { message: 'A port with MAC address 52:54:00:00:00:01 already exists' } },
    })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'add', '--mac', '52:54:00:00:00:01', '--url', fake.url]);
  t.is(r.code, 1);
  t.regex(r.stderr, /already exists/);
});

const KV_CASES: Array<[string, [string, unknown]]> = [
  ['cpus=4', ['cpus', 4]],
  ['flag=true', ['flag', true]],
  ['arch=x86_64', ['arch', 'x86_64']],
  ['caps={"boot_mode":"uefi"}', ['caps', { boot_mode: 'uefi' }]],
  ['eq=a=b', ['eq', 'a=b']],
  ['empty=', ['empty', '']],
];
for (const [input, expected] of KV_CASES) {
  test(`parseKeyValue reads ${input}`, (t) => {
    t.deepEqual(parseKeyValue('property', input), expected);
  });
}

test('parseKeyValue rejects a missing key', (t) => {
  t.throws(() => parseKeyValue('property', '=4'), { message: /--property takes key=value/ });
});

test('node list prints uuid, name, state, maintenance and BMC address', async (t) => {
  const fake = await new FakeApi().on('GET /v1/nodes', { body: { nodes: [NODE] } }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'list', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\| UUID +\| Name \| Provision State \| Maintenance \| BMC Address \|/);
  t.regex(
    r.stdout,
    new RegExp(`\\| ${NODE_UUID} \\| n1   \\| manageable +\\| false +\\| 198\\.18\\.1\\.1 +\\|`),
  );
});

test('node show prints the node with identity fields first', async (t) => {
  const fake = await new FakeApi().on('GET /v1/nodes/n1', { body: NODE }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'show', 'n1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  const fields = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .map((l) => l.split('|')[1]!.trim());
  t.deepEqual(fields.slice(0, 7), [
    'Field',
    'uuid',
    'name',
    'driver',
    'driver_info',
    'provision_state',
    'maintenance',
  ]);
  t.regex(r.stdout, /"ipmi_password":"\*\*\*\*\*\*"/);
});

test('node set sends JSON patch operations', async (t) => {
  const fake = await new FakeApi().on('PATCH /v1/nodes/n1', { body: NODE }).start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'node',
    'set',
    'n1',
    '--name',
    'n1b',
    '--ipmi-address',
    '198.18.1.9',
    '--ipmi-password',
    'new',
    '--property',
    'memory_mb=8192',
    '--property',
    'a/b=x',
    '--extra',
    'rack=r2',
    '--maintenance',
    'true',
    '--provision-state',
    'manageable',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), [
    { op: 'replace', path: '/name', value: 'n1b' },
    { op: 'add', path: '/driver_info/ipmi_address', value: '198.18.1.9' },
    { op: 'add', path: '/driver_info/ipmi_password', value: 'new' },
    { op: 'add', path: '/properties/memory_mb', value: 8192 },
    { op: 'add', path: '/properties/a~1b', value: 'x' },
    { op: 'add', path: '/extra/rack', value: 'r2' },
    { op: 'replace', path: '/maintenance', value: true },
    { op: 'replace', path: '/provision_state', value: 'manageable' },
  ]);
});

test('node set with nothing to change is a usage error', async (t) => {
  const r = await cli(['node', 'set', 'n1']);
  t.is(r.code, 2);
  t.regex(r.stderr, /nothing to change/);
});

test('node set rejects a non-boolean --maintenance', async (t) => {
  const r = await cli(['node', 'set', 'n1', '--maintenance', 'sometimes']);
  t.is(r.code, 2);
});

test('node unset sends remove operations', async (t) => {
  const fake = await new FakeApi().on('PATCH /v1/nodes/n1', { body: NODE }).start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'node',
    'unset',
    'n1',
    '--property',
    'memory_mb',
    '--extra',
    'rack',
    '--driver-info',
    'ipmi_port',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), [
    { op: 'remove', path: '/properties/memory_mb' },
    { op: 'remove', path: '/extra/rack' },
    { op: 'remove', path: '/driver_info/ipmi_port' },
  ]);
});

test('node unset without keys is a usage error', async (t) => {
  const r = await cli(['node', 'unset', 'n1']);
  t.is(r.code, 2);
});

test('node delete deletes each node and exits 1 if one failed', async (t) => {
  const fake = await new FakeApi()
    .on('DELETE /v1/nodes/n1', { status: 204 })
    .on('DELETE /v1/nodes/n2', {
      status: 409,
      body: { error: { message: 'Node n2 is being introspected; abort it first' } },
    })
    .on('DELETE /v1/nodes/n3', { status: 204 })
    .start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'delete', 'n1', 'n2', 'n3', '--url', fake.url]);
  t.is(r.code, 1);
  t.deepEqual(fake.lines(), ['DELETE /v1/nodes/n1', 'DELETE /v1/nodes/n2', 'DELETE /v1/nodes/n3']);
  t.is(r.stderr, 'error: n2: Node n2 is being introspected; abort it first\n');
});

test('node port list prints the ports of a node', async (t) => {
  const port = {
    uuid: NODE2_UUID,
    address: '52:54:00:00:00:01',
    node_uuid: NODE_UUID,
    pxe_enabled: true,
    local_link_connection: {},
    physical_network: null,
    extra: {},
  };
  const fake = await new FakeApi().on('GET /v1/nodes/n1/ports', { body: { ports: [port] } }).start();
  t.teardown(() => fake.stop());
  const r = await cli(['node', 'port', 'list', 'n1', '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(
    r.stdout,
    new RegExp(`\\| ${NODE2_UUID} \\| 52:54:00:00:00:01 \\| true +\\| None +\\| \\{\\} +\\|`),
  );
});

test('node port add posts the address', async (t) => {
  const fake = await new FakeApi()
    .on('POST /v1/nodes/n1/ports', (request) => ({
      status: 201,
      body: { uuid: NODE2_UUID, ...JSON.parse(request.body) },
    }))
    .start();
  t.teardown(() => fake.stop());
  const r = await cli([
    'node',
    'port',
    'add',
    'n1',
    '52:54:00:00:00:09',
    '--pxe-enabled',
    'false',
    '--url',
    fake.url,
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), { address: '52:54:00:00:00:09', pxe_enabled: false });
  t.regex(r.stdout, /\| address +\| 52:54:00:00:00:09 +\|/);
});

/** POST /v1/nodes that refuses names listed in `refuse` and creates the rest. */
function createNodes(refuse: string[]): Handler {
  let n = 0;
  return (request) => {
    const body = JSON.parse(request.body) as { name?: string };
    if (body.name && refuse.includes(body.name))
      return { status: 409, body: { error: { message: `A node with name ${body.name} already exists.` } } };
    return { status: 201, body: { ...NODE, ...body, uuid: `00000000-0000-4000-8000-00000000000${++n}` } };
  };
}

const CSV =
  'name,ipmi_address,ipmi_username,ipmi_password,mac\n' +
  'n1,198.18.1.1,admin,"pa,ss",52:54:00:00:00:01\n' +
  'n2,198.18.1.2,admin,pw,52:54:00:00:00:02\n' +
  'n3,198.18.1.3,admin,pw,not-a-mac\n';

test('node import creates one node per row and reports each row', async (t) => {
  const fake = await new FakeApi().on('POST /v1/nodes', createNodes([])).start();
  t.teardown(() => fake.stop());
  const path = await tempFile(t, 'nodes.csv', CSV.split('\n').slice(0, 3).join('\n'));
  const r = await cli(['node', 'import', path, '--url', fake.url]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(fake.requests[0]!.body), {
    name: 'n1',
    driver: 'ipmi',
    driver_info: { ipmi_address: '198.18.1.1', ipmi_username: 'admin', ipmi_password: 'pa,ss' },
    ports: [{ address: '52:54:00:00:00:01' }],
  });
  t.is(
    r.stdout,
    'line 2 (n1): created 00000000-0000-4000-8000-000000000001\n' +
      'line 3 (n2): created 00000000-0000-4000-8000-000000000002\n' +
      '2 created, 0 failed\n',
  );
  t.false(r.stdout.includes('pa,ss'));
});

test('node import reports failed rows, keeps going and exits 1', async (t) => {
  const fake = await new FakeApi().on('POST /v1/nodes', createNodes(['n1'])).start();
  t.teardown(() => fake.stop());
  const path = await tempFile(t, 'nodes.csv', CSV);
  const r = await cli(['node', 'import', path, '--url', fake.url]);
  t.is(r.code, 1);
  t.is(fake.requests.length, 2, 'the row with a bad MAC is never sent');
  t.is(
    r.stdout,
    'line 2 (n1): failed: A node with name n1 already exists.\n' +
      'line 3 (n2): created 00000000-0000-4000-8000-000000000001\n' +
      'line 4 (n3): failed: "not-a-mac" is not a MAC address\n' +
      '1 created, 2 failed\n',
  );
});

test('node import --format json prints one result per row', async (t) => {
  const fake = await new FakeApi().on('POST /v1/nodes', createNodes(['n1'])).start();
  t.teardown(() => fake.stop());
  const path = await tempFile(t, 'nodes.csv', CSV);
  const r = await cli(['node', 'import', path, '--format', 'json', '--url', fake.url]);
  t.is(r.code, 1);
  t.deepEqual(JSON.parse(r.stdout), [
    { line: 2, name: 'n1', status: 'failed', error: 'A node with name n1 already exists.' },
    { line: 3, name: 'n2', status: 'created', uuid: '00000000-0000-4000-8000-000000000001' },
    { line: 4, name: 'n3', status: 'failed', error: '"not-a-mac" is not a MAC address' },
  ]);
});

test('node import with a bad header is a usage error and sends nothing', async (t) => {
  const fake = await new FakeApi().start();
  t.teardown(() => fake.stop());
  const path = await tempFile(t, 'nodes.csv', 'nom,mac\nn1,52:54:00:00:00:01\n');
  const r = await cli(['node', 'import', path, '--url', fake.url]);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown column\(s\) "nom"/);
  t.is(fake.requests.length, 0);
});

test('node import stops with exit 3 when the daemon is unreachable', async (t) => {
  const fake = await new FakeApi().start();
  const url = fake.url;
  await fake.stop();
  const path = await tempFile(t, 'nodes.csv', CSV);
  const r = await cli(['node', 'import', path, '--url', url]);
  t.is(r.code, 3);
  t.regex(r.stderr, /cannot reach inspectord/);
});
