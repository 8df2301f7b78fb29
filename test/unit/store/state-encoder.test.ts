// The state encoder reuses the encoding of frozen records: its output must always be the bytes of
// JSON.stringify(doc), through every path that changes nodes and ports (API, hooks, rules), and
// the records the repository stores must be immutable so that a cached encoding cannot go stale.
import test from 'ava';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp } from '../../../src/api/app.js';
import { systemClock } from '../../../src/core/clock.js';
import { emptyStateDocument } from '../../../src/core/introspection-record.js';
import { silentLog } from '../../../src/core/log.js';
import { deepFreezeRecord, frozenRecordCopy } from '../../../src/core/node.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import { RuleBook } from '../../../src/core/rule-book.js';
import { parseCidrMap } from '../../../src/pipeline/hook-logic/physnet-cidr-map.js';
import { validateRule } from '../../../src/rules/validate.js';
import { createRuleRunner } from '../../../src/rules-runner.js';
import { StateEncoder } from '../../../src/store/state-encoder.js';
import { FileStateStore } from '../../../src/store/state.js';
import { coreEnv, ipaInventory } from '../../helpers/core-env.js';
import { silentLog as storeLog, tempStateDir } from './support.js';

const frozen = <T>(value: T): T => frozenRecordCopy(value);

const documents: Array<[string, () => object]> = [
  ['an empty document', () => emptyStateDocument('2025-01-01T00:00:00.000Z')],
  ['an empty object', () => ({})],
  ['a list of only frozen records', () => ({ nodes: [frozen({ a: 1 }), frozen({ b: [1, 2] })] })],
  ['a list of only mutable records', () => ({ nodes: [{ a: 1 }, { b: 'x' }] })],
  [
    'frozen and mutable records interleaved',
    () => ({ a: [frozen({ x: 1 }), { y: 2 }, { z: 3 }, frozen({ w: [] }), frozen({ v: null })], b: [] }),
  ],
  ['an empty frozen record', () => ({ a: [frozen({}), frozen([])] })],
  [
    'members whose value is undefined or a function are left out',
    () => ({ a: undefined, b: [frozen({ c: 1 })], d: () => 1, e: 'kept' }),
  ],
  [
    'list items that encode to undefined become null, holes too',
    // eslint-disable-next-line no-sparse-arrays
    () => ({ a: [undefined, frozen({ x: 1 }), () => 1, , null, 3, 'text'] }),
  ],
  [
    'strings that need escaping, and non-ASCII text',
    () => ({
      n: [
        frozen({ name: 'quote " backslash \\ tab \t nl \n', u: 'é ü 漢字 😀 \u2028 \u0001', k: { 'é"': 1 } }),
      ],
      m: { s: '\ud800 lone surrogate' },
    }),
  ],
  ['a record with a __proto__ key', () => ({ n: [frozen(JSON.parse('{"__proto__":{"x":1},"a":2}'))] })],
  ['nested lists are encoded as they are', () => ({ a: [[frozen({ x: 1 })], frozen([[1], { y: [2] }])] })],
  ['numbers, booleans, null at the top level', () => ({ a: 1.5, b: true, c: null, d: -0, e: 1e21 })],
];

for (const [name, make] of documents) {
  test(`encode equals JSON.stringify: ${name}`, (t) => {
    const encoder = new StateEncoder();
    const doc = make();
    t.is(encoder.encode(doc).toString('utf8'), JSON.stringify(doc));
    // The second time every frozen record comes from the cache.
    t.is(encoder.encode(doc).toString('utf8'), JSON.stringify(doc));
  });
}

test('a frozen record is encoded once and reused while it stays in the document', (t) => {
  const encoder = new StateEncoder();
  const doc = { nodes: [frozen({ a: 1 }), frozen({ b: 2 })], introspections: [{ c: 3 }] };
  encoder.encode(doc);
  t.deepEqual([encoder.lastEncoded, encoder.lastReused], [2, 0]);
  encoder.encode(doc);
  t.deepEqual([encoder.lastEncoded, encoder.lastReused], [0, 2]);
  doc.nodes[1] = frozen({ b: 3 });
  t.is(encoder.encode(doc).toString(), JSON.stringify(doc));
  t.deepEqual([encoder.lastEncoded, encoder.lastReused], [1, 1]);
});

test('mutable records are encoded afresh on every write', (t) => {
  const encoder = new StateEncoder();
  const record = { state: 'waiting', version: 1 };
  const doc = { introspections: [record] };
  encoder.encode(doc);
  record.state = 'finished';
  t.is(encoder.encode(doc).toString(), JSON.stringify(doc));
  t.is(encoder.lastReused, 0);
});

test('frozenRecordCopy freezes a deep copy and leaves the original mutable', (t) => {
  const inner = { serial: 'S1' };
  const original = { properties: { root_device: inner }, traits: ['A'] };
  const copy = frozenRecordCopy(original);
  t.deepEqual(copy, original);
  t.not(copy.properties.root_device, inner);
  t.true(
    Object.isFrozen(copy) && Object.isFrozen(copy.properties.root_device) && Object.isFrozen(copy.traits),
  );
  inner.serial = 'S2';
  t.is(copy.properties.root_device.serial, 'S1');
});

