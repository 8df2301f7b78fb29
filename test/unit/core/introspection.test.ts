import test from 'ava';
import { AppError } from '../../../src/core/errors.js';
import type { PowerControl } from '../../../src/core/power.js';
import { coreEnv, ipaInventory } from '../../helpers/core-env.js';

const MAC = '52:54:00:12:34:56';

async function enrolled(env: ReturnType<typeof coreEnv>, mac = MAC, name = 'node-1') {
  return env.nodes.create(
    { name, driver_info: { ipmi_address: '198.18.1.1', ipmi_username: 'admin', ipmi_password: 'secret' } },
    { ports: [{ address: mac }] },
  );
}

test('start without managed boot creates a waiting record synchronously', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  const record = await env.service.start('node-1', { manageBoot: false });
  t.is(record.state, 'waiting');
  t.is(record.finished_at, null);
  t.deepEqual(record.attributes, { bmc_address: ['198.18.1.1'], mac: [MAC] });
  t.is(env.service.status(node.uuid).uuid, node.uuid);
  t.true(env.filterChanges() >= 1);
  t.true(env.store.durableWrites >= 2);
});

test('managed boot without a power driver is a clear 400', async (t) => {
  const env = coreEnv();
  await enrolled(env);
  const error = await t.throwsAsync(env.service.start('node-1', { manageBoot: true }));
  t.is((error as AppError).code, 'ERR_INTROSPECTION_MANAGE_BOOT');
  t.is((error as AppError).status, 400);
});

test('can_manage_boot=false refuses manage_boot=true', async (t) => {
  const env = coreEnv({ settings: { canManageBoot: false } });
  await enrolled(env);
  const error = await t.throwsAsync(env.service.start('node-1', { manageBoot: true }));
  t.is((error as AppError).code, 'ERR_INTROSPECTION_MANAGE_BOOT');
});

test('a node without ports or BMC address cannot be introspected', async (t) => {
  const env = coreEnv();
  await env.nodes.create({ name: 'bare' });
  const error = await t.throwsAsync(env.service.start('bare', { manageBoot: false }));
  t.is((error as AppError).code, 'ERR_INTROSPECTION_NO_LOOKUP_ATTRS');
});

test('a ramdisk post is matched, processed and finishes the introspection', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  const result = await env.service.continue(
    ipaInventory(MAC, { logs: Buffer.from('log').toString('base64') }),
  );
  t.deepEqual(result, { uuid: node.uuid });
  const record = env.service.status(node.uuid);
  t.is(record.state, 'finished');
  t.is(record.error, null);
  t.not(record.finished_at, null);
  const updated = env.nodes.require(node.uuid);
  t.is(updated.properties.cpus, '4');
  t.is(updated.properties.cpu_arch, 'x86_64');
  t.is(updated.properties.memory_mb, '8192');
  t.is(updated.properties.local_gb, '9');
  t.is(updated.properties.capabilities, 'cpu_vt:true,cpu_aes:true');
  const processed = JSON.parse((await env.blobs.getData(node.uuid, 'processed'))!);
  t.is(processed.root_disk.name, '/dev/sda');
  t.false('logs' in processed);
  t.truthy(await env.blobs.getData(node.uuid, 'unprocessed'));
  t.is(env.blobs.logs.size, 0, 'logs are stored only on failure by default');
});

test('the callback.received event carries the PXE boot MAC in colon form (01-… BOOTIF stripped)', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  await env.service.continue(ipaInventory(MAC));
  const received = env.events.events.find((e) => e.type === 'callback.received');
  t.is(received?.mac, MAC);
  t.is(received?.node, node.uuid);
});

test('with store_data off the posted data is not stored', async (t) => {
  const env = coreEnv({ settings: { storeData: false } });
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  t.deepEqual(await env.service.continue(ipaInventory(MAC)), { uuid: node.uuid });
  t.is(env.blobs.data.size, 0);
});

