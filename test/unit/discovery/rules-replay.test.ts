// Rules over stored data (src/rules-replay.ts): dry-run changes nothing, apply stores the diff.
import test from 'ava';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import { NodeLocks } from '../../../src/core/locks.js';
import { RuleReplay, dryRunRules } from '../../../src/rules-replay.js';
import { FakeClock, ipaInventory } from '../../helpers/core-env.js';
import { MemoryBlobStore, MemoryEventLog, MemoryStateStore } from '../../helpers/memory.js';

const bigCpuRule = {
  description: 'many CPUs',
  conditions: [{ op: 'ge', field: 'inventory.cpu.count', value: 8 }],
  actions: [
    { action: 'set-capability', name: 'cpu_class', value: 'big' },
    { action: 'add-trait', name: 'CUSTOM_BIG' },
  ],
};

/** bigCpuRule as a stored rule (what POST /v1/rules would have kept). */
function storeBigCpuRule(store: MemoryStateStore): void {
  store.doc.rules.push({
    ...bigCpuRule,
    uuid: '11111111-1111-1111-1111-111111111111',
    scope: null,
    created_at: '2026-01-01T00:00:00.000Z',
  } as never);
}

async function env() {
  const store = new MemoryStateStore();
  const blobs = new MemoryBlobStore();
  const events = new MemoryEventLog();
  const clock = new FakeClock();
  const nodes = new LocalNodeRepository({ store, clock });
  const locks = new NodeLocks();
  const small = await nodes.create({ name: 'small' });
  const big = await nodes.create({ name: 'big' });
  const bare = await nodes.create({ name: 'bare' });
  await blobs.putData(small.uuid, 'processed', JSON.stringify(ipaInventory('52:54:00:00:40:01')));
  const bigData = ipaInventory('52:54:00:00:40:02');
  ((bigData.inventory as Record<string, unknown>).cpu as Record<string, unknown>).count = 16;
  await blobs.putData(big.uuid, 'processed', JSON.stringify(bigData));
  const replay = new RuleReplay({ store, nodes, blobs, events, clock, locks });
  return { store, blobs, events, nodes, locks, replay, small, big, bare };
}

test('dry-run of one rule reports matches and the exact diff per node', async (t) => {
  const e = await env();
  const result = await e.replay.dryRun(bigCpuRule);
  const big = result.nodes.find((n) => n.uuid === e.big.uuid)!;
  t.true(big.rules![0]!.matched);
  t.deepEqual(big.rules![0]!.conditions[0]!.values, [16]);
  t.deepEqual(big.changes, [
    { path: '/properties/capabilities', op: 'add', after: 'cpu_class:big' },
    { path: '/traits', op: 'add', after: 'CUSTOM_BIG' },
  ]);
  const small = result.nodes.find((n) => n.uuid === e.small.uuid)!;
  t.false(small.rules![0]!.matched);
  t.deepEqual(small.changes, []);
  const bare = result.nodes.find((n) => n.uuid === e.bare.uuid)!;
  t.false(bare.evaluated);
  t.regex(bare.reason!, /no processed introspection data/);
});

test('dry-run changes nothing: state document, blobs and event log are identical', async (t) => {
  const e = await env();
  storeBigCpuRule(e.store);
  const before = JSON.stringify(e.store.doc);
  const blobsBefore = JSON.stringify([...e.blobs.data.entries()]);
  const writes = e.store.writes;
  await e.replay.dryRun(undefined);
  await e.replay.dryRun({ rules: [bigCpuRule, bigCpuRule] });
  await e.replay.dryRun({ ...bigCpuRule, nodes: ['big'] });
  t.is(JSON.stringify(e.store.doc), before);
  t.is(JSON.stringify([...e.blobs.data.entries()]), blobsBefore);
  t.is(e.store.writes, writes);
  t.deepEqual(e.events.events, []);
});

test('dry-run limited to chosen nodes by name', async (t) => {
  const e = await env();
  const result = await e.replay.dryRun({ ...bigCpuRule, nodes: ['big'] });
  t.deepEqual(
    result.nodes.map((n) => n.name),
    ['big'],
  );
});

const badBodies: Array<[string, unknown, string]> = [
  [
    'a rule with an unknown op',
    { conditions: [{ op: 'nope', field: 'x' }], actions: [{ action: 'fail', message: 'x' }] },
    'ERR_RULE_INVALID',
  ],
  ['an empty rules list', { rules: [] }, 'ERR_RULE_INVALID'],
  ['rules next to another key', { rules: [bigCpuRule], other: 1 }, 'ERR_API_BAD_BODY'],
  ['nodes that is not a list', { nodes: 'big' }, 'ERR_API_BAD_BODY'],
  ['a list body', [bigCpuRule], 'ERR_API_BAD_BODY'],
];
for (const [title, body, code] of badBodies) {
  test(`dry-run refuses ${title}`, (t) => {
    const error = t.throws(() => dryRunRules(body, [], '2026-01-01T00:00:00.000Z'));
    t.is((error as { code?: string }).code, code);
  });
}

test('the error of a bad rule in a list names its index and field', (t) => {
  const error = t.throws(() =>
    dryRunRules({ rules: [bigCpuRule, { conditions: [], actions: [{ action: 'fail' }] }] }, [], 'now'),
  );
  t.regex(error?.message ?? '', /rules\[1\]\.actions\[0\]/);
});

test('an unknown node is a 404', async (t) => {
  const e = await env();
  const error = await t.throwsAsync(e.replay.dryRun({ nodes: ['ghost'] }));
  t.is((error as { code?: string }).code, 'ERR_NODE_NOT_FOUND');
});

test('apply stores exactly the dry-run diff and records an event', async (t) => {
  const e = await env();
  storeBigCpuRule(e.store);
  const planned = await e.replay.dryRun(undefined);
  const applied = await e.replay.apply({});
  t.deepEqual(
    applied.nodes.map((n) => n.changes),
    planned.nodes.map((n) => n.changes),
  );
  const big = e.nodes.require('big');
  t.is(big.properties.capabilities, 'cpu_class:big');
  t.deepEqual(big.traits, ['CUSTOM_BIG']);
  t.deepEqual(e.nodes.require('small').traits, []);
  t.is(e.events.events.filter((ev) => ev.type === 'rule.applied').length, 2);
  // Applying again changes nothing more.
  const again = await e.replay.apply({ nodes: ['big'] });
  t.deepEqual(again.nodes[0]!.changes, []);
});

test('apply skips a node locked by an introspection step', async (t) => {
  const e = await env();
  const release = e.locks.tryAcquire(e.big.uuid)!;
  const result = await e.replay.apply({ nodes: [e.big.uuid] });
  release();
  t.false(result.nodes[0]!.evaluated);
  t.regex(result.nodes[0]!.reason!, /locked/);
});

test('apply with a failing rule stores nothing for that node', async (t) => {
  const e = await env();
  e.store.doc.rules.push({
    uuid: '22222222-2222-2222-2222-222222222222',
    description: null,
    scope: null,
    conditions: [],
    actions: [
      { action: 'add-trait', name: 'CUSTOM_X' },
      { action: 'fail', message: 'stop here' },
    ],
    created_at: '2026-01-01T00:00:00.000Z',
  });
  const result = await e.replay.apply({ nodes: ['big'] });
  t.false(result.nodes[0]!.applied);
  t.regex(result.nodes[0]!.failed!, /stop here/);
  t.deepEqual(e.nodes.require('big').traits, []);
});
