import test from 'ava';
import { evaluateRules, applyActions } from '../../../src/rules/engine.js';
import type { RuleAction } from '../../../src/core/introspection-record.js';
import type { NodeRecord } from '../../../src/core/node.js';
import { makeNode, makeRule, sampleData } from './node-factory.js';

function run(actions: RuleAction[], node: NodeRecord = makeNode()) {
  const rule = makeRule({ actions });
  const ctx = { data: sampleData, node };
  return applyActions(evaluateRules([rule], ctx), ctx);
}

type Row = [string, RuleAction[], (n: NodeRecord) => unknown, unknown];
const rows: Row[] = [
  [
    'set-attribute with leading slash',
    [{ action: 'set-attribute', path: '/properties/cpu_arch', value: 'x86_64' }],
    (n) => n.properties['cpu_arch'],
    'x86_64',
  ],
  [
    'set-attribute without leading slash',
    [{ action: 'set-attribute', path: 'extra/rack', value: 'R1' }],
    (n) => n.extra['rack'],
    'R1',
  ],
  [
    'set-attribute formats the value from data',
    [{ action: 'set-attribute', path: '/driver_info/ipmi_address', value: '{data[inventory][bmc_address]}' }],
    (n) => n.driver_info.ipmi_address,
    '198.18.0.10',
  ],
  [
    'set-attribute null value',
    [{ action: 'set-attribute', path: '/extra/gone', value: null }],
    (n) => n.extra['gone'],
    null,
  ],
  [
    'set-attribute nested dict formatted recursively',
    [
      {
        action: 'set-attribute',
        path: '/extra/hw',
        value: { cpus: '{data[cpus]}', list: ['{data[memory_mb]}'] },
      },
    ],
    (n) => n.extra['hw'],
    { cpus: '8', list: ['16384'] },
  ],
  [
    'set-attribute driver with reset_interfaces accepted',
    [{ action: 'set-attribute', path: '/driver', value: 'redfish', reset_interfaces: false }],
    (n) => n.driver,
    'redfish',
  ],
  [
    'extend-attribute creates the list',
    [{ action: 'extend-attribute', path: '/extra/tags', value: 'a' }],
    (n) => n.extra['tags'],
    ['a'],
  ],
  [
    'extend-attribute appends duplicates without unique',
    [
      { action: 'extend-attribute', path: '/extra/tags', value: 'a' },
      { action: 'extend-attribute', path: '/extra/tags', value: 'a' },
    ],
    (n) => n.extra['tags'],
    ['a', 'a'],
  ],
  [
    'extend-attribute unique skips present values',
    [
      { action: 'extend-attribute', path: '/extra/tags', value: '{data[cpus]}', unique: true },
      { action: 'extend-attribute', path: '/extra/tags', value: '8', unique: true },
    ],
    (n) => n.extra['tags'],
    ['8'],
  ],
  [
    'set-capability merges into the string',
    [{ action: 'set-capability', name: 'cpu_count', value: '{data[cpus]}' }],
    (n) => n.properties['capabilities'],
    'boot_mode:uefi,cpu_count:8',
  ],
  [
    'set-capability replaces in place',
    [{ action: 'set-capability', name: 'boot_mode', value: 'bios' }],
    (n) => n.properties['capabilities'],
    'boot_mode:bios',
  ],
  [
    'set-capability without value removes it',
    [{ action: 'set-capability', name: 'boot_mode' }],
    (n) => n.properties['capabilities'],
    '',
  ],
  ['add-trait', [{ action: 'add-trait', name: 'CUSTOM_GPU' }], (n) => n.traits, ['CUSTOM_OLD', 'CUSTOM_GPU']],
  [
    'add-trait twice is one trait',
    [{ action: 'add-trait', name: 'CUSTOM_OLD' }],
    (n) => n.traits,
    ['CUSTOM_OLD'],
  ],
  ['remove-trait', [{ action: 'remove-trait', name: 'CUSTOM_OLD' }], (n) => n.traits, []],
  [
    'remove-trait missing is ignored',
    [{ action: 'remove-trait', name: 'CUSTOM_NONE' }],
    (n) => n.traits,
    ['CUSTOM_OLD'],
  ],
  ['example changes nothing', [{ action: 'example', anything: 1 }], (n) => n, makeNode()],
];

for (const [title, actions, pick, expected] of rows) {
  test(`action ${title}`, (t) => {
    const r = run(actions);
    t.is(r.failed, undefined);
    t.deepEqual(pick(r.node), expected);
  });
}

test('set-capability accepts a dict-valued capabilities property', (t) => {
  const r = run(
    [{ action: 'set-capability', name: 'x', value: 1 }],
    makeNode({ properties: { capabilities: { a: 'b' } } }),
  );
  t.is(r.node.properties['capabilities'], 'a:b,x:1');
});

test('fail action fails with its message and stops later actions', (t) => {
  const r = run([
    { action: 'add-trait', name: 'CUSTOM_BEFORE' },
    { action: 'fail', message: 'too few CPUs' },
    { action: 'add-trait', name: 'CUSTOM_AFTER' },
  ]);
  t.is(r.failed, 'too few CPUs');
  t.deepEqual(r.node.traits, ['CUSTOM_OLD', 'CUSTOM_BEFORE']);
  t.deepEqual(
    r.actions.map((a) => [a.action, a.ok]),
    [
      ['add-trait', true],
      ['fail', false],
    ],
  );
});

const failing: Array<[string, RuleAction, RegExp]> = [
  [
    'unknown format key',
    { action: 'set-attribute', path: '/extra/x', value: '{data[nope]}' },
    /Invalid formatting variable key provided: 'nope'/,
  ],
  ['missing parent', { action: 'set-attribute', path: '/extra/a/b', value: 1 }, /does not exist/],
  ['wrong root type', { action: 'set-attribute', path: '/properties', value: 'x' }, /must be an object/],
  ['extend a non-list', { action: 'extend-attribute', path: '/properties/cpus', value: 1 }, /not a list/],
];
for (const [title, action, re] of failing) {
  test(`action failure (${title}) fails the rule with a clear message`, (t) => {
    const r = run([action]);
    t.truthy(r.failed);
    t.regex(r.failed ?? '', re);
    t.regex(r.failed ?? '', /^Rule [0-9a-f-]+ action 0/);
  });
}

test('the input node is never mutated', (t) => {
  const node = makeNode();
  const before = structuredClone(node);
  run(
    [
      { action: 'set-attribute', path: '/properties/x', value: 1 },
      { action: 'add-trait', name: 'T' },
      { action: 'set-capability', name: 'c', value: 'v' },
    ],
    node,
  );
  t.deepEqual(node, before);
});

test('updated_at is stamped with the injected now only when something changed', (t) => {
  const rule = makeRule({ actions: [{ action: 'add-trait', name: 'T' }] });
  const ctx = { data: sampleData, node: makeNode() };
  t.is(
    applyActions(evaluateRules([rule], ctx), ctx, { now: '2025-01-01T00:00:00' }).node.updated_at,
    '2025-01-01T00:00:00',
  );
  const noop = makeRule({ actions: [{ action: 'example' }] });
  t.is(applyActions(evaluateRules([noop], ctx), ctx, { now: '2025-01-01T00:00:00' }).node.updated_at, null);
});
