// Table-driven checks of every endpoint and status code of the reference's API tables (§1.4),
// the client checklist (§2.3) and bad input, against a real `inspectord serve` over HTTP.
import test from 'ava';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from '../../helpers/netns.js';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';

let daemon: DaemonHandle;
const MAC = '52:54:00:aa:00:01';
let nodeUuid = '';

test.before(async () => {
  // IPMI off: no packet may go to the (non-existent) BMC address of the test node.
  daemon = await startDaemon({ DEFAULT: { timeout: 3600 }, ipmi: { enabled: false } });
  const created = await api(daemon.url, 'POST', '/v1/nodes', {
    name: 'api-node',
    driver_info: { ipmi_address: '198.18.1.50', ipmi_username: 'admin', ipmi_password: 'topsecret' },
    ports: [{ address: MAC }],
  });
  nodeUuid = (created.json as { uuid: string }).uuid;
});
test.after.always(async () => {
  await daemon?.cleanup();
});

function inventory(mac: string): Record<string, unknown> {
  return {
    inventory: {
      interfaces: [{ name: 'eth0', mac_address: mac, ipv4_address: '198.18.0.10' }],
      cpu: { count: 2, architecture: 'x86_64', flags: [] },
      memory: { physical_mb: 2048 },
      disks: [{ name: '/dev/vda', size: 20 * 1024 ** 3 }],
    },
    boot_interface: mac,
  };
}

test.serial('GET / lists the versions with min/max headers', async (t) => {
  const r = await api(daemon.url, 'GET', '/');
  t.is(r.status, 200);
  t.is(r.headers.get('x-openstack-ironic-inspector-api-minimum-version'), '1.0');
  t.is(r.headers.get('x-openstack-ironic-inspector-api-maximum-version'), '1.18');
  t.deepEqual(r.json, {
    versions: [{ id: '1.18', status: 'CURRENT', links: [{ rel: 'self', href: `${daemon.url}/v1` }] }],
  });
});

test.serial('GET /v1 lists the resources; unknown versions are 404', async (t) => {
  const r = await api(daemon.url, 'GET', '/v1');
  t.is(r.status, 200);
  t.deepEqual(
    (r.json as { resources: Array<{ name: string }> }).resources.map((x) => x.name),
    ['continue', 'introspection', 'rules'],
  );
  t.is((await api(daemon.url, 'GET', '/v1/')).status, 200);
  const v2 = await api(daemon.url, 'GET', '/v2');
  t.is(v2.status, 404);
  t.deepEqual(v2.json, { error: { message: 'Version v2 not found.' } });
  t.is(v2.headers.get('x-openstack-ironic-inspector-api-maximum-version'), '1.18');
});

const versionCases: Array<[string, Record<string, string>, number]> = [
  ['no version header', {}, 200],
  ['X-OpenStack header 1.0', { 'X-OpenStack-Ironic-Inspector-API-Version': '1.0' }, 200],
  ['X-OpenStack header latest', { 'X-OpenStack-Ironic-Inspector-API-Version': 'latest' }, 200],
  ['OpenStack-API-Version header', { 'OpenStack-API-Version': 'baremetal-introspection 1.17' }, 200],
  ['malformed version', { 'X-OpenStack-Ironic-Inspector-API-Version': 'one' }, 400],
  ['version too new', { 'X-OpenStack-Ironic-Inspector-API-Version': '1.99' }, 406],
  ['version too new, standard header', { 'OpenStack-API-Version': 'baremetal-introspection 2.0' }, 406],
  ['X-Auth-Token notused is ignored', { 'X-Auth-Token': 'notused' }, 200],
];
for (const [title, headers, status] of versionCases) {
  test.serial(`version negotiation: ${title} → ${status}`, async (t) => {
    const r = await api(daemon.url, 'GET', '/v1/rules', undefined, headers);
    t.is(r.status, status);
    t.truthy(r.headers.get('x-openstack-ironic-inspector-api-minimum-version'));
    if (status >= 400) t.is(typeof (r.json as { error: { message: string } }).error.message, 'string');
  });
}

