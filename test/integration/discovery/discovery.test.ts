// Acceptance: auto-discovery against a real daemon. An unknown machine's inventory creates a
// node (only while discovery is on); a second machine with a conflicting MAC is refused with a
// clear message; a second NIC of a known chassis merges; a genuine conflict waits for review.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { cli, inventoryOf, type Machine } from './harness.js';

let daemon: DaemonHandle;
let dir = '';
const X1 = '52:54:00:0e:00:01';
const X2 = '52:54:00:0e:00:02';
const Z1 = '52:54:00:0e:00:03';
const Q1 = '52:54:00:0e:00:04';
let xUuid = '';
let zUuid = '';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspectord-discovery-'));
  // IPMI off: enrolled BMC addresses are never contacted.
  daemon = await startDaemon({
    ipmi: { enabled: false },
    processing: { node_not_found_hook: 'enroll' },
    discovery: { enabled: false },
  });
});
test.after.always(async () => {
  await daemon?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A ramdisk callback of machine `m`. */
const callback = (m: Machine): ReturnType<typeof api> =>
  api(daemon.url, 'POST', '/v1/continue', inventoryOf(m));
/** The port MACs of a node, as the API lists them. */
const portsOf = async (uuid: string): Promise<string[]> =>
  (
    (await api(daemon.url, 'GET', `/v1/nodes/${uuid}/ports`)).json as { ports: Array<{ address: string }> }
  ).ports.map((p) => p.address);
const message = (r: { json: unknown }): string => (r.json as { error: { message: string } }).error.message;

test.serial('an unknown machine is not enrolled while discovery is off', async (t) => {
  const r = await callback({ mac: X1, serial: 'SN-X', bmc: '198.18.3.1' });
  t.is(r.status, 400);
  t.regex(message(r), /auto-discovery is off/);
  t.deepEqual((await api(daemon.url, 'GET', '/v1/nodes')).json, { nodes: [] });
});

test.serial(
  'with discovery on, an unknown machine creates a node that goes through hooks and rules',
  async (t) => {
    await writeFile(
      join(dir, 'discovered.yaml'),
      'conditions: [{op: eq, field: "data://auto_discovered", value: true}]\nactions: [{action: add-trait, name: CUSTOM_DISCOVERED}]\n',
    );
    t.is((await cli(daemon.url, ['rule', 'import', join(dir, 'discovered.yaml')])).code, 0);
    const on = await cli(daemon.url, ['discovery', 'on']);
    t.is(on.code, 0, on.stderr);
    const r = await callback({ mac: X1, serial: 'SN-X', bmc: '198.18.3.1', cpus: 6 });
    t.is(r.status, 200, r.text);
    xUuid = (r.json as { uuid: string }).uuid;
    const node = (await api(daemon.url, 'GET', `/v1/nodes/${xUuid}`)).json as Record<string, unknown>;
    t.like(node, {
      driver: 'ipmi',
      provision_state: 'enroll',
      driver_info: { ipmi_address: '198.18.3.1' },
      properties: { auto_discovered: true, cpus: '6' },
      traits: ['CUSTOM_DISCOVERED'],
      extra: { hardware_identity: { system_serial: 'sn-x' } },
    });
    t.deepEqual(await portsOf(xUuid), [X1]);
    const status = (await api(daemon.url, 'GET', `/v1/introspection/${xUuid}`)).json as Record<
      string,
      unknown
    >;
    t.like(status, { finished: true, error: null, state: 'finished' });
  },
);

test.serial(
  'a second machine posting a MAC that belongs to the node is refused with a clear message',
  async (t) => {
    const r = await callback({ mac: X1, serial: 'SN-OTHER', bmc: '198.18.3.9' });
    t.is(r.status, 409);
    t.regex(message(r), new RegExp(`MAC ${X1} already belongs to node ${xUuid}`));
    t.is(((await api(daemon.url, 'GET', '/v1/nodes')).json as { nodes: unknown[] }).nodes.length, 1);
    const events = (await api(daemon.url, 'GET', `/v1/events?mac=${X1}&type=node.enroll_refused`)).json as {
      events: unknown[];
    };
    t.is(events.events.length, 1);
  },
);

test.serial('a post from a second NIC of the known chassis merges into its node', async (t) => {
  const r = await callback({ mac: X2, serial: 'SN-X', bmc: '198.18.3.1' });
  t.is(r.status, 200, r.text);
  t.is((r.json as { uuid: string }).uuid, xUuid);
  t.is(((await api(daemon.url, 'GET', '/v1/nodes')).json as { nodes: unknown[] }).nodes.length, 1);
  t.deepEqual((await portsOf(xUuid)).sort(), [X1, X2]);
});

test.serial('a genuine identity conflict is kept for review and resolved through the CLI', async (t) => {
  const z = await callback({ mac: Z1, serial: 'SN-Z', bmc: '198.18.3.3' });
  t.is(z.status, 200, z.text);
  zUuid = (z.json as { uuid: string }).uuid;
  // Serial of X, BMC address of Z, from a NIC nobody knows.
  const r = await callback({ mac: Q1, serial: 'SN-X', bmc: '198.18.3.3' });
  t.is(r.status, 409);
  t.regex(message(r), /kept for review as [0-9a-f-]{36}/);
  const list = (await api(daemon.url, 'GET', '/v1/review')).json as {
    review: Array<{ id: string; candidates: string[]; reason: string }>;
  };
  t.is(list.review.length, 1);
  const entry = list.review[0]!;
  t.deepEqual(entry.candidates, [xUuid, zUuid]);
  const shown = await cli(daemon.url, ['review', 'show', entry.id]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /198\.18\.3\.3/);
  const listed = await cli(daemon.url, ['review', 'list']);
  t.regex(listed.stdout, new RegExp(entry.id));
  t.is(
    (await api(daemon.url, 'POST', `/v1/review/${entry.id}/resolve`, { node: xUuid, action: 'x' })).status,
    400,
  );
  const resolved = await cli(daemon.url, ['review', 'resolve', entry.id, '--node', xUuid]);
  t.is(resolved.code, 0, resolved.stderr);
  t.regex(resolved.stdout, /merged into node/);
  t.true((await portsOf(xUuid)).includes(Q1));
  t.deepEqual((await api(daemon.url, 'GET', '/v1/review')).json, { review: [] });
  t.is((await api(daemon.url, 'GET', `/v1/review/${entry.id}`)).status, 404);
});