test('a post from a machine nobody introspects is a lookup failure', async (t) => {
  const env = coreEnv();
  const error = await t.throwsAsync(
    env.service.continue(ipaInventory('52:54:00:99:99:99', { inventory: undefined })),
  );
  t.truthy(error);
  const env2 = coreEnv();
  const error2 = await t.throwsAsync(env2.service.continue(ipaInventory('52:54:00:99:99:99')));
  t.is((error2 as AppError).code, 'ERR_LOOKUP_NOT_FOUND');
  t.regex((error2 as AppError).message, /Could not find a node/);
});

test('two nodes matching equally is an ambiguity error', async (t) => {
  const env = coreEnv();
  const a = await env.nodes.create({ name: 'a', driver_info: { ipmi_address: '198.18.1.1' } });
  const b = await env.nodes.create({ name: 'b', driver_info: { ipmi_address: '198.18.1.1' } });
  await env.service.start(a.uuid, { manageBoot: false });
  await env.service.start(b.uuid, { manageBoot: false });
  const error = await t.throwsAsync(env.service.continue(ipaInventory('52:54:00:aa:aa:aa')));
  t.is((error as AppError).code, 'ERR_LOOKUP_AMBIGUOUS');
});

test('ramdisk error fails the node and keeps the logs', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  const error = await t.throwsAsync(
    env.service.continue(
      ipaInventory(MAC, { error: 'disk exploded', logs: Buffer.from('x').toString('base64') }),
    ),
  );
  t.is((error as AppError).code, 'ERR_PROCESSING_FAILED');
  const record = env.service.status(node.uuid);
  t.is(record.state, 'error');
  t.regex(record.error ?? '', /Ramdisk reported error: disk exploded/);
  t.is(env.blobs.logs.size, 1);
  const [name] = [...env.blobs.logs.keys()];
  t.regex(name!, new RegExp(`^/logs/${node.uuid}_\\d{8}-\\d{6}\\.\\d{6}\\.tar\\.gz$`));
});

test('a post for a finished introspection is refused', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  await env.service.continue(ipaInventory(MAC));
  const error = await t.throwsAsync(env.service.continue(ipaInventory(MAC)));
  t.is((error as AppError).code, 'ERR_LOOKUP_NOT_FOUND');
});

test('abort of a waiting node ends it with "Canceled by operator"', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  await env.service.abort(node.uuid);
  const record = env.service.status(node.uuid);
  t.is(record.state, 'error');
  t.is(record.error, 'Canceled by operator');
  t.not(record.finished_at, null);
  t.deepEqual(record.attributes.mac, []);
});

test('abort and reapply of a locked node are 409', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  const release = env.service.locks.tryAcquire(node.uuid)!;
  const abort = await t.throwsAsync(env.service.abort(node.uuid));
  t.is((abort as AppError).status, 409);
  const reapply = await t.throwsAsync(env.service.reapply(node.uuid));
  t.is((reapply as AppError).status, 409);
  release();
});

test('reapply re-runs processing on stored data and is not finished meanwhile', async (t) => {
  const env = coreEnv();
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  await env.service.continue(ipaInventory(MAC));
  await env.nodes.update(node.uuid, (n) => {
    n.properties.cpus = '1';
  });
  await env.service.reapply(node.uuid);
  const during = env.service.status(node.uuid);
  t.is(during.state, 'reapplying');
  t.is(during.finished_at, null);
  await env.service.drain();
  const after = env.service.status(node.uuid);
  t.is(after.state, 'finished');
  t.is(env.nodes.require(node.uuid).properties.cpus, '4');
});

test('the clean-up times out old introspections with a clear error', async (t) => {
  const env = coreEnv({ settings: { timeout: 60 } });
  const node = await enrolled(env);
  await env.service.start(node.uuid, { manageBoot: false });
  t.deepEqual(await env.service.cleanUp(), []);
  env.clock.advance(61_000);
  t.deepEqual(await env.service.cleanUp(), [node.uuid]);
  const record = env.service.status(node.uuid);
  t.is(record.state, 'error');
  t.regex(record.error ?? '', /^Introspection timeout/);
});