test.serial('unknown routes are 404 with the JSON error body', async (t) => {
  const r = await api(daemon.url, 'GET', '/v1/nothing-here');
  t.is(r.status, 404);
  t.regex((r.json as { error: { message: string } }).error.message, /404 Not Found/);
});

test.serial('status of a node never introspected is 404 "Could not find node … in cache"', async (t) => {
  const r = await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}`);
  t.is(r.status, 404);
  t.regex((r.json as { error: { message: string } }).error.message, /Could not find node .* in cache/);
});

test.serial('start: unknown node 404, bad manage_boot 400, manage_boot without power 400', async (t) => {
  t.is((await api(daemon.url, 'POST', '/v1/introspection/00000000-0000-0000-0000-000000000000')).status, 404);
  t.is((await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}?manage_boot=maybe`)).status, 400);
  const managed = await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}?manage_boot=true`);
  t.is(managed.status, 400);
  t.regex((managed.json as { error: { message: string } }).error.message, /power/);
});

test.serial('start by name returns 202 {} and the record exists at once', async (t) => {
  const r = await api(daemon.url, 'POST', '/v1/introspection/api-node?manage_boot=false', { uuid: nodeUuid });
  t.is(r.status, 202);
  t.deepEqual(r.json, {});
  const status = await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}`);
  t.is(status.status, 200);
  const s = status.json as Record<string, unknown>;
  t.is(s.uuid, nodeUuid);
  t.is(s.state, 'waiting');
  t.is(s.finished, false);
  t.is(s.error, null);
  t.is(s.finished_at, null);
  t.regex(s.started_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  t.deepEqual(s.links, [{ rel: 'self', href: `${daemon.url}/v1/introspection/${nodeUuid}` }]);
});

test.serial('a second start while waiting is accepted (waiting → starting)', async (t) => {
  const r = await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}?manage_boot=0`);
  t.is(r.status, 202);
});

test.serial('list: sorted, limit/marker/state validated', async (t) => {
  const list = await api(daemon.url, 'GET', '/v1/introspection');
  t.is(list.status, 200);
  t.true(Array.isArray((list.json as { introspection: unknown[] }).introspection));
  t.is((await api(daemon.url, 'GET', '/v1/introspection?limit=-1')).status, 400);
  t.is((await api(daemon.url, 'GET', '/v1/introspection?limit=1001')).status, 400);
  t.is((await api(daemon.url, 'GET', '/v1/introspection?limit=0')).status, 200);
  t.is((await api(daemon.url, 'GET', '/v1/introspection?state=bogus')).status, 400);
  t.is((await api(daemon.url, 'GET', '/v1/introspection?state=waiting,finished')).status, 200);
  t.is((await api(daemon.url, 'GET', '/v1/introspection?marker=not-a-uuid')).status, 400);
  t.is(
    (await api(daemon.url, 'GET', '/v1/introspection?marker=00000000-0000-0000-0000-000000000000')).status,
    404,
  );
});

test.serial(
  'bad callback bodies: malformed JSON 400, non-object 400, unknown node 400; nothing changes',
  async (t) => {
    const before = await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}`);
    const cases: Array<[string, string, RegExp]> = [
      ['malformed JSON', '{"inventory": ', /Malformed JSON/],
      ['a JSON list', '[1,2,3]', /expected a JSON object/],
      ['a JSON string', '"hello"', /expected a JSON object/],
      ['null', 'null', /expected a JSON object/],
      ['unknown node', JSON.stringify(inventory('52:54:00:ff:ff:ff')), /could not find a node/i],
    ];
    for (const [what, body, message] of cases) {
      const r = await api(daemon.url, 'POST', '/v1/continue', body, { 'content-type': 'text/plain' });
      t.is(r.status, 400, what);
      t.regex((r.json as { error: { message: string } }).error.message, message, what);
    }
    const after = await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}`);
    t.deepEqual(after.json, before.json);
  },
);

test.serial('a body over the limit is 413 and the daemon keeps running', async (t) => {
  // curl is the peer here: it reads the early 413 while still sending, as real clients do.
  const file = join(daemon.stateDir, 'huge.json');
  await writeFile(file, `{"pad":"${'x'.repeat(33 * 1024 * 1024)}"}`);
  const status = Number(
    await sh('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--data-binary',
      `@${file}`,
      `${daemon.url}/v1/continue`,
    ]),
  );
  await rm(file);
  t.is(status, 413);
  t.is((await api(daemon.url, 'GET', '/')).status, 200);
});

test.serial('the callback returns 200 {"uuid"} and finishes the introspection', async (t) => {
  const r = await api(daemon.url, 'POST', '/v1/continue', inventory(MAC));
  t.is(r.status, 200);
  t.deepEqual(r.json, { uuid: nodeUuid });
  const s = (await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}`)).json as Record<string, unknown>;
  t.is(s.state, 'finished');
  t.is(s.finished, true);
  t.is(s.error, null);
  const again = await api(daemon.url, 'POST', '/v1/continue', inventory(MAC));
  t.is(again.status, 400);
});

