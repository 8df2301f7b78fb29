import test from 'ava';
import { validateRule, describeRuleErrors } from '../../../src/rules/validate.js';

const minimalAction = { action: 'example' };

test('a minimal rule is normalised with defaults', (t) => {
  const r = validateRule({
    conditions: [{ op: 'eq', field: 'cpus', value: 4 }],
    actions: [{ action: 'set-capability', name: 'x', value: 'y' }],
  });
  if (!r.ok) return t.fail(describeRuleErrors(r.errors));
  t.deepEqual(r.rule, {
    uuid: null,
    description: null,
    scope: null,
    conditions: [{ op: 'eq', field: 'cpus', multiple: 'any', invert: false, value: 4 }],
    actions: [{ action: 'set-capability', name: 'x', value: 'y' }],
  });
});

test('explicit nulls from the Python client are accepted', (t) => {
  const r = validateRule({
    uuid: null,
    description: null,
    scope: null,
    conditions: [],
    actions: [minimalAction],
  });
  t.true(r.ok);
});

test('uuid is normalised to lowercase dashed form', (t) => {
  const r = validateRule({ uuid: 'A1B2C3D4E5F64A7B8C9D0E1F2A3B4C5D', actions: [minimalAction] });
  t.true(r.ok && r.rule.uuid === 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
});

test('conditions may be omitted (rule always applies) and links are ignored', (t) => {
  const r = validateRule({ actions: [minimalAction], links: [{ href: '/v1/rules/x', rel: 'self' }] });
  t.true(r.ok && r.rule.conditions.length === 0);
});

test('every action and op with all its optional params validates', (t) => {
  const r = validateRule({
    scope: 'rack-1',
    description: 'all',
    conditions: [
      { op: 'eq', field: 'a', value: 1 },
      { op: 'ne', field: 'a', value: 1, multiple: 'all' },
      { op: 'lt', field: 'a', value: 1, multiple: 'first', invert: true },
      { op: 'gt', field: 'a', value: 1 },
      { op: 'le', field: 'a', value: 1 },
      { op: 'ge', field: 'a', value: 1 },
      { op: 'in-net', field: 'ipmi_address', value: '2001:db8::/48' },
      { op: 'matches', field: 'a', value: '^x.*' },
      { op: 'contains', field: 'a', value: 'x' },
      { op: 'is-empty', field: 'node://extra.x' },
    ],
    actions: [
      { action: 'fail', message: 'no' },
      { action: 'set-attribute', path: '/driver', value: 'ipmi', reset_interfaces: true },
      { action: 'extend-attribute', path: 'extra/tags', value: ['x'], unique: true },
      { action: 'set-capability', name: 'c' },
      { action: 'add-trait', name: 'CUSTOM_X' },
      { action: 'remove-trait', name: 'CUSTOM_X' },
      { action: 'example', whatever: { a: 1 } },
    ],
  });
  t.true(r.ok, r.ok ? '' : describeRuleErrors(r.errors));
});

const bad: Array<[string, unknown, string, RegExp]> = [
  ['body not an object', [], '', /JSON object/],
  ['unknown top-level key', { actions: [minimalAction], foo: 1 }, 'foo', /unexpected parameter\(s\): foo/],
  ['bad uuid', { uuid: 'not-a-uuid', actions: [minimalAction] }, 'uuid', /Invalid UUID/],
  ['description not a string', { description: 5, actions: [minimalAction] }, 'description', /string/],
  ['scope too long', { scope: 'x'.repeat(256), actions: [minimalAction] }, 'scope', /255/],
  ['scope not a string', { scope: ['a'], actions: [minimalAction] }, 'scope', /string/],
  ['no actions', { conditions: [] }, 'actions', /at least one/],
  ['empty actions', { actions: [] }, 'actions', /without actions/],
  ['conditions not a list', { conditions: {}, actions: [minimalAction] }, 'conditions', /list/],
  ['condition not an object', { conditions: ['x'], actions: [minimalAction] }, 'conditions[0]', /object/],
  [
    'condition without op',
    { conditions: [{ field: 'a' }], actions: [minimalAction] },
    'conditions[0].op',
    /required/,
  ],
  [
    'unknown op',
    { conditions: [{ op: 'xx', field: 'a' }], actions: [minimalAction] },
    'conditions[0].op',
    /unknown/,
  ],
  [
    'condition without field',
    { conditions: [{ op: 'is-empty' }], actions: [minimalAction] },
    'conditions[0].field',
    /required/,
  ],
  [
    'unsupported scheme',
    { conditions: [{ op: 'is-empty', field: 'http://x' }], actions: [minimalAction] },
    'conditions[0].field',
    /Unsupported scheme for field: http/,
  ],
  [
    'unparsable path',
    { conditions: [{ op: 'is-empty', field: 'data://a[' }], actions: [minimalAction] },
    'conditions[0].field',
    /Unable to parse field JSON path/,
  ],
  [
    'bad multiple',
    { conditions: [{ op: 'is-empty', field: 'a', multiple: 'some' }], actions: [minimalAction] },
    'conditions[0].multiple',
    /any, all, first/,
  ],
  [
    'bad invert',
    { conditions: [{ op: 'is-empty', field: 'a', invert: 'yes' }], actions: [minimalAction] },
    'conditions[0].invert',
    /boolean/,
  ],
  [
    'missing value',
    { conditions: [{ op: 'eq', field: 'a' }], actions: [minimalAction] },
    'conditions[0].value',
    /missing required parameter\(s\): value/,
  ],
  [
    'null value counts as missing',
    { conditions: [{ op: 'eq', field: 'a', value: null }], actions: [minimalAction] },
    'conditions[0].value',
    /missing required/,
  ],
  [
    'unexpected condition param',
    { conditions: [{ op: 'eq', field: 'a', value: 1, extra: 2 }], actions: [minimalAction] },
    'conditions[0].extra',
    /unexpected parameter\(s\): extra/,
  ],
  [
    'is-empty takes no value',
    { conditions: [{ op: 'is-empty', field: 'a', value: 1 }], actions: [minimalAction] },
    'conditions[0].value',
    /unexpected parameter/,
  ],
  [
    'bad CIDR',
    { conditions: [{ op: 'in-net', field: 'a', value: '10.0.0.0/33' }], actions: [minimalAction] },
    'conditions[0].value',
    /invalid value/,
  ],
  [
    'bad IPv6 CIDR',
    { conditions: [{ op: 'in-net', field: 'a', value: '2001:db8:::/64' }], actions: [minimalAction] },
    'conditions[0].value',
    /invalid value/,
  ],
  [
    'bad regex for matches',
    { conditions: [{ op: 'matches', field: 'a', value: '(' }], actions: [minimalAction] },
    'conditions[0].value',
    /invalid regular expression/,
  ],
  [
    'bad regex for contains',
    { conditions: [{ op: 'contains', field: 'a', value: '[a' }], actions: [minimalAction] },
    'conditions[0].value',
    /invalid regular expression/,
  ],
  ['action not an object', { actions: [3] }, 'actions[0]', /object/],
  ['action without name', { actions: [{}] }, 'actions[0].action', /required/],
  ['unknown action', { actions: [{ action: 'reboot' }] }, 'actions[0].action', /unknown action/],
  ['fail without message', { actions: [{ action: 'fail' }] }, 'actions[0].message', /missing required/],
  [
    'set-attribute without value',
    { actions: [{ action: 'set-attribute', path: '/extra/a' }] },
    'actions[0].value',
    /missing required parameter\(s\): value/,
  ],
  [
    'set-attribute on a read-only field',
    { actions: [{ action: 'set-attribute', path: '/uuid', value: 'x' }] },
    'actions[0].path',
    /cannot set \/uuid/,
  ],
  [
    'set-attribute bad reset_interfaces',
    { actions: [{ action: 'set-attribute', path: '/driver', value: 'x', reset_interfaces: 'y' }] },
    'actions[0].reset_interfaces',
    /boolean/,
  ],
  [
    'set-attribute broken template',
    { actions: [{ action: 'set-attribute', path: '/extra/a', value: '{data[x]' }] },
    'actions[0].value',
    /invalid format string/,
  ],
  [
    'extend-attribute without value',
    { actions: [{ action: 'extend-attribute', path: '/extra/a' }] },
    'actions[0].value',
    /missing required/,
  ],
  [
    'extend-attribute bad unique',
    { actions: [{ action: 'extend-attribute', path: '/extra/a', value: 1, unique: 1 }] },
    'actions[0].unique',
    /boolean/,
  ],
  [
    'set-capability without name',
    { actions: [{ action: 'set-capability', value: 1 }] },
    'actions[0].name',
    /missing required/,
  ],
  [
    'set-capability unexpected param',
    { actions: [{ action: 'set-capability', name: 'a', path: 'x' }] },
    'actions[0].path',
    /unexpected parameter\(s\): path/,
  ],
  ['add-trait without name', { actions: [{ action: 'add-trait' }] }, 'actions[0].name', /missing required/],
  ['remove-trait bad name', { actions: [{ action: 'remove-trait', name: 5 }] }, 'actions[0].name', /string/],
];

for (const [title, body, field, re] of bad) {
  test(`validation error names the field: ${title} → ${field || '(body)'}`, (t) => {
    const r = validateRule(body);
    if (r.ok) return t.fail('accepted');
    const e = r.errors.find((x) => x.field === field);
    t.truthy(e, `errors: ${JSON.stringify(r.errors)}`);
    t.regex(e?.message ?? '', re);
    t.true(describeRuleErrors(r.errors).includes(field));
  });
}

test('all problems are reported at once', (t) => {
  const r = validateRule({
    uuid: 'x',
    conditions: [{ op: 'eq', field: 'a' }],
    actions: [{ action: 'nope' }],
  });
  t.false(r.ok);
  if (!r.ok)
    t.deepEqual(r.errors.map((e) => e.field).sort(), ['actions[0].action', 'conditions[0].value', 'uuid']);
});