test('list is sorted by started_at descending and honours marker, limit and state', async (t) => {
  const env = coreEnv();
  const uuids: string[] = [];
  for (let i = 0; i < 5; i += 1) {
    const node = await enrolled(env, `52:54:00:00:00:0${i}`, `n${i}`);
    uuids.push(node.uuid);
    await env.service.start(node.uuid, { manageBoot: false });
    env.clock.advance(1000);
  }
  const all = env.service.list({ limit: 100 });
  t.deepEqual(
    all.map((r) => r.uuid),
    [...uuids].reverse(),
  );
  t.deepEqual(
    env.service.list({ limit: 2, marker: uuids[4] }).map((r) => r.uuid),
    [uuids[3], uuids[2]],
  );
  await env.service.abort(uuids[0]!);
  t.deepEqual(
    env.service.list({ limit: 100, states: ['error'] }).map((r) => r.uuid),
    [uuids[0]],
  );
});

test('managed boot validates power, sets PXE and powers on, then waits', async (t) => {
  const calls: string[] = [];
  const power: PowerControl = {
    validate: async () => {
      calls.push('validate');
    },
    getPowerState: async () => 'power off',
    setPower: async (_target, action) => {
      calls.push(`power ${action}`);
    },
    setBootDevice: async (_target, device, options) => {
      calls.push(`bootdev ${device} persistent=${options.persistent}`);
    },
  };
  const env = coreEnv({ power });
  const node = await enrolled(env);
  const record = await env.service.start(node.uuid, { manageBoot: true });
  t.is(record.state, 'starting');
  await env.service.drain();
  t.is(env.service.status(node.uuid).state, 'waiting');
  t.deepEqual(calls, ['validate', 'bootdev pxe persistent=false', 'power on']);
  await env.service.continue(ipaInventory(MAC));
  await env.service.drain();
  t.deepEqual(calls.slice(-1), ['power off']);
});

test('wrong BMC credentials fail the start with a clear error and no record', async (t) => {
  const power: PowerControl = {
    validate: async () => {
      throw new AppError('ERR_IPMI_AUTH', 'BMC 198.18.1.1 rejected the credentials of user admin');
    },
    getPowerState: async () => 'power off',
    setPower: async () => undefined,
    setBootDevice: async () => undefined,
  };
  const env = coreEnv({ power });
  const node = await enrolled(env);
  const error = await t.throwsAsync(env.service.start(node.uuid, { manageBoot: true }));
  t.is((error as AppError).code, 'ERR_IPMI_AUTH');
  t.is(env.service.record(node.uuid), undefined);
});

test('new IPMI credentials are validated like the reference', async (t) => {
  const env = coreEnv();
  await enrolled(env);
  for (const password of ['', 'has space', 'x'.repeat(21), 'ünïcode']) {
    const error = await t.throwsAsync(
      env.service.start('node-1', { manageBoot: false, newIpmiPassword: password }),
    );
    t.is((error as AppError).code, 'ERR_API_BAD_PARAM', password);
  }
  const record = await env.service.start('node-1', { manageBoot: false, newIpmiPassword: 'Passw0rd' });
  t.is(record.manage_boot, false);
});

test('the legacy discoverd flat format is accepted', async (t) => {
  const env = coreEnv();
  const node = await env.nodes.create({ name: 'old', driver_info: { ipmi_address: '198.18.1.7' } });
  await env.service.start(node.uuid, { manageBoot: false });
  const result = await env.service.continue({
    cpus: 2,
    cpu_arch: 'x86_64',
    memory_mb: 4096,
    local_gb: 49,
    interfaces: { eth0: { mac: '52:54:00:00:00:42', ip: '198.18.0.5' } },
    ipmi_address: '198.18.1.7',
    boot_interface: '01-52-54-00-00-00-42',
  });
  t.is(result.uuid, node.uuid);
  const props = env.nodes.require(node.uuid).properties;
  t.is(props.cpus, '2');
  t.is(props.memory_mb, '4096');
  t.is(props.local_gb, '49');
  t.is(env.nodes.listPorts(node.uuid)[0]?.address, '52:54:00:00:00:42');
});