test.serial('data and unprocessed data are served as JSON, without logs', async (t) => {
  const data = await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}/data`);
  t.is(data.status, 200);
  t.regex(data.headers.get('content-type') ?? '', /application\/json/);
  const d = data.json as Record<string, unknown>;
  t.truthy(d.all_interfaces);
  t.is(d.local_gb, 19);
  const raw = await api(daemon.url, 'GET', `/v1/introspection/${nodeUuid}/data/unprocessed`);
  t.is(raw.status, 200);
  t.false('all_interfaces' in (raw.json as object));
  t.is(
    (await api(daemon.url, 'GET', '/v1/introspection/00000000-0000-0000-0000-000000000000/data')).status,
    404,
  );
});

test.serial('reapply: 202, bad body 400, unknown node 404', async (t) => {
  t.is((await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}/data/unprocessed`, '[]')).status, 400);
  t.is(
    (await api(daemon.url, 'POST', '/v1/introspection/00000000-0000-0000-0000-000000000000/data/unprocessed'))
      .status,
    404,
  );
  const r = await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}/data/unprocessed`);
  t.is(r.status, 202);
  t.deepEqual(r.json, {});
  const body = inventory(MAC);
  const withBody = await api(daemon.url, 'POST', `/v1/introspection/${nodeUuid}/data/unprocessed`, body);
  t.true([202, 409].includes(withBody.status));
});

test.serial('abort: 404 for unknown, 202 for waiting, then state error "Canceled by operator"', async (t) => {
  t.is(
    (await api(daemon.url, 'POST', '/v1/introspection/00000000-0000-0000-0000-000000000000/abort')).status,
    404,
  );
  const other = await api(daemon.url, 'POST', '/v1/nodes', {
    name: 'abort-me',
    ports: [{ address: '52:54:00:aa:00:02' }],
  });
  const uuid = (other.json as { uuid: string }).uuid;
  t.is((await api(daemon.url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`)).status, 202);
  const r = await api(daemon.url, 'POST', `/v1/introspection/${uuid}/abort`);
  t.is(r.status, 202);
  const s = (await api(daemon.url, 'GET', `/v1/introspection/${uuid}`)).json as Record<string, unknown>;
  t.is(s.state, 'error');
  t.is(s.error, 'Canceled by operator');
  t.is(s.finished, true);
});

