import test from 'ava';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/clock.js';
import { CURRENT_SCHEMA_VERSION, emptyStateDocument } from '../../../src/core/introspection-record.js';
import type { NodeRecord } from '../../../src/core/node.js';
import { FileStateStore } from '../../../src/store/state.js';
import { migrateDocument, validateStateDocument } from '../../../src/store/state-schema.js';
import { failingFs, silentLog, tempStateDir } from './support.js';
import { FakeClock } from '../../helpers/core-env.js';

function node(uuid: string): NodeRecord {
  return {
    uuid,
    name: null,
    driver: 'ipmi',
    driver_info: {},
    properties: {},
    extra: {},
    traits: [],
    provision_state: 'manageable',
    maintenance: false,
    created_at: '2025-01-01T00:00:00',
    updated_at: null,
  };
}

async function readState(dir: string): Promise<{ nodes: NodeRecord[]; meta: { schemaVersion: number } }> {
  return JSON.parse(await fsp.readFile(join(dir, 'state.json'), 'utf8'));
}

const deps = { log: silentLog, clock: systemClock };

test('open on an empty directory starts with an empty document and writes nothing yet', async (t) => {
  const stateDir = join(await tempStateDir(t), 'nested');
  const store = await FileStateStore.open(
    { log: silentLog, clock: new FakeClock(Date.parse('2025-01-01T00:00:00Z')) },
    { stateDir },
  );
  t.deepEqual(store.doc, emptyStateDocument('2025-01-01T00:00:00.000Z'));
  t.is(store.loadedFrom, 'none');
  t.is((await fsp.stat(stateDir)).mode & 0o777, 0o700);
  t.deepEqual(await fsp.readdir(stateDir), []);
  await store.close();
});

test('a durable change is on disk when its promise resolves', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir, debounceMs: 10_000, maxDelayMs: 10_000 });
  store.doc.nodes.push(node('n1'));
  await store.changed({ durable: true });
  t.deepEqual(
    (await readState(stateDir)).nodes.map((n) => n.uuid),
    ['n1'],
  );
  t.is((await fsp.stat(join(stateDir, 'state.json'))).mode & 0o777, 0o600);
  await store.close();
});

test('the previous good file is kept as state.json.bak', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir });
  store.doc.nodes.push(node('n1'));
  await store.changed({ durable: true });
  store.doc.nodes.push(node('n2'));
  await store.changed({ durable: true });
  const bak = JSON.parse(await fsp.readFile(join(stateDir, 'state.json.bak'), 'utf8'));
  t.deepEqual(
    bak.nodes.map((n: NodeRecord) => n.uuid),
    ['n1'],
  );
  await store.close();
});

test('many debounced changes are coalesced into one write', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir, debounceMs: 50, maxDelayMs: 1000 });
  const promises: Array<Promise<void>> = [];
  for (let i = 0; i < 500; i += 1) {
    store.doc.nodes.push(node(`n${i}`));
    promises.push(store.changed());
  }
  t.is(store.writeCount, 0, 'nothing is written synchronously');
  await Promise.all(promises);
  t.is(store.writeCount, 1);
  t.is((await readState(stateDir)).nodes.length, 500);
  await store.close();
});

test('a stream of changes is written no later than maxDelayMs after the first one', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir, debounceMs: 200, maxDelayMs: 300 });
  const started = Date.now();
  const first = store.changed();
  // Keep changing every 50 ms: a pure trailing debounce would never fire.
  const interval = setInterval(() => void store.changed(), 50);
  t.teardown(() => clearInterval(interval));
  await first;
  const elapsed = Date.now() - started;
  clearInterval(interval);
  t.true(elapsed >= 250 && elapsed < 2000, `written after ${elapsed} ms`);
  await store.close();
});

test('concurrent durable writes are serialised and the latest state wins', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir });
  const promises: Array<Promise<void>> = [];
  for (let i = 0; i < 20; i += 1) {
    store.doc.nodes.push(node(`n${i}`));
    promises.push(store.changed({ durable: true }));
  }
  await Promise.all(promises);
  t.true(store.writeCount <= 3, `${store.writeCount} writes for 20 durable changes made together`);
  t.is((await readState(stateDir)).nodes.length, 20);
  await store.close();
});

