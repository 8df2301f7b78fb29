// Posts a real-shaped IPA inventory (made from this build machine's /proc, /sys, lsblk and ip
// link by scripts/make-inventory-fixture.py) and checks the node's properties and ports.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';

const FIXTURE = new URL('../../../../test/fixtures/inventory/this-machine.json', import.meta.url);
let daemon: DaemonHandle;

test.before(async () => {
  daemon = await startDaemon({ processing: { add_ports: 'all', always_store_ramdisk_logs: true } });
});
test.after.always(async () => {
  await daemon?.cleanup();
});

test('an inventory of this machine sets cpus, memory, arch, local_gb and creates its ports', async (t) => {
  const data = JSON.parse(await readFile(FIXTURE, 'utf8')) as {
    inventory: {
      interfaces: Array<{ name: string; mac_address: string }>;
      cpu: { count: number; architecture: string };
      memory: { physical_mb: number };
    };
    root_disk: { size: number } | null;
  };
  const pxeMac = data.inventory.interfaces[0]!.mac_address;
  const created = await api(daemon.url, 'POST', '/v1/nodes', {
    name: 'this-machine',
    ports: [{ address: pxeMac }],
  });
  const uuid = (created.json as { uuid: string }).uuid;
  t.is((await api(daemon.url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`)).status, 202);
  const posted = await api(daemon.url, 'POST', '/v1/continue', {
    ...data,
    logs: Buffer.from('ramdisk log').toString('base64'),
  });
  t.is(posted.status, 200, posted.text);
  const node = (await api(daemon.url, 'GET', `/v1/nodes/${uuid}`)).json as {
    properties: Record<string, string>;
  };
  t.is(node.properties.cpus, String(data.inventory.cpu.count));
  t.is(node.properties.cpu_arch, data.inventory.cpu.architecture);
  t.is(node.properties.memory_mb, String(data.inventory.memory.physical_mb));
  const expectedGb = data.root_disk ? Math.floor(data.root_disk.size / 1024 ** 3) - 1 : 0;
  t.is(node.properties.local_gb, String(expectedGb));
  const ports = (await api(daemon.url, 'GET', `/v1/nodes/${uuid}/ports`)).json as {
    ports: Array<{ address: string; pxe_enabled: boolean }>;
  };
  const addresses = ports.ports.map((p) => p.address).sort();
  t.deepEqual(addresses, data.inventory.interfaces.map((i) => i.mac_address.toLowerCase()).sort());
  t.true(ports.ports.find((p) => p.address === pxeMac)!.pxe_enabled);
  const status = (await api(daemon.url, 'GET', `/v1/introspection/${uuid}`)).json as Record<string, unknown>;
  t.is(status.state, 'finished');
  const events = (await api(daemon.url, 'GET', `/v1/events?node=${uuid}`)).json as {
    events: Array<{ type: string }>;
  };
  const types = events.events.map((e) => e.type);
  t.true(types.includes('introspection.started'));
  t.true(types.includes('callback.received'));
  t.true(types.includes('introspection.finished'));
});