test.serial('rules CRUD: 201 with links (≥1.6), 200 before, 400/404/409/204', async (t) => {
  const rule = {
    uuid: '11111111-2222-3333-4444-555555555555',
    description: 'big memory',
    conditions: [{ op: 'ge', field: 'memory_mb', value: 1024 }],
    actions: [{ action: 'set-capability', name: 'big', value: 'yes' }],
  };
  const created = await api(daemon.url, 'POST', '/v1/rules', rule);
  t.is(created.status, 201);
  const body = created.json as Record<string, unknown>;
  t.deepEqual(body.links, [{ href: `/v1/rules/${rule.uuid}`, rel: 'self' }]);
  t.is((await api(daemon.url, 'POST', '/v1/rules', rule)).status, 409);
  const old = await api(
    daemon.url,
    'POST',
    '/v1/rules',
    { ...rule, uuid: null },
    { 'X-OpenStack-Ironic-Inspector-API-Version': '1.5' },
  );
  t.is(old.status, 200);
  const bad = await api(daemon.url, 'POST', '/v1/rules', { conditions: [], actions: [] });
  t.is(bad.status, 400);
  t.is((await api(daemon.url, 'POST', '/v1/rules', '[]')).status, 400);
  const list = await api(daemon.url, 'GET', '/v1/rules');
  const rules = (list.json as { rules: Array<Record<string, unknown>> }).rules;
  t.is(rules.length, 2);
  t.deepEqual(Object.keys(rules[0]!).sort(), ['description', 'links', 'scope', 'uuid']);
  const shown = await api(daemon.url, 'GET', `/v1/rules/${rule.uuid}`);
  t.is(shown.status, 200);
  t.truthy((shown.json as Record<string, unknown>).links);
  t.is((await api(daemon.url, 'GET', '/v1/rules/99999999-2222-3333-4444-555555555555')).status, 404);
  const del = await api(daemon.url, 'DELETE', `/v1/rules/${rule.uuid}`);
  t.is(del.status, 204);
  t.is(del.text, '');
  t.is((await api(daemon.url, 'DELETE', `/v1/rules/${rule.uuid}`)).status, 404);
  t.is((await api(daemon.url, 'DELETE', '/v1/rules')).status, 204);
  t.deepEqual((await api(daemon.url, 'GET', '/v1/rules')).json, { rules: [] });
});

test.serial('nodes: passwords are write-only, names unique, JSON patch, ports', async (t) => {
  const shown = await api(daemon.url, 'GET', `/v1/nodes/${nodeUuid}`);
  const node = shown.json as { driver_info: Record<string, unknown> };
  t.is(node.driver_info.ipmi_password, '******');
  t.false(JSON.stringify((await api(daemon.url, 'GET', '/v1/nodes')).json).includes('topsecret'));
  t.is((await api(daemon.url, 'POST', '/v1/nodes', { name: 'api-node' })).status, 409);
  t.is((await api(daemon.url, 'POST', '/v1/nodes', { name: 'x', bogus: 1 })).status, 400);
  t.is((await api(daemon.url, 'POST', '/v1/nodes', { name: 'y', ports: [{ address: MAC }] })).status, 409);
  const patched = await api(daemon.url, 'PATCH', `/v1/nodes/${nodeUuid}`, [
    { op: 'add', path: '/properties/rack', value: 'r1' },
    { op: 'replace', path: '/driver_info/ipmi_password', value: 'newsecret' },
  ]);
  t.is(patched.status, 200);
  t.is((patched.json as { properties: Record<string, unknown> }).properties.rack, 'r1');
  t.false(patched.text.includes('newsecret'));
  t.is(
    (await api(daemon.url, 'PATCH', `/v1/nodes/${nodeUuid}`, [{ op: 'replace', path: '/uuid', value: 'x' }]))
      .status,
    400,
  );
  const ports = await api(daemon.url, 'GET', `/v1/nodes/${nodeUuid}/ports`);
  t.is((ports.json as { ports: Array<{ address: string }> }).ports[0]?.address, MAC);
  t.is((await api(daemon.url, 'POST', `/v1/nodes/${nodeUuid}/ports`, { address: 'nope' })).status, 400);
  t.false(daemon.output().includes('topsecret'));
  t.false(daemon.output().includes('newsecret'));
});
