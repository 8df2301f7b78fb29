import test from 'ava';
import { evaluateRules, applyActions } from '../../../src/rules/engine.js';
import { makeNode, makeRule, sampleData } from './node-factory.js';

test('rules are evaluated in created_at order regardless of input order', (t) => {
  const a = makeRule({
    created_at: '2024-01-02T00:00:00',
    actions: [{ action: 'set-attribute', path: '/extra/x', value: 'a' }],
  });
  const b = makeRule({
    created_at: '2024-01-01T00:00:00',
    actions: [{ action: 'set-attribute', path: '/extra/x', value: 'b' }],
  });
  const ctx = { data: sampleData, node: makeNode() };
  const ev = evaluateRules([a, b], ctx);
  t.deepEqual(
    ev.rules.map((r) => r.uuid),
    [b.uuid, a.uuid],
  );
  t.is(applyActions(ev, ctx).node.extra['x'], 'a');
});

test('all conditions are checked before any action runs', (t) => {
  // The first rule's action would make the second rule's condition true; it must not.
  const first = makeRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_A' }] });
  const second = makeRule({
    conditions: [{ op: 'contains', field: 'node://traits', value: 'CUSTOM_A' }],
    actions: [{ action: 'add-trait', name: 'CUSTOM_B' }],
  });
  const ctx = { data: sampleData, node: makeNode() };
  const ev = evaluateRules([first, second], ctx);
  t.deepEqual(
    ev.rules.map((r) => r.matched),
    [true, false],
  );
  t.deepEqual(applyActions(ev, ctx).node.traits, ['CUSTOM_OLD', 'CUSTOM_A']);
});

test('conditions of a rule are ANDed and each is reported for dry-run', (t) => {
  const rule = makeRule({
    conditions: [
      { op: 'eq', field: 'cpus', value: 8 },
      { op: 'gt', field: 'memory_mb', value: 99999 },
      { op: 'eq', field: 'missing', value: 1 },
    ],
    actions: [{ action: 'example' }],
  });
  const ev = evaluateRules([rule], { data: sampleData, node: makeNode() });
  const r = ev.rules[0];
  t.false(r?.matched);
  t.deepEqual(
    r?.conditions.map((c) => [c.matched, c.missing, c.values]),
    [
      [true, false, [8]],
      [false, false, [16384]],
      [false, true, []],
    ],
  );
  t.deepEqual(ev.matched, []);
});

const scopeRows: Array<[string, string | null, unknown, boolean]> = [
  ['rule without scope applies to every node', null, undefined, true],
  ['scoped rule applies to the same scope', 'gpu', 'gpu', true],
  ['scoped rule skips another scope', 'gpu', 'storage', false],
  ['scoped rule skips a node without scope', 'gpu', undefined, false],
];
for (const [title, scope, nodeScope, expected] of scopeRows) {
  test(`scope: ${title}`, (t) => {
    const rule = makeRule({ scope, actions: [{ action: 'example' }] });
    const node = makeNode({
      properties: nodeScope === undefined ? {} : { inspection_scope: nodeScope },
    });
    const ev = evaluateRules([rule], { data: sampleData, node });
    t.is(ev.rules[0]?.inScope, expected);
    t.is(ev.rules[0]?.matched, expected);
  });
}

test('dry-run diff lists exactly the changes, secrets masked, input untouched', (t) => {
  const node = makeNode();
  const snapshot = structuredClone(node);
  const rule = makeRule({
    conditions: [{ op: 'ge', field: 'inventory.cpu.count', value: 4 }],
    actions: [
      { action: 'set-capability', name: 'cpu_count', value: '{data[cpus]}' },
      { action: 'add-trait', name: 'CUSTOM_BIG' },
      { action: 'remove-trait', name: 'CUSTOM_OLD' },
      { action: 'set-attribute', path: '/properties/cpus', value: '{data[cpus]}' }, // same value: no change
      { action: 'set-attribute', path: '/properties/local_gb', value: '465' },
      { action: 'set-attribute', path: '/extra/nested', value: { a: 1 } },
      { action: 'set-attribute', path: '/driver_info/ipmi_password', value: 'n3w' },
      { action: 'set-attribute', path: '/name', value: 'renamed' },
    ],
  });
  const ctx = { data: sampleData, node };
  const result = applyActions(evaluateRules([rule], ctx), ctx);
  t.is(result.failed, undefined);
  t.deepEqual(result.changes, [
    { path: '/name', op: 'set', before: 'node-1', after: 'renamed' },
    { path: '/driver_info/ipmi_password', op: 'set', before: '******', after: '******' },
    {
      path: '/properties/capabilities',
      op: 'set',
      before: 'boot_mode:uefi',
      after: 'boot_mode:uefi,cpu_count:8',
    },
    { path: '/properties/local_gb', op: 'add', after: '465' },
    { path: '/extra/nested', op: 'add', after: { a: 1 } },
    { path: '/traits', op: 'add', after: 'CUSTOM_BIG' },
    { path: '/traits', op: 'remove', before: 'CUSTOM_OLD' },
  ]);
  t.deepEqual(node, snapshot);
  t.is(result.node.driver_info.ipmi_password, 'n3w');
  t.not(result.node, node);
});

test('a property removed by set-capability to empty is a set, a missing one an add', (t) => {
  const node = makeNode({ properties: {} });
  const rule = makeRule({ actions: [{ action: 'set-capability', name: 'a', value: 'b' }] });
  const ctx = { data: sampleData, node };
  t.deepEqual(applyActions(evaluateRules([rule], ctx), ctx).changes, [
    { path: '/properties/capabilities', op: 'add', after: 'a:b' },
  ]);
});

test('a failing rule stops later rules and reports which rule failed', (t) => {
  const a = makeRule({ actions: [{ action: 'fail', message: 'nope' }] });
  const b = makeRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_LATER' }] });
  const ctx = { data: sampleData, node: makeNode() };
  const r = applyActions(evaluateRules([a, b], ctx), ctx);
  t.is(r.failed, 'nope');
  t.is(r.failedRule, a.uuid);
  t.deepEqual(r.changes, []);
});

test('evaluation and result are plain JSON (serialisable for the API)', (t) => {
  const rule = makeRule({
    conditions: [{ op: 'eq', field: 'cpus', value: 8 }],
    actions: [{ action: 'example' }],
  });
  const ctx = { data: sampleData, node: makeNode() };
  const ev = evaluateRules([rule], ctx);
  const res = applyActions(ev, ctx);
  t.deepEqual(JSON.parse(JSON.stringify(ev)), ev);
  t.deepEqual(JSON.parse(JSON.stringify(res)), res);
});