test('repository records are deeply frozen: an in-place change throws instead of going unsaved', async (t) => {
  const store = {
    doc: emptyStateDocument('x'),
    changed: async () => undefined,
    flush: async () => undefined,
  };
  const repo = new LocalNodeRepository({ store, clock: systemClock });
  const node = await repo.create(
    { name: 'n1', properties: { root_device: { serial: 'S1' } } },
    { ports: [{ address: '52:54:00:00:00:01' }] },
  );
  t.throws(() => {
    (node.properties.root_device as { serial: string }).serial = 'S2';
  });
  t.throws(() => node.traits.push('X'));
  const [port] = repo.listPorts(node.uuid);
  t.throws(() => {
    port!.extra.x = 1;
  });
  // update() hands the mutator a mutable copy and stores a frozen one.
  const updated = await repo.update(node.uuid, (n) => {
    (n.properties.root_device as { serial: string }).serial = 'S2';
  });
  t.true(Object.isFrozen(updated.properties.root_device));
  t.is(repo.require('n1').properties.root_device, updated.properties.root_device);
  t.deepEqual(node.properties.root_device, { serial: 'S1' }, 'the previous record is untouched');
});

test('the state file holds JSON.stringify(doc) after repository writes; a repository freezes reopened records', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open({ log: storeLog, clock: systemClock }, { stateDir });
  const repo = new LocalNodeRepository({ store, clock: systemClock });
  const a = await repo.create({ name: 'a' }, { ports: [{ address: '52:54:00:00:00:0a' }] });
  await repo.create({ name: 'b' });
  await repo.update(a.uuid, (n) => (n.extra = { k: 'v' }), { durable: true });
  store.doc.introspections.push({
    uuid: a.uuid,
    state: 'waiting',
    started_at: 'x',
    finished_at: null,
    error: null,
    manage_boot: false,
    attributes: { bmc_address: [], mac: [] },
    options: {},
    version: 1,
  });
  await repo.patch(a.uuid, [{ op: 'add', path: '/extra/l', value: [1, { m: 2 }] }]);
  store.doc.introspections[0]!.state = 'finished';
  await store.changed({ durable: true });
  t.is(await fsp.readFile(join(stateDir, 'state.json'), 'utf8'), JSON.stringify(store.doc));
  await store.close();

  const reopened = await FileStateStore.open({ log: storeLog, clock: systemClock }, { stateDir });
  t.teardown(() => reopened.close());
  t.false(Object.isFrozen(reopened.doc.nodes[0]), 'the store itself leaves the document as loaded');
  const reopenedRepo = new LocalNodeRepository({ store: reopened, clock: systemClock });
  t.true(reopened.doc.nodes.every((n) => Object.isFrozen(n) && Object.isFrozen(n.extra)));
  t.true(reopened.doc.ports.every((p) => Object.isFrozen(p.local_link_connection)));
  t.false(Object.isFrozen(reopened.doc.introspections[0]));
  await reopenedRepo.update(a.uuid, (n) => (n.traits = ['CUSTOM_X']), { durable: true });
  t.is(await fsp.readFile(join(stateDir, 'state.json'), 'utf8'), JSON.stringify(reopened.doc));
});

test('a document of more chunks than IOV_MAX (1024) is written whole', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open({ log: storeLog, clock: systemClock }, { stateDir });
  t.teardown(() => store.close());
  const repo = new LocalNodeRepository({ store, clock: systemClock });
  const template = await repo.create({ name: 'n' });
  for (let i = 0; i < 1500; i++) {
    store.doc.nodes.push(
      frozen({ ...template, uuid: `u${i}`, name: `n${i}`, extra: { text: 'é'.repeat(i % 7) } }),
    );
  }
  await store.changed({ durable: true });
  const encoder = new StateEncoder();
  t.true(encoder.chunks(store.doc).length > 2048);
  t.is(await fsp.readFile(join(stateDir, 'state.json'), 'utf8'), JSON.stringify(store.doc));
});

test('deepFreezeRecord freezes a record in place, nested values included', (t) => {
  const record = { a: { b: [{ c: 1 }] } };
  t.is(deepFreezeRecord(record), record);
  t.true(Object.isFrozen(record.a.b[0]));
});