test('flush writes pending debounced changes now', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir, debounceMs: 60_000, maxDelayMs: 60_000 });
  store.doc.nodes.push(node('n1'));
  void store.changed();
  await store.flush();
  t.is((await readState(stateDir)).nodes.length, 1);
  t.is(store.writeCount, 1);
  await store.flush();
  t.is(store.writeCount, 1, 'nothing pending: no write');
  await store.close();
});

test('close writes pending changes and later changes are refused', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir, debounceMs: 60_000, maxDelayMs: 60_000 });
  store.doc.nodes.push(node('n1'));
  void store.changed();
  await store.close();
  t.is((await readState(stateDir)).nodes.length, 1);
  const error = await t.throwsAsync(store.changed());
  t.is((error as { code?: string }).code, 'ERR_STORE_WRITE');
});

test('a failing write rejects with ERR_STORE_WRITE, keeps the previous file, and the next write succeeds', async (t) => {
  const stateDir = await tempStateDir(t);
  const fs = failingFs('ENOSPC');
  const store = await FileStateStore.open(deps, { stateDir, fs, retryMs: 60_000 });
  store.doc.nodes.push(node('n1'));
  await store.changed({ durable: true });
  const before = await fsp.readFile(join(stateDir, 'state.json'), 'utf8');

  fs.failing = true;
  store.doc.nodes.push(node('n2'));
  const error = await t.throwsAsync(store.changed({ durable: true }));
  t.is((error as { code?: string }).code, 'ERR_STORE_WRITE');
  t.true(error?.message.includes('ENOSPC'));
  t.true(error?.message.includes(join(stateDir, 'state.json')));
  t.is(await fsp.readFile(join(stateDir, 'state.json'), 'utf8'), before);

  fs.failing = false;
  store.doc.nodes.push(node('n3'));
  await store.changed({ durable: true });
  t.deepEqual(
    (await readState(stateDir)).nodes.map((n) => n.uuid),
    ['n1', 'n2', 'n3'],
  );
  t.false((await fsp.readdir(stateDir)).some((n) => n.endsWith('.tmp')));
  await store.close();
});

test('a failed write is retried on its own', async (t) => {
  const stateDir = await tempStateDir(t);
  const fs = failingFs('EIO');
  const store = await FileStateStore.open(deps, { stateDir, fs, retryMs: 50 });
  fs.failing = true;
  store.doc.nodes.push(node('n1'));
  await t.throwsAsync(store.changed({ durable: true }));
  fs.failing = false;
  const deadline = Date.now() + 5000;
  while (store.writeCount === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(store.writeCount, 1);
  t.is((await readState(stateDir)).nodes.length, 1);
  await store.close();
});

test('state survives close and reopen', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir });
  store.doc.nodes.push(node('n1'));
  store.doc.settings.discovery = true;
  void store.changed();
  await store.close();
  const again = await FileStateStore.open(deps, { stateDir });
  t.is(again.loadedFrom, 'main');
  t.deepEqual(
    again.doc.nodes.map((n) => n.uuid),
    ['n1'],
  );
  t.true(again.doc.settings.discovery);
  await again.close();
});

test('a version 0 document is migrated on open, written back, and the old one kept as .bak', async (t) => {
  const stateDir = await tempStateDir(t);
  const v0 = { nodes: [node('old')], introspections: [] };
  await fsp.writeFile(join(stateDir, 'state.json'), JSON.stringify(v0));
  const store = await FileStateStore.open(deps, { stateDir });
  t.is(store.loadedVersion, 0);
  t.is(store.doc.meta.schemaVersion, CURRENT_SCHEMA_VERSION);
  t.deepEqual(store.doc.ports, []);
  t.deepEqual(store.doc.settings, { discovery: false });
  t.deepEqual(
    store.doc.nodes.map((n) => n.uuid),
    ['old'],
  );
  const onDisk = await readState(stateDir);
  t.is(onDisk.meta.schemaVersion, CURRENT_SCHEMA_VERSION);
  t.deepEqual(JSON.parse(await fsp.readFile(join(stateDir, 'state.json.bak'), 'utf8')), v0);
  await store.close();
});

