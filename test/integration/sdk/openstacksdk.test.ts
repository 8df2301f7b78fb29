// Drives a running `inspectord serve` with Debian's openstacksdk (the baremetal_introspection
// proxy Ironic uses): start, status, wait, data, abort, reapply.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { requireTools, sh } from '../../helpers/netns.js';
import { ipaInventory } from '../../helpers/core-env.js';

// The driver lives next to the TypeScript source (tsc does not copy .py files into dist/).
const DRIVER = fileURLToPath(new URL('../../../../test/integration/sdk/sdk-driver.py', import.meta.url));
let daemon: DaemonHandle;

async function sdk(command: string, node: string, ...args: string[]): Promise<Record<string, unknown>> {
  const out = await sh('/usr/bin/python3', [DRIVER, daemon.url, command, node, ...args]);
  return JSON.parse(out) as Record<string, unknown>;
}

test.before(async () => {
  await requireTools('/usr/bin/python3');
  await sh('/usr/bin/python3', ['-c', 'import openstack']).catch(() => {
    throw new Error('python3-openstacksdk is missing: run scripts/setup.sh as root (npm test does)');
  });
  daemon = await startDaemon();
});
test.after.always(async () => {
  await daemon?.cleanup();
});

test.serial('openstacksdk: start, status, wait, data, reapply', async (t) => {
  const mac = '52:54:00:5d:00:01';
  const created = await api(daemon.url, 'POST', '/v1/nodes', { name: 'sdk-node', ports: [{ address: mac }] });
  const uuid = (created.json as { uuid: string }).uuid;

  const started = await sdk('start', uuid);
  t.is(started.id, uuid);
  t.is(started.state, 'waiting');
  t.is(started.is_finished, false);

  const status = await sdk('status', uuid);
  t.is(status.state, 'waiting');

  // The "ramdisk" posts while the SDK waits.
  const waiting = sdk('wait', uuid, '60');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const posted = await api(daemon.url, 'POST', '/v1/continue', ipaInventory(mac));
  t.is(posted.status, 200);
  const done = await waiting;
  t.is(done.state, 'finished');
  t.is(done.is_finished, true);
  t.is(done.error, null);

  const data = await sdk('data', uuid);
  t.is((data.inventory as { cpu: { count: number } }).cpu.count, 4);
  t.truthy(data.all_interfaces);
  const raw = await sdk('unprocessed', uuid);
  t.false('all_interfaces' in raw);

  const reapplied = await sdk('reapply', uuid);
  t.is(reapplied.status_code, 202);
  const after = await sdk('wait', uuid, '30');
  t.is(after.state, 'finished');
});

test.serial('openstacksdk: abort a waiting introspection', async (t) => {
  const created = await api(daemon.url, 'POST', '/v1/nodes', {
    name: 'sdk-abort',
    ports: [{ address: '52:54:00:5d:00:02' }],
  });
  const uuid = (created.json as { uuid: string }).uuid;
  await sdk('start', uuid);
  const aborted = await sdk('abort', uuid);
  t.is(aborted.state, 'error');
  t.is(aborted.error, 'Canceled by operator');
  t.is(aborted.is_finished, true);
  const list = (await sh('/usr/bin/python3', [DRIVER, daemon.url, 'list', uuid])) as string;
  t.true(list.includes(uuid));
});
