// Auto-discovery through the real callback flow (in-memory store): enrol, refuse, merge, review.
import test from 'ava';
import { IntrospectionService } from '../../../src/core/introspection.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import { silentLog } from '../../../src/core/log.js';
import { HookPipeline } from '../../../src/pipeline/runner.js';
import { hookRegistry } from '../../../src/pipeline/registry.js';
import { DEFAULT_PROCESSING_HOOKS } from '../../../src/config/schema.js';
import { DiscoveryService, enrollDriverInfo } from '../../../src/discovery/enroll.js';
import { ReviewQueue } from '../../../src/discovery/review.js';
import { ProcessedObserver, driftRecorder } from '../../../src/discovery/processed-observer.js';
import { createRuleRunner } from '../../../src/rules-runner.js';
import { FakeClock, defaultPipelineSettings, defaultSettings, ipaInventory } from '../../helpers/core-env.js';
import { MemoryBlobStore, MemoryEventLog, MemoryStateStore } from '../../helpers/memory.js';

function env(options: { discovery?: boolean } = {}) {
  const store = new MemoryStateStore();
  store.doc.settings.discovery = options.discovery ?? true;
  const rawBlobs = new MemoryBlobStore();
  const events = new MemoryEventLog();
  const clock = new FakeClock();
  const nodes = new LocalNodeRepository({ store, clock });
  const review = new ReviewQueue({ store, nodes, blobs: rawBlobs, events, clock });
  const discovery = new DiscoveryService({
    store,
    nodes,
    events,
    clock,
    log: silentLog,
    review,
    settings: { driver: 'ipmi', nodeFields: {}, bmcAddressVersions: ['4', '6'], ipmiAddressFields: [] },
    isEnabled: () => store.doc.settings.discovery,
  });
  const observer = new ProcessedObserver(
    rawBlobs,
    [
      driftRecorder(events),
      (uuid, _p, current) => discovery.recordIdentity(uuid, current as Record<string, unknown>),
    ],
    silentLog,
  );
  const pipeline = new HookPipeline(
    { nodes, log: silentLog, events, settings: defaultPipelineSettings, clock },
    [...DEFAULT_PROCESSING_HOOKS],
    hookRegistry(),
  );
  const service = new IntrospectionService({
    store,
    nodes,
    blobs: rawBlobs,
    events,
    clock,
    log: silentLog,
    pipeline,
    onProcessed: (uuid, data) => observer.processed(uuid, data),
    settings: defaultSettings,
    rules: createRuleRunner({ store, nodes, events, clock }),
    notFoundHook: discovery,
  });
  discovery.attach((data) => service.continue(data));
  review.setProcessor(discovery);
  return { store, blobs: rawBlobs, events, nodes, service, review };
}

function machine(mac: string, serial: string, bmc: string): Record<string, unknown> {
  const data = ipaInventory(mac);
  const inventory = data.inventory as Record<string, unknown>;
  inventory.bmc_address = bmc;
  inventory.system_vendor = { serial_number: serial, product_name: 'lab', firmware: { version: '1.0' } };
  return data;
}

const M1 = '52:54:00:00:30:01';
const M2 = '52:54:00:00:30:02';
const M3 = '52:54:00:00:30:03';

test('an unknown machine is enrolled with BMC, ports, auto_discovered and identity', async (t) => {
  const e = env();
  const result = await e.service.continue(machine(M1, 'SN-1', '198.18.2.1'));
  const node = e.nodes.require(result.uuid);
  t.is(node.driver_info.ipmi_address, '198.18.2.1');
  t.is(node.provision_state, 'enroll');
  t.is(node.properties.auto_discovered, true);
  t.is(node.properties.cpus, '4');
  t.deepEqual(node.extra.hardware_identity, { system_serial: 'sn-1' });
  t.deepEqual(
    e.nodes.listPorts(node.uuid).map((p) => p.address),
    [M1],
  );
  t.is(e.service.record(node.uuid)?.state, 'finished');
  const processed = JSON.parse((await e.blobs.getData(node.uuid, 'processed'))!) as Record<string, unknown>;
  t.is(processed.auto_discovered, true);
  t.true(e.events.events.some((ev) => ev.type === 'node.enrolled' && ev.node === node.uuid));
});

test('nothing is enrolled while discovery is off', async (t) => {
  const e = env({ discovery: false });
  const error = await t.throwsAsync(e.service.continue(machine(M1, 'SN-1', '198.18.2.1')));
  t.is((error as { code?: string }).code, 'ERR_DISCOVERY_DISABLED');
  t.regex(error?.message ?? '', /auto-discovery is off/);
  t.is(e.nodes.list().length, 0);
});

test('a second machine posting a MAC of an enrolled node is refused with the owner named', async (t) => {
  const e = env();
  const first = await e.service.continue(machine(M1, 'SN-1', '198.18.2.1'));
  const error = await t.throwsAsync(e.service.continue(machine(M1, 'SN-OTHER', '198.18.2.9')));
  t.is((error as { code?: string }).code, 'ERR_DISCOVERY_CONFLICT');
  t.regex(error?.message ?? '', new RegExp(`MAC ${M1} already belongs to node ${first.uuid}`));
  t.is(e.nodes.list().length, 1);
  t.true(e.events.events.some((ev) => ev.type === 'node.enroll_refused' && ev.level === 'warn'));
});