test('migrations run in order from the stored version to the current one', (t) => {
  const steps: number[] = [];
  const migrations = {
    0: (d: Record<string, unknown>) => (steps.push(0), { ...d, a: 1 }),
    1: (d: Record<string, unknown>) => (steps.push(1), { ...d, b: (d.a as number) + 1 }),
    2: (d: Record<string, unknown>) => (steps.push(2), { ...d, c: (d.b as number) + 1 }),
  };
  const { doc, fromVersion } = migrateDocument({ meta: { schemaVersion: 1 }, a: 10 }, migrations, 3);
  t.is(fromVersion, 1);
  t.deepEqual(steps, [1, 2]);
  t.deepEqual(doc, { meta: { schemaVersion: 3 }, a: 10, b: 11, c: 12 });
});

test('a missing migration makes the document unloadable', (t) => {
  t.throws(() => migrateDocument({ meta: { schemaVersion: 0 } }, {}, 1), {
    message: /no migration from schemaVersion 0/,
  });
});

test('a document from a newer version is refused with ERR_STORE_VERSION, without trying the .bak', async (t) => {
  const stateDir = await tempStateDir(t);
  const newer = {
    ...emptyStateDocument('x'),
    meta: { schemaVersion: CURRENT_SCHEMA_VERSION + 1, createdAt: 'x' },
  };
  await fsp.writeFile(join(stateDir, 'state.json'), JSON.stringify(newer));
  await fsp.writeFile(join(stateDir, 'state.json.bak'), JSON.stringify(emptyStateDocument('x')));
  const error = await t.throwsAsync(FileStateStore.open(deps, { stateDir }));
  t.is((error as { code?: string }).code, 'ERR_STORE_VERSION');
});

test('a structurally invalid main file falls back to the .bak and the recovered document is rewritten', async (t) => {
  const stateDir = await tempStateDir(t);
  const good = emptyStateDocument('x');
  good.nodes.push(node('n1'));
  await fsp.writeFile(join(stateDir, 'state.json.bak'), JSON.stringify(good));
  await fsp.writeFile(join(stateDir, 'state.json'), JSON.stringify({ ...good, nodes: 'oops' }));
  const store = await FileStateStore.open(deps, { stateDir });
  t.is(store.loadedFrom, 'backup');
  t.deepEqual(
    (await readState(stateDir)).nodes.map((n) => n.uuid),
    ['n1'],
  );
  await store.close();
});

test('both files invalid: open fails with ERR_STORE_CORRUPT', async (t) => {
  const stateDir = await tempStateDir(t);
  await fsp.writeFile(join(stateDir, 'state.json'), '{"meta":{"schemaVersion":1}}');
  await fsp.writeFile(join(stateDir, 'state.json.bak'), 'not json');
  const error = await t.throwsAsync(FileStateStore.open(deps, { stateDir }));
  t.is((error as { code?: string }).code, 'ERR_STORE_CORRUPT');
  t.true(error?.message.includes(join(stateDir, 'state.json')));
});

test('validation lists structural problems', (t) => {
  t.deepEqual(validateStateDocument(emptyStateDocument('x')), []);
  const problems = validateStateDocument({
    meta: { schemaVersion: '1', createdAt: 'x' },
    nodes: [{ uuid: 1 }],
    ports: [],
    introspections: {},
    rules: [],
    leases: [],
    settings: { discovery: false },
    review: [],
  });
  t.deepEqual(problems, [
    'meta.schemaVersion is not a number',
    'nodes[0].uuid is not a string',
    'introspections is not an array',
  ]);
});

test('an ignored debounced change whose write fails raises no unhandled rejection', async (t) => {
  const stateDir = await tempStateDir(t);
  const fs = failingFs('EIO');
  const store = await FileStateStore.open(deps, { stateDir, fs, debounceMs: 1, retryMs: 60_000 });
  fs.failing = true;
  store.doc.nodes.push(node('n1'));
  void store.changed();
  await new Promise((r) => setTimeout(r, 100));
  t.is(fs.failures, 1);
  fs.failing = false;
  await store.close();
  t.is((await readState(stateDir)).nodes.length, 1, 'close wrote the change that had failed');
});

test('changes signalled while close() is flushing are written too', async (t) => {
  const stateDir = await tempStateDir(t);
  const store = await FileStateStore.open(deps, { stateDir, debounceMs: 60_000, maxDelayMs: 60_000 });
  store.doc.nodes.push(node('n1'));
  void store.changed();
  const closing = store.close();
  store.doc.nodes.push(node('n2'));
  const late = store.changed();
  await closing;
  await t.notThrowsAsync(late);
  t.is((await readState(stateDir)).nodes.length, 2);
});