test('every API, hook and rule path keeps the cached encoding equal to JSON.stringify', async (t) => {
  const env = coreEnv({
    settings: { powerOff: false },
    hooks: [
      'ramdisk_error',
      'root_disk_selection',
      'scheduler',
      'validate_interfaces',
      'capabilities',
      'extra_hardware',
      'lldp_basic',
      'local_link_connection',
      'physnet_cidr_map',
      'raid_device',
    ],
    pipeline: {
      addPorts: 'all',
      keepPorts: 'present',
      cidrMap: (() => {
        const parsed = parseCidrMap(['198.18.0.0/24:physnet-a']);
        if (!parsed.ok) throw new Error(parsed.errors.join('; '));
        return parsed.map;
      })(),
    },
    rules: createRuleRunner,
  });
  // Check on every change the store is told about, before any write could cover it.
  const encoder = new StateEncoder();
  let checks = 0;
  let mismatch: string | null = null;
  const changed = env.store.changed.bind(env.store);
  env.store.changed = (options) => {
    checks += 1;
    const expected = JSON.stringify(env.store.doc);
    if (mismatch === null && encoder.encode(env.store.doc).toString('utf8') !== expected) {
      mismatch = `change ${checks}: the cached encoding differs from JSON.stringify`;
    }
    return changed(options);
  };
  const ruleBook = new RuleBook({
    store: env.store,
    clock: env.clock,
    validate: (body) => {
      const r = validateRule(body);
      return r.ok ? { ok: true, rule: r.rule } : { ok: false, errors: r.errors };
    },
  });
  let discovery = false;
  const app = await buildApp(
    {
      log: silentLog,
      introspection: env.service,
      nodes: env.nodes,
      rules: ruleBook,
      events: env.events,
      auth: { check: async () => undefined },
      discovery: { get: () => discovery, set: async (v) => void (discovery = v) },
      settings: { apiMaxLimit: 1000, storeData: true },
    },
    { bodyLimit: 4 * 1024 * 1024 },
  );
  t.teardown(() => app.close());
  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
    url: string,
    payload?: unknown,
  ) => {
    const r = await app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    t.true(r.statusCode < 300, `${method} ${url} → ${r.statusCode}: ${r.payload.slice(0, 300)}`);
    return r.payload ? (JSON.parse(r.payload) as Record<string, unknown>) : {};
  };

  await call('POST', '/v1/rules', {
    conditions: [{ op: 'ge', field: 'memory_mb', value: 1024 }],
    actions: [
      { action: 'add-trait', name: 'CUSTOM_BIG' },
      { action: 'set-attribute', path: '/extra/rack', value: 'r1' },
      { action: 'set-capability', name: 'profile', value: 'compute' },
      { action: 'extend-attribute', path: '/extra/tags', value: 'x' },
    ],
  });
  const macs = ['52:54:00:00:01:01', '52:54:00:00:01:02'];
  const node = await call('POST', '/v1/nodes', {
    name: 'enc-1',
    driver_info: { ipmi_address: '198.18.1.1', ipmi_username: 'u', ipmi_password: 'p' },
    properties: { root_device: { serial: 'S1' } },
    ports: [{ address: macs[0] }, { address: '52:54:00:00:01:99' }],
  });
  const uuid = node.uuid as string;
  await call('PATCH', `/v1/nodes/${uuid}`, [
    { op: 'add', path: '/extra/owner', value: { team: 'a' } },
    { op: 'replace', path: '/properties/root_device', value: { serial: 'S2' } },
  ]);
  await call('POST', `/v1/nodes/${uuid}/ports`, { address: '52:54:00:00:01:98' });
  const ports = (await call('GET', `/v1/nodes/${uuid}/ports`)).ports as Array<{
    uuid: string;
    address: string;
  }>;
  await call('DELETE', `/v1/ports/${ports.find((p) => p.address === '52:54:00:00:01:98')!.uuid}`);

  const inventory = (): Record<string, unknown> => {
    const data = ipaInventory(macs[0]!, {});
    const inv = data.inventory as { interfaces: unknown[] };
    inv.interfaces.push({
      name: 'eth1',
      mac_address: macs[1],
      ipv4_address: '198.18.0.101',
      has_carrier: true,
    });
    return {
      ...data,
      all_interfaces: {
        eth0: { mac: macs[0], ip: '198.18.0.100', pxe: true },
        eth1: { mac: macs[1], ip: '198.18.0.101', pxe: false },
      },
    };
  };
  // Two full runs (the second changes what the first stored), an abort, a reapply.
  for (let run = 0; run < 2; run++) {
    await call('POST', `/v1/introspection/${uuid}?manage_boot=false`);
    await call('POST', '/v1/continue', inventory());
  }
  // The hooks and rules really changed the stored records (so the paths above were exercised).
  const after = env.nodes.require(uuid);
  t.true(after.traits.includes('CUSTOM_BIG'));
  t.is(after.extra.rack, 'r1');
  const stored = env.nodes.listPorts(uuid);
  t.deepEqual(stored.map((p) => p.address).sort(), [...macs].sort(), 'keep_ports=present removed :99');
  t.true(stored.some((p) => p.physical_network === 'physnet-a'));
  await call('POST', `/v1/introspection/${uuid}?manage_boot=false`);
  await call('POST', `/v1/introspection/${uuid}/abort`);
  await env.service.drain();
  await call('POST', `/v1/introspection/${uuid}/data/unprocessed`);
  await env.service.drain();
  await call('PUT', '/v1/discovery', { enabled: true });
  await call('DELETE', '/v1/rules');
  await call('DELETE', `/v1/nodes/${uuid}`);

  t.is(mismatch, null);
  t.true(checks > 15, `${checks} changes checked`);
  t.is(encoder.encode(env.store.doc).toString('utf8'), JSON.stringify(env.store.doc));
  t.true(
    env.events.events.some((e) => e.type === 'rule.applied'),
    'the rules ran and changed the node',
  );
});