test('a post from a second NIC of a known chassis merges into its node', async (t) => {
  const e = env();
  const first = await e.service.continue(machine(M1, 'SN-1', '198.18.2.1'));
  const second = await e.service.continue(machine(M2, 'SN-1', '198.18.2.1'));
  t.is(second.uuid, first.uuid);
  t.is(e.nodes.list().length, 1);
  t.deepEqual(
    e.nodes
      .listPorts(first.uuid)
      .map((p) => p.address)
      .sort(),
    [M1, M2],
  );
  t.true(e.events.events.some((ev) => ev.type === 'node.merged' && /system serial sn-1/.test(ev.message)));
});

test('a genuine conflict is kept for review, then merged by the operator', async (t) => {
  const e = env();
  const a = await e.service.continue(machine(M1, 'SN-A', '198.18.2.1'));
  const b = await e.service.continue(machine(M2, 'SN-B', '198.18.2.2'));
  // Serial of A, BMC address of B, from a new NIC.
  const error = await t.throwsAsync(e.service.continue(machine(M3, 'SN-A', '198.18.2.2')));
  t.is((error as { code?: string }).code, 'ERR_DISCOVERY_REVIEW');
  t.is(e.nodes.list().length, 2);
  const [entry] = e.review.list();
  t.truthy(entry);
  t.deepEqual(entry!.candidates, [a.uuid, b.uuid]);
  t.regex(entry!.reason, /system serial sn-a matches node .* BMC address 198\.18\.2\.2 matches node/);
  const shown = await e.review.show(entry!.id);
  t.is(
    ((shown.data as Record<string, unknown>).inventory as Record<string, unknown>).bmc_address,
    '198.18.2.2',
  );
  const resolved = await e.review.resolve(entry!.id, { node: a.uuid });
  t.deepEqual(resolved, { id: entry!.id, action: 'merged', node: a.uuid });
  t.true(e.nodes.listPorts(a.uuid).some((p) => p.address === M3));
  t.deepEqual(e.review.list(), []);
  t.is(await e.blobs.getData(entry!.id, 'unprocessed'), null);
});

test('a review entry can be discarded', async (t) => {
  const e = env();
  await e.service.continue(machine(M1, 'SN-A', '198.18.2.1'));
  await e.service.continue(machine(M2, 'SN-B', '198.18.2.2'));
  await t.throwsAsync(e.service.continue(machine(M3, 'SN-A', '198.18.2.2')));
  const [entry] = e.review.list();
  t.deepEqual(await e.review.resolve(entry!.id, { action: 'discard' }), {
    id: entry!.id,
    action: 'discarded',
  });
  t.deepEqual(e.review.list(), []);
});

const badBodies: unknown[] = [{}, { node: '' }, { action: 'merge' }, { node: 'x', action: 'discard' }, []];
for (const body of badBodies) {
  test(`resolve refuses the body ${JSON.stringify(body)}`, async (t) => {
    const e = env();
    await e.service.continue(machine(M1, 'SN-A', '198.18.2.1'));
    await e.service.continue(machine(M2, 'SN-B', '198.18.2.2'));
    await t.throwsAsync(e.service.continue(machine(M3, 'SN-A', '198.18.2.2')));
    const error = await t.throwsAsync(e.review.resolve(e.review.list()[0]!.id, body));
    t.is((error as { code?: string }).code, 'ERR_API_BAD_BODY');
  });
}

test('re-introspection of a merged chassis records hardware drift', async (t) => {
  const e = env();
  const first = await e.service.continue(machine(M1, 'SN-1', '198.18.2.1'));
  const again = machine(M1, 'SN-1', '198.18.2.1');
  ((again.inventory as Record<string, unknown>).cpu as Record<string, unknown>).count = 8;
  // Same chassis, finished record: the enroll hook merges and processes again.
  await e.service.continue(again);
  const drift = e.events.events.filter((ev) => ev.type === 'node.drift');
  t.is(drift.length, 1);
  t.is(drift[0]!.node, first.uuid);
  t.regex(drift[0]!.message, /CPU count 4 → 8/);
});

test('enrollDriverInfo honours enabled_bmc_address_version order', (t) => {
  const data = { inventory: { bmc_address: '198.18.2.1', bmc_v6address: '2001:db8::1' } };
  t.deepEqual(enrollDriverInfo(data, ['4', '6']), {
    ipmi_address: '198.18.2.1',
    bmc_v6address: '2001:db8::1',
  });
  t.deepEqual(enrollDriverInfo(data, ['6', '4']), { ipmi_address: '2001:db8::1' });
  t.deepEqual(enrollDriverInfo({ inventory: { bmc_address: '0.0.0.0' } }, ['4', '6']), {});
});
